//! JSON in templates: Go's `encoding/json` output and input, as Helm and Sprig use it.
//!
//! Helm counterpart: `toJson`/`fromJson`/`fromJsonArray`/`mustToJson` in
//! `pkg/engine/funcs.go`, Sprig's `toPrettyJson`/`toRawJson`, and Go's `encoding/json`
//! (`encode.go`: sorted keys, `<`, `>`, `&`, U+2028/U+2029 escaped, floats in `%f` form
//! unless the exponent is < -6 or >= 21). Decoding turns every number into `float64`.
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::rc::Rc;

use super::super::gofmt::format_float_shortest;
use super::super::value::{Func, FuncError, Value};
use super::{FuncResult, args, str_arg, string_value};

/// Registers the JSON functions (Helm's and Sprig's).
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("toJson", to_json),
        ("mustToJson", must_to_json),
        ("toPrettyJson", to_pretty_json),
        ("mustToPrettyJson", must_to_pretty_json),
        ("toRawJson", to_raw_json),
        ("mustToRawJson", must_to_raw_json),
        ("fromJson", from_json),
        ("mustFromJson", must_from_json),
        ("fromJsonArray", from_json_array),
    ];
    m.extend(fs.iter().copied());
}

/// How to write JSON: Go's `json.Marshal`, `MarshalIndent(v, "", "  ")`, or an encoder
/// with `SetEscapeHTML(false)`.
#[derive(Clone, Copy)]
pub struct JsonStyle {
    /// Escape `<`, `>`, `&` as `\u003c` etc. (Go's default).
    pub escape_html: bool,
    /// Indent nested values by two spaces per level.
    pub pretty: bool,
}

impl JsonStyle {
    /// `json.Marshal`.
    pub const COMPACT: JsonStyle = JsonStyle {
        escape_html: true,
        pretty: false,
    };
}

/// Encodes a value as Go's `encoding/json` does; fails on NaN or infinities
/// (`json: unsupported value: NaN`).
pub fn encode_json(v: &Value, style: JsonStyle) -> Result<String, FuncError> {
    let mut out = String::new();
    write_json(&mut out, v, style, 0)?;
    Ok(out)
}

/// Go's `encoding/json` float formatting.
pub fn format_json_float(f: f64) -> Result<String, FuncError> {
    if f.is_nan() || f.is_infinite() {
        return Err(FuncError(format!(
            "json: unsupported value: {}",
            format_float_shortest(f)
        )));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return Ok(format!("{mant}e{sign}{}", exp.unsigned_abs()));
    }
    if f == 0.0 {
        return Ok(if f.is_sign_negative() { "-0" } else { "0" }.to_string());
    }
    // Shortest round-trip digits in positional form.
    let s = format!("{f}");
    Ok(s)
}

fn write_indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_json(
    out: &mut String,
    v: &Value,
    style: JsonStyle,
    depth: usize,
) -> Result<(), FuncError> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) | Value::TypedInt(_, n) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&format_json_float(*f)?),
        Value::String(s) => write_json_string(out, s, style.escape_html),
        Value::Bytes(b) => {
            use base64::Engine;
            let enc = base64::engine::general_purpose::STANDARD.encode(b);
            write_json_string(out, &enc, style.escape_html);
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if style.pretty {
                    write_indent(out, depth + 1);
                }
                write_json(out, item, style, depth + 1)?;
            }
            if style.pretty && !items.is_empty() {
                write_indent(out, depth);
            }
            out.push(']');
        }
        Value::Map(map) => {
            let map = map.borrow();
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if style.pretty {
                    write_indent(out, depth + 1);
                }
                write_json_string(out, k, style.escape_html);
                out.push(':');
                if style.pretty {
                    out.push(' ');
                }
                write_json(out, item, style, depth + 1)?;
            }
            if style.pretty && !map.is_empty() {
                write_indent(out, depth);
            }
            out.push('}');
        }
        Value::Object(o) => match object_as_data(o.as_ref()) {
            Some(data) => write_json(out, &data, style, depth)?,
            None => write_json_string(out, &o.display(), style.escape_html),
        },
    }
    Ok(())
}

/// How `encoding/json` marshals the Go types our objects stand for: `time.Time` as an
/// RFC 3339 string, `time.Duration` as nanoseconds, `*semver.Version` as its string,
/// Sprig's certificate as `{"Cert","Key"}`. `None` for other objects (engine objects
/// marshal as their display text).
pub fn object_as_data(o: &dyn super::super::value::Object) -> Option<Value> {
    match o.type_name() {
        "time.Time" => match o.call(
            "Format",
            &[Value::string("2006-01-02T15:04:05.999999999Z07:00")],
        ) {
            Some(Ok(v)) => Some(v),
            _ => None,
        },
        "time.Duration" => o.field("Nanoseconds"),
        "*semver.Version" => Some(string_value(o.display())),
        "sprig.certificate" => {
            let m = Value::empty_map();
            if let Value::Map(inner) = &m {
                let mut inner = inner.borrow_mut();
                inner.insert("Cert".into(), o.field("Cert").unwrap_or(Value::Nil));
                inner.insert("Key".into(), o.field("Key").unwrap_or(Value::Nil));
            }
            Some(m)
        }
        _ => None,
    }
}

/// Go's `encoding/json` string escaping.
pub fn write_json_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Converts decoded JSON into a template value the way Go's `json.Unmarshal` into
/// `interface{}` does: every number becomes `float64`.
pub fn value_from_json_f64(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => string_value(s.as_str()),
        serde_json::Value::Array(items) => {
            Value::list(items.iter().map(value_from_json_f64).collect())
        }
        serde_json::Value::Object(map) => Value::Map(Rc::new(RefCell::new(
            map.iter()
                .map(|(k, v)| (k.clone(), value_from_json_f64(v)))
                .collect::<BTreeMap<_, _>>(),
        ))),
    }
}

/// A Go-like message for a JSON syntax error.
fn json_error(text: &str, e: &serde_json::Error) -> String {
    if let Some(syntax) = go_json_syntax_error(text) {
        return syntax;
    }
    if e.is_eof() {
        "unexpected end of JSON input".to_string()
    } else {
        format!(
            "invalid character at line {} column {}: {e}",
            e.line(),
            e.column()
        )
    }
}

/// Go's `quoteChar`: a character of the input in single quotes, as `strconv.Quote`
/// writes it.
fn go_quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        _ => {
            let quoted = super::super::lex::go_quote(&c.to_string());
            format!("'{}'", &quoted[1..quoted.len() - 1])
        }
    }
}

/// encoding/json's syntax check, which runs before decoding, with the texts Helm 4.3's
/// Go prints: the message for the first character that cannot continue the text, or for
/// its premature end; `None` if the text is valid JSON.
fn go_json_syntax_error(text: &str) -> Option<String> {
    let mut scan = JsonScan {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let result = scan.value().and_then(|()| {
        scan.skip_space();
        match scan.peek() {
            None => Ok(()),
            Some(_) => Err(scan.fail_here("after top-level value")),
        }
    });
    match result {
        Ok(()) => None,
        Err(None) => Some("unexpected end of JSON input".to_string()),
        Err(Some(message)) => Some(message),
    }
}

/// A JSON syntax failure: Go's message, or `None` for the end of the input.
type ScanFailure = Option<String>;

struct JsonScan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl JsonScan<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Result<u8, ScanFailure> {
        let b = self.peek().ok_or(None)?;
        self.pos += 1;
        Ok(b)
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// `invalid character C CONTEXT` for the character at the current position.
    fn fail_here(&self, context: &str) -> ScanFailure {
        let c = self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        Some(format!("invalid character {} {context}", go_quote_char(c)))
    }

    /// [`Self::fail_here`] for the byte just read.
    fn fail_last<T>(&mut self, context: &str) -> Result<T, ScanFailure> {
        self.pos -= 1;
        Err(self.fail_here(context))
    }

    fn value(&mut self) -> Result<(), ScanFailure> {
        self.skip_space();
        match self.next()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string(),
            b'-' => match self.next()? {
                b'0'..=b'9' => self.number(),
                _ => self.fail_last("in numeric literal"),
            },
            b'0'..=b'9' => self.number(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.fail_last("looking for beginning of value"),
        }
    }

    fn object(&mut self) -> Result<(), ScanFailure> {
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            match self.next()? {
                b'"' => self.string()?,
                _ => return self.fail_last("looking for beginning of object key string"),
            }
            self.skip_space();
            if self.next()? != b':' {
                return self.fail_last("after object key");
            }
            self.value()?;
            self.skip_space();
            match self.next()? {
                b',' => self.skip_space(),
                b'}' => return Ok(()),
                _ => return self.fail_last("after object key:value pair"),
            }
        }
    }

    fn array(&mut self) -> Result<(), ScanFailure> {
        self.skip_space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value()?;
            self.skip_space();
            match self.next()? {
                b',' => {}
                b']' => return Ok(()),
                _ => return self.fail_last("after array element"),
            }
        }
    }

    fn string(&mut self) -> Result<(), ScanFailure> {
        loop {
            let start = self.pos;
            match self.next()? {
                b'"' => return Ok(()),
                b'\\' => {
                    let valid = match self.next()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => true,
                        b'u' => {
                            let mut hex = true;
                            for _ in 0..4 {
                                hex &= self.next()?.is_ascii_hexdigit();
                            }
                            hex
                        }
                        _ => false,
                    };
                    if !valid {
                        let sequence = self.text.get(start..self.pos).unwrap_or_default();
                        return Err(Some(format!(
                            "invalid escape sequence `{sequence}` in string"
                        )));
                    }
                }
                b if b < 0x20 => return self.fail_last("in string"),
                _ => {}
            }
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    /// The rest of a number whose first digit has been read; the byte after it is the
    /// caller's to check.
    fn number(&mut self) -> Result<(), ScanFailure> {
        if self.bytes.get(self.pos - 1) != Some(&b'0') {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.next()?.is_ascii_digit() {
                return self.fail_last("in numeric literal");
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let mut b = self.next()?;
            if b == b'+' || b == b'-' {
                b = self.next()?;
            }
            if !b.is_ascii_digit() {
                return self.fail_last("in numeric literal");
            }
            self.digits();
        }
        Ok(())
    }

    /// `true`, `false` or `null`, whose first byte has been read.
    fn literal(&mut self, word: &str) -> Result<(), ScanFailure> {
        for expected in word.chars().skip(1) {
            if self.next()? != expected as u8 {
                let context = format!("in literal {word} (expecting {})", go_quote_char(expected));
                return self.fail_last(&context);
            }
        }
        Ok(())
    }
}

fn go_json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Go's `json.Unmarshal(text, &map[string]interface{})`.
pub fn decode_json_map(text: &str) -> Result<Value, String> {
    let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
    match &parsed {
        serde_json::Value::Object(_) => Ok(value_from_json_f64(&parsed)),
        serde_json::Value::Null => Ok(Value::empty_map()),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            go_json_type(other)
        )),
    }
}

/// Go's `json.Unmarshal(text, &[]interface{})`.
pub fn decode_json_list(text: &str) -> Result<Value, String> {
    let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
    match &parsed {
        serde_json::Value::Array(_) => Ok(value_from_json_f64(&parsed)),
        serde_json::Value::Null => Ok(Value::list(Vec::new())),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            go_json_type(other)
        )),
    }
}

fn to_json_with(name: &str, a: &[Value], style: JsonStyle, must: bool) -> FuncResult {
    let [v] = args::<1>(name, a)?;
    match encode_json(v, style) {
        Ok(s) => Ok(string_value(s)),
        Err(e) if must => Err(e),
        Err(_) => Ok(string_value("")),
    }
}

fn to_json(a: &[Value]) -> FuncResult {
    to_json_with("toJson", a, JsonStyle::COMPACT, false)
}

fn must_to_json(a: &[Value]) -> FuncResult {
    to_json_with("mustToJson", a, JsonStyle::COMPACT, true)
}

const PRETTY: JsonStyle = JsonStyle {
    escape_html: true,
    pretty: true,
};

const RAW: JsonStyle = JsonStyle {
    escape_html: false,
    pretty: false,
};

fn to_pretty_json(a: &[Value]) -> FuncResult {
    to_json_with("toPrettyJson", a, PRETTY, false)
}

fn must_to_pretty_json(a: &[Value]) -> FuncResult {
    to_json_with("mustToPrettyJson", a, PRETTY, true)
}

fn to_raw_json(a: &[Value]) -> FuncResult {
    // Unlike `toJson`, Sprig's `toRawJson` panics on an encoding error, and templates see
    // the panic as the call's error (checked against Helm 4.3).
    to_json_with("toRawJson", a, RAW, true)
}

fn must_to_raw_json(a: &[Value]) -> FuncResult {
    to_json_with("mustToRawJson", a, RAW, true)
}

fn from_json(a: &[Value]) -> FuncResult {
    let [s] = args::<1>("fromJson", a)?;
    match decode_json_map(str_arg(s)?) {
        Ok(v) => Ok(v),
        Err(e) => {
            let m = Value::empty_map();
            if let Value::Map(inner) = &m {
                inner.borrow_mut().insert("Error".into(), string_value(e));
            }
            Ok(m)
        }
    }
}

fn must_from_json(a: &[Value]) -> FuncResult {
    let [s] = args::<1>("mustFromJson", a)?;
    let text = str_arg(s)?;
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|e| FuncError(json_error(text, &e)))?;
    Ok(value_from_json_f64(&parsed))
}

fn from_json_array(a: &[Value]) -> FuncResult {
    let [s] = args::<1>("fromJsonArray", a)?;
    match decode_json_list(str_arg(s)?) {
        Ok(v) => Ok(v),
        Err(e) => Ok(Value::list(vec![string_value(e)])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_read_as_helms_encoding_json_reports_them() {
        // Each text is what Helm 4.3's `fromJson` put under "Error" for the same input.
        for (input, expected) in [
            ("{", "unexpected end of JSON input"),
            ("", "unexpected end of JSON input"),
            ("1.", "unexpected end of JSON input"),
            ("{} x", "invalid character 'x' after top-level value"),
            ("01", "invalid character '1' after top-level value"),
            (
                "{\"a\": tru}",
                "invalid character '}' in literal true (expecting 'e')",
            ),
            (
                "nulx",
                "invalid character 'x' in literal null (expecting 'l')",
            ),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            (
                "'x'",
                "invalid character '\\'' looking for beginning of value",
            ),
            (
                "{\"é\": ü}",
                "invalid character 'ü' looking for beginning of value",
            ),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\":1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            (
                "{\"a\":1 \"b\"}",
                "invalid character '\"' after object key:value pair",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            ("\"a\\qb\"", "invalid escape sequence `\\q` in string"),
            ("\"\\u12g4\"", "invalid escape sequence `\\u12g4` in string"),
            ("\"a\tb\"", "invalid character '\\t' in string"),
            ("-x", "invalid character 'x' in numeric literal"),
            ("1.e5", "invalid character 'e' in numeric literal"),
            ("1ex", "invalid character 'x' in numeric literal"),
        ] {
            assert_eq!(
                decode_json_map(input).map(|_| ()),
                Err(expected.to_string()),
                "{input:?}"
            );
        }
        assert_eq!(
            go_json_syntax_error("{\"a\": [1, 2.5e-3, \"\\u00e9\"]}"),
            None
        );
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        let m = Value::empty_map();
        if let Value::Map(inner) = &m {
            for (k, v) in pairs {
                inner.borrow_mut().insert((*k).to_string(), v.clone());
            }
        }
        m
    }

    #[test]
    fn to_json_sorts_keys_and_escapes_html() {
        let v = map(&[
            ("b", Value::string("<a&b>")),
            (
                "a",
                Value::list(vec![Value::Int(1), Value::Nil, Value::Bool(true)]),
            ),
        ]);
        assert_eq!(
            encode_json(&v, JsonStyle::COMPACT).unwrap(),
            r#"{"a":[1,null,true],"b":"\u003ca\u0026b\u003e"}"#
        );
        assert_eq!(
            encode_json(&v, RAW).unwrap(),
            r#"{"a":[1,null,true],"b":"<a&b>"}"#
        );
    }

    #[test]
    fn floats_are_formatted_like_encoding_json() {
        let cases = [
            (1_000_000.0, "1000000"),
            (1.5, "1.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-2.5e-10, "-2.5e-10"),
            (0.1, "0.1"),
        ];
        for (f, want) in cases {
            assert_eq!(format_json_float(f).unwrap(), want);
        }
        assert!(format_json_float(f64::NAN).is_err());
    }

    #[test]
    fn pretty_json_indents_two_spaces() {
        let v = map(&[
            ("a", Value::list(vec![Value::Int(1)])),
            ("b", Value::empty_map()),
        ]);
        assert_eq!(
            encode_json(&v, PRETTY).unwrap(),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}"
        );
    }

    #[test]
    fn from_json_makes_floats_and_reports_errors_in_the_map() {
        let v = from_json(&[Value::string(r#"{"a":1,"b":[2]}"#)]).unwrap();
        let Value::Map(m) = v else {
            panic!("not a map")
        };
        assert!(matches!(m.borrow().get("a"), Some(Value::Float(f)) if *f == 1.0));
        let bad = from_json(&[Value::string("{")]).unwrap();
        let Value::Map(m) = bad else {
            panic!("not a map")
        };
        assert!(m.borrow().contains_key("Error"));
        let arr = from_json_array(&[Value::string("[1,\"x\"]")]).unwrap();
        assert!(matches!(arr, Value::List(l) if l.len() == 2));
        assert!(must_from_json(&[Value::string("{")]).is_err());
    }
}
