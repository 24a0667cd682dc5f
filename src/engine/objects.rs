//! The struct-like values Helm hands templates: `.Chart`, `.Capabilities`, `.Files`.
//!
//! Helm counterpart: `pkg/engine/files.go` (`files` and its methods), `pkg/chart/common`
//! `Capabilities`, `KubeVersion`, `VersionSet`, and the chart `Metadata` struct (fields by
//! their Go names: `.Chart.AppVersion`). `.Release`, `.Template`, `.Values` and
//! `.Subcharts` are plain maps in Helm and here.
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::chart::{ChartFile, Dependency, Maintainer, Metadata};

use super::funcs::json::value_from_json_f64;
use super::funcs::wrong_type;
use super::value::{Func, FuncError, Object, Value};

/// A Go struct: named fields, computed once, plus how `%v` prints it.
pub struct Struct {
    type_name: &'static str,
    fields: BTreeMap<&'static str, Value>,
    display: String,
}

impl Struct {
    /// A struct with the given Go type name and fields.
    pub fn new(
        type_name: &'static str,
        fields: Vec<(&'static str, Value)>,
        display: Option<String>,
    ) -> Self {
        let fields: BTreeMap<_, _> = fields.into_iter().collect();
        let display = display.unwrap_or_else(|| {
            let parts: Vec<String> = fields.values().map(super::gofmt::format_value).collect();
            format!("{{{}}}", parts.join(" "))
        });
        Struct {
            type_name,
            fields,
            display,
        }
    }
}

impl Object for Struct {
    fn type_name(&self) -> &str {
        self.type_name
    }
    fn field(&self, name: &str) -> Option<Value> {
        self.fields.get(name).cloned()
    }
    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, FuncError>> {
        None
    }
    fn display(&self) -> String {
        self.display.clone()
    }
}

fn strings(items: &[String]) -> Value {
    Value::list(items.iter().map(|s| Value::string(s.as_str())).collect())
}

fn maintainer(m: &Maintainer) -> Value {
    Value::Object(Rc::new(Struct::new(
        "*chart.Maintainer",
        vec![
            ("Name", Value::string(m.name.as_str())),
            ("Email", Value::string(m.email.as_str())),
            ("URL", Value::string(m.url.as_str())),
        ],
        None,
    )))
}

fn dependency(d: &Dependency) -> Value {
    Value::Object(Rc::new(Struct::new(
        "*chart.Dependency",
        vec![
            ("Name", Value::string(d.name.as_str())),
            ("Version", Value::string(d.version.as_str())),
            ("Repository", Value::string(d.repository.as_str())),
            ("Condition", Value::string(d.condition.as_str())),
            ("Tags", strings(&d.tags)),
            ("Enabled", Value::Bool(d.enabled)),
            (
                "ImportValues",
                Value::list(d.import_values.iter().map(value_from_json_f64).collect()),
            ),
            ("Alias", Value::string(d.alias.as_str())),
        ],
        None,
    )))
}

/// `.Chart`: the chart's metadata by Go field names, plus `IsRoot`. Helm 4 hands it to
/// templates as a `map[string]interface {}` (`printf "%T"` says so), so a missing field
/// is nil rather than an error.
pub fn chart_object(m: &Metadata, is_root: bool) -> Value {
    let annotations: BTreeMap<String, Value> = m
        .annotations
        .iter()
        .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
        .collect();
    let fields: Vec<(&str, Value)> = vec![
        ("Name", Value::string(m.name.as_str())),
        ("Home", Value::string(m.home.as_str())),
        ("Sources", strings(&m.sources)),
        ("Version", Value::string(m.version.as_str())),
        ("Description", Value::string(m.description.as_str())),
        ("Keywords", strings(&m.keywords)),
        (
            "Maintainers",
            Value::list(m.maintainers.iter().map(maintainer).collect()),
        ),
        ("Icon", Value::string(m.icon.as_str())),
        ("APIVersion", Value::string(m.api_version.as_str())),
        ("Condition", Value::string(m.condition.as_str())),
        ("Tags", Value::string(m.tags.as_str())),
        ("AppVersion", Value::string(m.app_version.as_str())),
        ("Deprecated", Value::Bool(m.deprecated)),
        (
            "Annotations",
            Value::Map(Rc::new(std::cell::RefCell::new(annotations))),
        ),
        ("KubeVersion", Value::string(m.kube_version.as_str())),
        (
            "Dependencies",
            Value::list(m.dependencies.iter().map(dependency).collect()),
        ),
        ("Type", Value::string(m.chart_type.as_str())),
        ("IsRoot", Value::Bool(is_root)),
    ];
    Value::Map(Rc::new(std::cell::RefCell::new(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )))
}

/// `.Capabilities.APIVersions`: a list of group/versions with `Has`.
pub struct VersionSet {
    versions: Vec<String>,
}

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        if name != "Has" {
            return None;
        }
        Some(match args {
            [Value::String(s)] => Ok(Value::Bool(self.versions.iter().any(|v| **v == **s))),
            [other] => Err(wrong_type("string", other)),
            _ => Err(FuncError(format!(
                "wrong number of args for Has: want 1 got {}",
                args.len()
            ))),
        })
    }
    fn display(&self) -> String {
        format!("[{}]", self.versions.join(" "))
    }
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(
            self.versions
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), Value::string(v.as_str())))
                .collect(),
        )
    }
}

/// `.Capabilities`: Kubernetes version, API versions and Helm's version.
pub fn capabilities_object(
    kube_version: &str,
    api_versions: &[String],
    helm_version: &str,
) -> Value {
    let trimmed = kube_version.trim_start_matches('v');
    let mut parts = trimmed.split(['.', '-', '+']);
    let major = parts.next().unwrap_or_default().to_string();
    let minor = parts.next().unwrap_or_default().to_string();
    let (major_text, minor_text) = (major.clone(), minor.clone());
    let kube = Value::Object(Rc::new(Struct::new(
        "common.KubeVersion",
        vec![
            ("Version", Value::string(kube_version)),
            ("Major", Value::string(major)),
            ("Minor", Value::string(minor)),
            ("GitVersion", Value::string(kube_version)),
        ],
        // Helm 4.3 prints the struct: `{v1.20.2  1 20}`.
        Some(format!("{{{kube_version}  {major_text} {minor_text}}}")),
    )));
    let helm = Value::Object(Rc::new(Struct::new(
        "version.BuildInfo",
        vec![
            ("Version", Value::string(helm_version)),
            ("GitCommit", Value::string("")),
            ("GitTreeState", Value::string("")),
            ("GoVersion", Value::string("")),
            ("KubeClientVersion", Value::string("")),
        ],
        // Go's `%v` of `version.BuildInfo{Version, GitCommit, GitTreeState, GoVersion,
        // KubeClientVersion}` with only the version known.
        Some(format!("{{{helm_version}    }}")),
    )));
    let apis = Value::Object(Rc::new(VersionSet {
        versions: api_versions.to_vec(),
    }));
    Value::Object(Rc::new(Struct::new(
        "*common.Capabilities",
        vec![
            ("APIVersions", apis),
            ("KubeVersion", kube),
            ("HelmVersion", helm),
        ],
        None,
    )))
}

/// `.Files`: the chart's non-template files, with Helm's accessor methods.
pub struct Files {
    files: BTreeMap<String, bytes::Bytes>,
    to_yaml: Option<Func>,
}

impl Files {
    /// Files of a chart; `to_yaml` renders `AsConfig`/`AsSecrets` as Helm's `toYaml`.
    pub fn new(from: &[ChartFile], to_yaml: Option<Func>) -> Self {
        Files {
            files: from
                .iter()
                .map(|f| (f.name.clone(), f.data.clone()))
                .collect(),
            to_yaml,
        }
    }

    fn get_bytes(&self, name: &str) -> Option<&bytes::Bytes> {
        self.files.get(name)
    }

    fn glob(&self, pattern: &str) -> Files {
        let matcher = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .or_else(|_| globset::Glob::new("**"))
            .map(|g| g.compile_matcher());
        let files = match matcher {
            Ok(m) => self
                .files
                .iter()
                .filter(|(name, _)| m.is_match(name.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            Err(_) => BTreeMap::new(),
        };
        Files {
            files,
            to_yaml: self.to_yaml,
        }
    }

    fn as_yaml(&self, encode: fn(&[u8]) -> String) -> Result<Value, FuncError> {
        if self.files.is_empty() {
            return Ok(Value::string(""));
        }
        let mut map = BTreeMap::new();
        for (name, data) in &self.files {
            let base = name.rsplit('/').next().unwrap_or(name);
            map.insert(base.to_string(), Value::string(encode(data)));
        }
        let value = Value::Map(Rc::new(std::cell::RefCell::new(map)));
        match self.to_yaml {
            Some(to_yaml) => to_yaml(&[value]),
            None => Err(FuncError("toYaml is not available".into())),
        }
    }
}

fn utf8_lossy(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AsConfig" => Some(
                self.as_yaml(utf8_lossy)
                    .unwrap_or_else(|_| Value::string("")),
            ),
            "AsSecrets" => Some(self.as_yaml(base64).unwrap_or_else(|_| Value::string(""))),
            "Get" | "GetBytes" | "Glob" | "Lines" => None,
            // `files` is a `map[string][]byte`: any other name is a key (nil if absent).
            _ => Some(Value::Bytes(Rc::from(
                self.get_bytes(name).map_or(&[][..], |d| d.as_ref()),
            ))),
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let want_string = |args: &[Value]| -> Result<String, FuncError> {
            match args {
                [Value::String(s)] => Ok(s.to_string()),
                [other] => Err(wrong_type("string", other)),
                _ => Err(FuncError(format!(
                    "wrong number of args for {name}: want 1 got {}",
                    args.len()
                ))),
            }
        };
        Some(match name {
            "Get" => want_string(args).map(|p| {
                Value::string(
                    self.get_bytes(&p)
                        .map(|d| utf8_lossy(d))
                        .unwrap_or_default(),
                )
            }),
            "GetBytes" => want_string(args).map(|p| {
                Value::Bytes(Rc::from(self.get_bytes(&p).map_or(&[][..], |d| d.as_ref())))
            }),
            "Glob" => want_string(args).map(|p| Value::Object(Rc::new(self.glob(&p)))),
            "Lines" => want_string(args).map(|p| match self.get_bytes(&p) {
                None => Value::list(Vec::new()),
                Some(d) => {
                    let text = utf8_lossy(d);
                    let text = text.strip_suffix('\n').unwrap_or(&text);
                    Value::list(text.split('\n').map(Value::string).collect())
                }
            }),
            "AsConfig" => self.as_yaml(utf8_lossy),
            "AsSecrets" => self.as_yaml(base64),
            _ => return None,
        })
    }
    fn display(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|(k, v)| {
                let bytes: Vec<String> = v.iter().map(|b| b.to_string()).collect();
                format!("{k}:[{}]", bytes.join(" "))
            })
            .collect();
        format!("map[{}]", parts.join(" "))
    }
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(
            self.files
                .iter()
                .map(|(k, v)| {
                    (
                        Value::string(k.as_str()),
                        Value::Bytes(Rc::from(v.as_ref())),
                    )
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Files {
        Files::new(
            &[
                ChartFile::new("config/a.conf", b"one\ntwo\n".to_vec()),
                ChartFile::new("config/sub/b.conf", b"b".to_vec()),
                ChartFile::new("README.md", b"r".to_vec()),
            ],
            None,
        )
    }

    #[test]
    fn glob_star_does_not_cross_directories_but_double_star_does() {
        let f = files();
        assert_eq!(f.glob("config/*").files.len(), 1);
        assert_eq!(f.glob("config/**").files.len(), 2);
    }

    #[test]
    fn a_glob_matching_nothing_is_false_and_one_matching_a_file_is_true() {
        let f = files();
        let none = Value::Object(Rc::new(f.glob("dashboards/*.json")));
        let some = Value::Object(Rc::new(f.glob("config/*")));
        assert!(!none.is_truthy());
        assert!(some.is_truthy());
    }

    #[test]
    fn a_struct_object_is_true_even_without_entries() {
        let caps = capabilities_object("v1.20.2", &[], "v4.3.0");
        assert!(caps.is_truthy());
        let Value::Object(c) = caps else { panic!() };
        let Some(apis) = c.field("APIVersions") else {
            panic!()
        };
        assert!(
            !apis.is_truthy(),
            "an empty APIVersions slice is false in Go"
        );
    }

    #[test]
    fn lines_drop_the_final_newline() {
        let f = files();
        let lines = f.call("Lines", &[Value::string("config/a.conf")]);
        let Some(Ok(Value::List(l))) = lines else {
            panic!("no list");
        };
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn get_of_a_missing_file_is_empty() {
        let f = files();
        let got = f.call("Get", &[Value::string("nope")]);
        assert!(matches!(got, Some(Ok(Value::String(s))) if s.is_empty()));
    }

    #[test]
    fn api_versions_has_matches_exactly() {
        let caps = capabilities_object("v1.20.2", &["apps/v1".into()], "v4.3.0");
        let Value::Object(c) = caps else { panic!() };
        let Some(Value::Object(apis)) = c.field("APIVersions") else {
            panic!()
        };
        assert!(matches!(
            apis.call("Has", &[Value::string("apps/v1")]),
            Some(Ok(Value::Bool(true)))
        ));
        assert!(matches!(
            apis.call("Has", &[Value::string("apps")]),
            Some(Ok(Value::Bool(false)))
        ));
        let Some(Value::Object(kube)) = c.field("KubeVersion") else {
            panic!()
        };
        assert_eq!(kube.display(), "{v1.20.2  1 20}");
        assert!(matches!(kube.field("Minor"), Some(Value::String(s)) if &*s == "20"));
    }

    #[test]
    fn files_fields_are_map_keys_as_in_go() {
        let f = files();
        assert!(matches!(f.field("README.md"), Some(Value::Bytes(b)) if &*b == b"r"));
        assert!(matches!(f.field("nope"), Some(Value::Bytes(b)) if b.is_empty()));
        assert!(f.field("Get").is_none());
    }
}
