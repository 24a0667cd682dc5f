//! Where user values come from (`-f`, `--set-json`, `--set`, `--set-string`, `--set-file`,
//! `--set-literal`) and the order in which they are merged.
//!
//! Helm counterpart: `pkg/cli/values/options.go` (`Options.MergeValues`): files first (later
//! files win, maps merge deeply, `-` is stdin), then every `--set-json`, `--set`,
//! `--set-string`, `--set-file` and `--set-literal` expression, in that order. Remote value
//! files (`https://…` through getters) are not supported here.
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::strvals::{self, Mode};
use super::{Error, yaml};

/// The value flags of one command, as given (Helm's `values.Options`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueSources {
    /// `-f/--values` files, in order; `-` reads standard input.
    pub files: Vec<PathBuf>,
    /// `--set` expressions.
    pub set: Vec<String>,
    /// `--set-string` expressions.
    pub set_string: Vec<String>,
    /// `--set-file` expressions (`key=path`).
    pub set_file: Vec<String>,
    /// `--set-json` expressions (`key=json` or a JSON object).
    pub set_json: Vec<String>,
    /// `--set-literal` expressions.
    pub set_literal: Vec<String>,
}

/// Merges all sources into one map of user values, in Helm's order, reading stdin for `-`.
pub fn merge_sources(sources: &ValueSources) -> Result<Map<String, Value>, Error> {
    merge_sources_with_stdin(sources, &mut std::io::stdin())
}

/// [`merge_sources`] with an explicit reader for `-` (for tests and embedding).
pub fn merge_sources_with_stdin(
    sources: &ValueSources,
    stdin: &mut dyn Read,
) -> Result<Map<String, Value>, Error> {
    let mut base = Map::new();
    let mut stdin_cache: Option<Vec<u8>> = None;
    let mut read = |path: &Path| -> Result<Vec<u8>, Error> {
        if path.as_os_str().to_string_lossy().trim() == "-" {
            if stdin_cache.is_none() {
                let mut buf = Vec::new();
                stdin.read_to_end(&mut buf).map_err(|source| Error::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                stdin_cache = Some(buf);
            }
            return Ok(stdin_cache.clone().unwrap_or_default());
        }
        std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    };

    for path in &sources.files {
        let raw = read(path)?;
        let text = String::from_utf8_lossy(&raw);
        let current = yaml::parse_values(&text).map_err(|source| Error::ValuesFile {
            path: path.clone(),
            source,
        })?;
        base = yaml::merge_maps(base, current);
    }

    for value in &sources.set_json {
        let trimmed = value.trim();
        if trimmed.starts_with('{') {
            match serde_json::from_str::<Value>(trimmed).map(to_go_numbers) {
                Ok(Value::Object(map)) => base = yaml::merge_maps(base, map),
                _ => {
                    return Err(Error::Flag(format!(
                        "failed parsing --set-json data JSON: {value}"
                    )));
                }
            }
        } else {
            strvals::parse_into(value, &mut base, Mode::Json)
                .map_err(|_| Error::Flag(format!("failed parsing --set-json data {value}")))?;
        }
    }
    for value in &sources.set {
        strvals::parse_into(value, &mut base, Mode::Typed)
            .map_err(|e| Error::Flag(format!("failed parsing --set data: {e}")))?;
    }
    for value in &sources.set_string {
        strvals::parse_into(value, &mut base, Mode::String)
            .map_err(|e| Error::Flag(format!("failed parsing --set-string data: {e}")))?;
    }
    for value in &sources.set_file {
        let mut reader = |path: &str| -> Result<Value, String> {
            read(Path::new(path))
                .map(|bytes| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
                .map_err(|e| e.to_string())
        };
        strvals::parse_into(value, &mut base, Mode::File(&mut reader))
            .map_err(|e| Error::Flag(format!("failed parsing --set-file data: {e}")))?;
    }
    for value in &sources.set_literal {
        strvals::parse_into(value, &mut base, Mode::Literal)
            .map_err(|e| Error::Flag(format!("failed parsing --set-literal data: {e}")))?;
    }
    Ok(base)
}

/// Go's `encoding/json` into `interface{}` gives `float64` for every number.
fn to_go_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.into_iter().map(to_go_numbers).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, to_go_numbers(v))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(sources: &ValueSources, stdin: &str) -> Value {
        Value::Object(merge_sources_with_stdin(sources, &mut stdin.as_bytes()).unwrap())
    }

    #[test]
    fn later_files_win_and_maps_merge_deeply() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a.yaml");
        let b = tmp.path().join("b.yaml");
        std::fs::write(&a, "img:\n  repo: r\n  tag: '1'\nlist: [1, 2]\n").unwrap();
        std::fs::write(&b, "img:\n  tag: '2'\nlist: [3]\n").unwrap();
        let s = ValueSources {
            files: vec![a, b],
            ..Default::default()
        };
        assert_eq!(
            merged(&s, ""),
            json!({"img": {"repo": "r", "tag": "2"}, "list": [3.0]})
        );
    }

    #[test]
    fn a_dash_reads_values_from_stdin() {
        let s = ValueSources {
            files: vec!["-".into()],
            ..Default::default()
        };
        assert_eq!(merged(&s, "a: b\n"), json!({"a": "b"}));
    }

    #[test]
    fn flags_apply_in_helms_order_json_set_string_file_literal() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("v.yaml");
        std::fs::write(&f, "a: file\nb: file\n").unwrap();
        let content = tmp.path().join("content.txt");
        std::fs::write(&content, "from-file").unwrap();
        let s = ValueSources {
            files: vec![f],
            set_json: vec![r#"a="json""#.into(), r#"{"c": {"d": 1}}"#.into()],
            set: vec!["a=set,b=2".into()],
            set_string: vec!["b=2".into()],
            set_file: vec![format!("e={}", content.display())],
            set_literal: vec!["a=lit,eral".into()],
        };
        assert_eq!(
            merged(&s, ""),
            json!({"a": "lit,eral", "b": "2", "c": {"d": 1.0}, "e": "from-file"})
        );
    }

    #[test]
    fn a_bad_flag_names_the_flag() {
        let s = ValueSources {
            set: vec!["x".into()],
            ..Default::default()
        };
        let e = merge_sources_with_stdin(&s, &mut "".as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed parsing --set data: key \"x\" has no value"
        );
        let s = ValueSources {
            set_json: vec!["{bad".into()],
            ..Default::default()
        };
        let e = merge_sources_with_stdin(&s, &mut "".as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "failed parsing --set-json data JSON: {bad");
    }

    #[test]
    fn a_broken_values_file_names_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("bad.yaml");
        std::fs::write(&f, "a: 1\nb: [\n").unwrap();
        let s = ValueSources {
            files: vec![f.clone()],
            ..Default::default()
        };
        let e = merge_sources_with_stdin(&s, &mut "".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("failed to parse {}: yaml: line", f.display())),
            "{e}"
        );
    }

    #[test]
    fn a_missing_values_file_is_an_io_error() {
        let s = ValueSources {
            files: vec!["/nonexistent/v.yaml".into()],
            ..Default::default()
        };
        assert!(matches!(
            merge_sources_with_stdin(&s, &mut "".as_bytes()),
            Err(Error::Io { .. })
        ));
    }
}
