//! Manifest YAML to JSON, resolved as Kubernetes' decoder does for Helm (`sigs.k8s.io/yaml`,
//! a go-yaml v2 fork: YAML 1.1 plain scalars, then JSON).
//!
//! What differs from `serde_yaml` (YAML 1.2) and matters in real charts: `defaultMode: 0755` is
//! octal (493); `yes`/`no`/`on`/`off`/`y`/`n` are booleans; integers keep their type (they are
//! not floats as in values files); integral floats are written as integers (Go's JSON does so
//! and the API server then reads an integer); timestamps stay strings; map keys become strings;
//! merge keys (`<<`) and aliases are expanded. `.inf`/`.nan` cannot be JSON and are errors.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Upper bound on values copied by alias expansion (guards against "billion laughs").
const MAX_ALIAS_COPIES: usize = 100_000;

const YAML_TAG: &str = "tag:yaml.org,2002:";

/// Parses every document of `text`; empty documents are `Null`.
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut builder = Builder::default();
    Parser::new_from_str(text)
        .load(&mut builder, true)
        .map_err(|e| format!("yaml: line {}: {}", e.marker().line(), e.info()))?;
    match builder.error {
        Some(err) => Err(err),
        None => Ok(builder.documents),
    }
}

enum Frame {
    Seq {
        anchor: usize,
        items: Vec<Value>,
    },
    Map {
        anchor: usize,
        map: Map<String, Value>,
        key: Option<Key>,
        merges: Vec<Map<String, Value>>,
    },
}

enum Key {
    Merge,
    Name(String),
}

#[derive(Default)]
struct Builder {
    documents: Vec<Value>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    /// True when the next scalar event is a map key in plain style `<<`.
    error: Option<String>,
    copies: usize,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        if let Err(message) = self.handle(event) {
            self.error = Some(format!("yaml: line {}: {message}", mark.line()));
        }
    }
}

impl Builder {
    fn handle(&mut self, event: Event) -> Result<(), String> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                if is_key && style == TScalarStyle::Plain && tag.is_none() && text == "<<" {
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some(Key::Merge);
                    }
                    return Ok(());
                }
                let value = resolve(&text, style, tag.as_ref())?;
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.push(value)
            }
            Event::Alias(id) => {
                let value = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| "unknown anchor".to_owned())?;
                self.copies += 1;
                if self.copies > MAX_ALIAS_COPIES {
                    return Err("too many aliases".into());
                }
                self.push(value)
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq {
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map {
                    anchor,
                    map: Map::new(),
                    key: None,
                    merges: Vec::new(),
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { anchor, items }) => self.finish(anchor, Value::Array(items)),
                _ => Err("unbalanced sequence".into()),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    anchor,
                    mut map,
                    merges,
                    ..
                }) => {
                    // Explicit keys win over merged ones; earlier merged maps over later ones.
                    for merged in merges {
                        for (k, v) in merged {
                            map.entry(k).or_insert(v);
                        }
                    }
                    self.finish(anchor, Value::Object(map))
                }
                _ => Err("unbalanced mapping".into()),
            },
            Event::DocumentStart
            | Event::DocumentEnd
            | Event::StreamStart
            | Event::StreamEnd
            | Event::Nothing => Ok(()),
        }
    }

    fn finish(&mut self, anchor: usize, value: Value) -> Result<(), String> {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        self.push(value)
    }

    /// Places a complete value: as a document, a sequence item, a map key or a map value.
    fn push(&mut self, value: Value) -> Result<(), String> {
        match self.stack.last_mut() {
            None => {
                self.documents.push(value);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(value);
                Ok(())
            }
            Some(Frame::Map {
                map, key, merges, ..
            }) => {
                match key.take() {
                    None => {
                        *key = Some(Key::Name(key_string(value)?));
                        Ok(())
                    }
                    Some(Key::Name(name)) => {
                        map.insert(name, value);
                        Ok(())
                    }
                    Some(Key::Merge) => match value {
                        Value::Object(m) => {
                            merges.push(m);
                            Ok(())
                        }
                        Value::Array(list) => {
                            for item in list {
                                match item {
                                    Value::Object(m) => merges.push(m),
                                    _ => return Err(
                                        "map merge requires map or sequence of maps as the value"
                                            .into(),
                                    ),
                                }
                            }
                            Ok(())
                        }
                        _ => Err("map merge requires map or sequence of maps as the value".into()),
                    },
                }
            }
        }
    }
}

/// A JSON object key for a YAML key (Kubernetes' YAML-to-JSON conversion stringifies them).
fn key_string(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Null => Ok("null".into()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Array(_) | Value::Object(_) => Err("invalid map key: a collection".into()),
    }
}

/// The JSON value of one scalar, by style, tag and YAML 1.1 (go-yaml v2) plain rules.
fn resolve(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let tag = tag
        .filter(|t| t.handle == YAML_TAG)
        .map(|t| t.suffix.as_str());
    match tag {
        Some("str" | "binary" | "timestamp") => return Ok(Value::String(text.to_owned())),
        Some("null") => return Ok(Value::Null),
        Some("bool") => {
            return plain_bool(text)
                .map(Value::Bool)
                .ok_or_else(|| format!("cannot decode {text:?} as a !!bool"));
        }
        Some("int") => {
            return plain_int(text).ok_or_else(|| format!("cannot decode {text:?} as an !!int"));
        }
        Some("float") => {
            return plain_number(text)
                .map(|n| float_value(n.1))
                .transpose()?
                .ok_or_else(|| format!("cannot decode {text:?} as a !!float"));
        }
        _ => {}
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text.to_owned()));
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            return Err(format!("{text} cannot be represented in JSON"));
        }
        _ => {}
    }
    if let Some(b) = plain_bool(text) {
        return Ok(Value::Bool(b));
    }
    if text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        if let Some(int) = plain_int(text) {
            return Ok(int);
        }
        if let Some((_, f)) = plain_number(text) {
            return float_value(f);
        }
    }
    Ok(Value::String(text.to_owned()))
}

fn plain_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` (then `ParseUint`) after removing `_`, as go-yaml v2:
/// `0x1F`, `0o17`, `017` (octal), `0b101`, optional sign.
fn plain_int(text: &str) -> Option<Value> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, digits) = match plain.as_bytes().first() {
        Some(b'-') => (true, &plain[1..]),
        Some(b'+') => (false, &plain[1..]),
        _ => (false, plain.as_str()),
    };
    if digits.is_empty() {
        return None;
    }
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest.to_owned())
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest.to_owned())
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest.to_owned())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_owned())
    } else {
        (10, lower)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(&body, radix).ok()?;
    if negative {
        let value = i64::try_from(magnitude)
            .ok()
            .map(|m| -m)
            .or((magnitude == 1 << 63).then_some(i64::MIN))?;
        Some(Value::Number(value.into()))
    } else if let Ok(small) = i64::try_from(magnitude) {
        Some(Value::Number(small.into()))
    } else {
        Some(Value::Number(magnitude.into()))
    }
}

/// go-yaml v2's float form `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` (after
/// removing `_`), parsed.
fn plain_number(text: &str) -> Option<((), f64)> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    let body = plain.strip_prefix(['-', '+']).unwrap_or(&plain);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && frac.chars().all(|c| c.is_ascii_digit()),
        Some((int, frac)) => {
            !int.is_empty()
                && int.chars().all(|c| c.is_ascii_digit())
                && frac.chars().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    plain.parse::<f64>().ok().map(|f| ((), f))
}

/// A float as Kubernetes would read it back from Go's JSON: integral values below 1e21 are
/// written without a fraction, so they arrive as integers.
fn float_value(f: f64) -> Result<Value, String> {
    if !f.is_finite() {
        return Err(format!("{f} cannot be represented in JSON"));
    }
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Ok(Value::Number((f as i64).into()));
    }
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| format!("{f} cannot be represented in JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Value {
        parse_documents(text).unwrap().remove(0)
    }

    #[test]
    fn leading_zero_integers_are_octal_as_in_yaml_1_1() {
        assert_eq!(
            one("mode: 0755\nother: 0644\n"),
            json!({"mode": 493, "other": 420})
        );
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        assert_eq!(
            one("a: \"0755\"\nb: 'yes'\nc: |\n  1\n"),
            json!({"a": "0755", "b": "yes", "c": "1\n"})
        );
    }

    #[test]
    fn yaml_1_1_booleans_and_nulls_resolve() {
        assert_eq!(
            one("a: yes\nb: off\nc: y\nd: ~\ne:\nf: True\n"),
            json!({"a": true, "b": false, "c": true, "d": null, "e": null, "f": true})
        );
    }

    #[test]
    fn integers_stay_integers_and_integral_floats_become_integers() {
        assert_eq!(
            one("a: 3\nb: 1.5\nc: 2.0\nd: 0x1F\ne: 1_000\nf: -7\ng: 1e3\n"),
            json!({"a": 3, "b": 1.5, "c": 2, "d": 31, "e": 1000, "f": -7, "g": 1000})
        );
        assert!(one("a: 3\n")["a"].is_i64());
    }

    #[test]
    fn versions_timestamps_and_words_stay_strings() {
        assert_eq!(
            one("a: 1.2.3\nb: 2001-12-14\nc: 08x\nd: .5.\n"),
            json!({"a": "1.2.3", "b": "2001-12-14", "c": "08x", "d": ".5."})
        );
    }

    #[test]
    fn non_octal_leading_zero_numbers_are_floats_like_go() {
        assert_eq!(one("a: 08\nb: 09.5\n"), json!({"a": 8, "b": 9.5}));
    }

    #[test]
    fn keys_become_strings() {
        assert_eq!(
            one("1: a\ntrue: b\n0x10: c\n"),
            json!({"1": "a", "true": "b", "16": "c"})
        );
    }

    #[test]
    fn explicit_tags_decide_the_type() {
        assert_eq!(
            one("a: !!str 10\nb: !!int \"10\"\n"),
            json!({"a": "10", "b": 10})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys_expand() {
        let text = "base: &b\n  a: 1\n  b: 2\nchild:\n  <<: *b\n  b: 3\nlist: [*b]\n";
        assert_eq!(
            one(text),
            json!({"base": {"a": 1, "b": 2}, "child": {"a": 1, "b": 3}, "list": [{"a": 1, "b": 2}]})
        );
    }

    #[test]
    fn several_documents_and_empty_ones_are_returned_in_order() {
        let docs = parse_documents("a: 1\n---\n# nothing\n---\nb: 2\n").unwrap();
        assert_eq!(docs, [json!({"a": 1}), Value::Null, json!({"b": 2})]);
        assert!(
            parse_documents("# only a comment\n")
                .unwrap()
                .iter()
                .all(Value::is_null)
        );
    }

    #[test]
    fn infinity_and_bad_syntax_are_errors_with_a_line() {
        assert!(parse_documents("a: .inf\n").is_err());
        let err = parse_documents("a: [1,\nb: 2\n").unwrap_err();
        assert!(err.starts_with("yaml: line "), "{err}");
    }
}
