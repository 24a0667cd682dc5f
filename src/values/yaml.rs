//! YAML text to JSON values, resolved the way Helm reads `values.yaml` and `-f` files.
//!
//! Helm counterpart: `sigs.k8s.io/yaml` (a fork of go-yaml v2, YAML 1.1 scalar rules, then a
//! round trip through JSON) called from `pkg/chart/v2/loader.LoadValues`. What follows from
//! that, and what this module reproduces:
//! - plain `y/Y/yes/Yes/YES/on/On/ON/true/True/TRUE` are `true`, the `n/no/off/false` family
//!   `false`; `~`, `null`, `Null`, `NULL` and empty scalars are null;
//! - every number becomes an `f64` (JSON's float64), integers include `0x1F`, `0o17`, `017`
//!   (octal), `0b101` and `1_000`; `.inf` / `.nan` cannot be represented and are an error;
//! - timestamps stay strings; quoted and block scalars are always strings;
//! - map keys become strings (`true`, `1`, …); duplicate keys: the last wins;
//!   merge keys (`<<`) merge the aliased map(s) in, as go-yaml v2 does;
//! - a file holds one or more documents separated by `---` lines; their maps are merged.
//!
//! Deviation: nesting deeper than [`MAX_DEPTH`] (500) is refused; go-yaml allows 10000.
//!
//! It does not write YAML (the engine's `toYaml` does).
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Upper bound on nodes produced by alias expansion (guards against "billion laughs").
const MAX_EXPANDED_NODES: usize = 1_000_000;
/// Deepest nesting accepted. go-yaml allows 10000; values this deep would overflow the
/// stack of every recursive consumer (drop, coalescing, rendering), and real charts stay
/// below 50, so rhelm stops earlier.
pub const MAX_DEPTH: usize = 500;
/// Indentation (columns) beyond which a document is refused outright; the parser could not
/// go that deep even on the large parsing stack.
const MAX_INDENT: usize = 100_000;

/// A YAML document that could not be read, and the line go-yaml names for it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct YamlError {
    /// The line in the whole input text as go-yaml v2 reports it (for syntax errors its own
    /// rule, see `go_yaml_syntax_error`); 0 when go-yaml names no line.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    /// go-yaml's `yaml: line N: MESSAGE`, or `yaml: MESSAGE` without a line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "yaml: {}", self.message),
            line => write!(f, "yaml: line {line}: {}", self.message),
        }
    }
}

/// go-yaml v2's report of a syntax error that yaml-rust2 (also a libyaml port) found at
/// `marker` and described as `info`: libyaml's `problem` text without the "while …"
/// context, and `parser.fail`'s line rule — the problem's 0-based line, plus one for
/// scanner errors, and no line at all when that is line 0. Checked against Helm 4.3's
/// `fromYaml`. `text` is the document, for the name of an unknown alias.
fn go_yaml_syntax_error(text: &str, info: &str, marker: &Marker) -> (usize, String) {
    let problem = match info.split_once(", ") {
        Some((context, rest)) if context.starts_with("while ") => rest,
        _ => info,
    };
    let problem = match problem {
        "expected ',' or ']'" => "did not find expected ',' or ']'",
        "duplicate version directive" => "found duplicate %YAML directive",
        "the handle wasn't declared" => "found undefined tag handle",
        "found a tab" => "found a tab character that violates indentation",
        p if p.starts_with("invalid trailing content after") => "did not find expected key",
        p if p.starts_with("tabs disallowed") || p.starts_with("unexpected character: ") => {
            "found character that cannot start any token"
        }
        "found unknown anchor" => {
            // go-yaml's decoder names the alias and no line.
            let name: String = text
                .chars()
                .skip(marker.index())
                .skip_while(|c| *c == '*')
                .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                .collect();
            return (0, format!("unknown anchor '{name}' referenced"));
        }
        other => other,
    };
    let parser_error = problem.starts_with("did not find expected ")
        || matches!(
            problem,
            "found duplicate %YAML directive"
                | "found undefined tag handle"
                | "found duplicate %TAG directive"
                | "found incompatible YAML document"
        );
    // yaml-rust2 marks an unterminated quoted scalar at its start; libyaml at the end.
    let mark = if problem == "found unexpected end of stream" {
        text.matches('\n').count()
    } else {
        marker.line().saturating_sub(1)
    };
    let line = match mark {
        0 => 0,
        line if parser_error => line,
        line => line + 1,
    };
    (line, problem.to_string())
}

/// Parses a values file: every `---`-separated document must be a map (or empty); the maps
/// are merged in order with [`merge_maps`], as Helm's `LoadValues`.
pub fn parse_values(text: &str) -> Result<Map<String, Value>, YamlError> {
    let mut values = Map::new();
    for (first_line, doc) in split_documents(text) {
        match parse_document_at(doc, first_line)? {
            Value::Null => {}
            Value::Object(map) => values = merge_maps(values, map),
            other => {
                return Err(YamlError {
                    line: first_line,
                    message: format!(
                        "cannot unmarshal {} into a map of values",
                        json_kind(&other)
                    ),
                });
            }
        }
    }
    Ok(values)
}

/// Parses the first YAML document of `text` into a JSON value (Helm's `yaml.Unmarshal` into
/// `interface{}`); an empty document is `Null`.
pub fn parse_document(text: &str) -> Result<Value, YamlError> {
    parse_document_at(text, 1)
}

/// Merges `b` into `a`: maps merge recursively, anything else in `b` replaces (Helm's
/// `loader.MergeMaps`, used between documents and between `-f` files).
pub fn merge_maps(mut a: Map<String, Value>, b: Map<String, Value>) -> Map<String, Value> {
    for (key, value) in b {
        match (a.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => {
                let merged = merge_maps(std::mem::take(existing), incoming);
                *existing = merged;
            }
            (_, value) => {
                a.insert(key, value);
            }
        }
    }
    a
}

/// Splits text into documents at lines starting with `---` followed by nothing but blanks
/// or a comment (Kubernetes' `YAMLReader`), giving each document's first line number.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            if rest.is_empty() || rest.starts_with('#') {
                docs.push((start_line, &text[start..offset]));
                start = offset + line.len();
                start_line = index + 2;
            }
        }
        offset += line.len();
    }
    docs.push((start_line, &text[start..]));
    docs
}

/// Indentation beyond which parsing moves to a thread with a large stack: the YAML parser
/// recurses per nesting level, and deep documents would overflow a normal thread's stack.
const DEEP_INDENT: usize = 128;
/// Stack for parsing deep documents (virtual memory; only touched pages are used).
const DEEP_STACK_BYTES: usize = 512 << 20;

fn parse_document_at(text: &str, first_line: usize) -> Result<Value, YamlError> {
    let (indent_line, indent) = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i, l.len() - l.trim_start_matches(' ').len()))
        .max_by_key(|&(_, n)| n)
        .unwrap_or((0, 0));
    if indent > MAX_INDENT {
        return Err(YamlError {
            line: indent_line + first_line,
            message: format!("exceeded max depth of {MAX_DEPTH}"),
        });
    }
    if indent <= DEEP_INDENT {
        return parse_on_this_thread(text, first_line);
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, || parse_on_this_thread(text, first_line))
            .map_err(|e| YamlError {
                line: first_line,
                message: format!("cannot start parser: {e}"),
            })?
            .join()
            .unwrap_or_else(|_| {
                Err(YamlError {
                    line: first_line,
                    message: "YAML parser failed".into(),
                })
            })
    })
}

fn parse_on_this_thread(text: &str, first_line: usize) -> Result<Value, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| {
        let (line, message) = go_yaml_syntax_error(text, e.info(), e.marker());
        YamlError {
            line: if line == 0 { 0 } else { line + first_line - 1 },
            message,
        }
    })?;
    if let Some((line, message)) = builder.error {
        return Err(YamlError {
            line: line + first_line - 1,
            message,
        });
    }
    match builder.root {
        None => Ok(Value::Null),
        Some(node) => {
            let mut budget = MAX_EXPANDED_NODES;
            to_json(&node, &mut budget).map_err(|(line, message)| YamlError {
                line: line + first_line - 1,
                message,
            })
        }
    }
}

/// A parsed YAML node before scalar resolution.
#[derive(Debug, Clone)]
enum Node {
    Scalar {
        text: String,
        style: TScalarStyle,
        tag: Option<Tag>,
        line: usize,
    },
    Seq(Vec<Rc<Node>>),
    Map {
        entries: Vec<(Rc<Node>, Rc<Node>)>,
        line: usize,
    },
}

enum Frame {
    Seq {
        anchor: usize,
        items: Vec<Rc<Node>>,
    },
    Map {
        anchor: usize,
        line: usize,
        entries: Vec<(Rc<Node>, Rc<Node>)>,
        key: Option<Rc<Node>>,
    },
}

/// Builds the node tree of the first document from parser events, expanding aliases.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Rc<Node>>,
    root: Option<Rc<Node>>,
    error: Option<(usize, String)>,
}

impl Builder {
    fn finish(&mut self, node: Rc<Node>, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, Rc::clone(&node));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Rc::new(Node::Scalar {
                    text,
                    style,
                    tag,
                    line: mark.line(),
                });
                self.finish(node, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    let node = Rc::clone(node);
                    self.finish(node, 0);
                }
                None => self.error = Some((mark.line(), "unknown anchor referenced".into())),
            },
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.error = Some((mark.line(), format!("exceeded max depth of {MAX_DEPTH}")));
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq {
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                anchor,
                line: mark.line(),
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { anchor, items }) => {
                    self.finish(Rc::new(Node::Seq(items)), anchor)
                }
                Some(Frame::Map {
                    anchor,
                    line,
                    entries,
                    ..
                }) => self.finish(Rc::new(Node::Map { entries, line }), anchor),
                None => self.error = Some((mark.line(), "unbalanced collection end".into())),
            },
            _ => {}
        }
    }
}

type ConvertError = (usize, String);

fn to_json(node: &Node, budget: &mut usize) -> Result<Value, ConvertError> {
    if *budget == 0 {
        return Err((
            node_line(node),
            "document contains excessive aliasing".into(),
        ));
    }
    *budget -= 1;
    match node {
        Node::Scalar {
            text,
            style,
            tag,
            line,
        } => {
            let scalar = resolve_scalar(text, *style, tag.as_ref());
            scalar_to_json(scalar).map_err(|m| (*line, m))
        }
        Node::Seq(items) => items
            .iter()
            .map(|item| to_json(item, budget))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Node::Map { entries, line } => {
            let mut map = Map::new();
            for (key, value) in entries {
                if is_merge_key(key) {
                    merge_into(&mut map, value, budget, *line)?;
                    continue;
                }
                let key = key_string(key)?;
                let value = to_json(value, budget)?;
                map.insert(key, value);
            }
            Ok(Value::Object(map))
        }
    }
}

/// `<<: *a` or `<<: [*a, *b]`: copy keys in (go-yaml v2 overwrites keys set before the
/// merge; in a list, earlier maps win over later ones).
fn merge_into(
    map: &mut Map<String, Value>,
    value: &Node,
    budget: &mut usize,
    line: usize,
) -> Result<(), ConvertError> {
    match value {
        Node::Map { .. } => {
            if let Value::Object(merged) = to_json(value, budget)? {
                map.extend(merged);
            }
            Ok(())
        }
        Node::Seq(items) => {
            for item in items.iter().rev() {
                match &**item {
                    Node::Map { .. } => merge_into(map, item, budget, line)?,
                    _ => {
                        return Err((
                            line,
                            "map merge requires map or sequence of maps as the value".into(),
                        ));
                    }
                }
            }
            Ok(())
        }
        _ => Err((
            line,
            "map merge requires map or sequence of maps as the value".into(),
        )),
    }
}

fn is_merge_key(node: &Node) -> bool {
    matches!(node, Node::Scalar { text, style: TScalarStyle::Plain, tag: None, .. } if text == "<<")
}

fn node_line(node: &Node) -> usize {
    match node {
        Node::Scalar { line, .. } | Node::Map { line, .. } => *line,
        Node::Seq(items) => items.first().map(|n| node_line(n)).unwrap_or(0),
    }
}

/// Keys are stringified as `sigs.k8s.io/yaml` does before building JSON.
fn key_string(node: &Node) -> Result<String, ConvertError> {
    match node {
        Node::Scalar {
            text,
            style,
            tag,
            line,
        } => match resolve_scalar(text, *style, tag.as_ref()) {
            Scalar::Str(s) => Ok(s),
            Scalar::Bool(b) => Ok(b.to_string()),
            Scalar::Int(i) => Ok(i.to_string()),
            Scalar::Uint(u) => Ok(u.to_string()),
            Scalar::Float(f) => Ok(format_float32_key(f)),
            Scalar::Null => Err((*line, "unsupported map key of type nil".into())),
        },
        Node::Seq(_) | Node::Map { .. } => {
            Err((node_line(node), "invalid map key: a collection".into()))
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)` with go-yaml's names for infinities.
fn format_float32_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let f32v = f as f32;
    // Shortest round-trip digits of the f32, then Go's %g layout (exponent < -4 or >= 6).
    let sci = format!("{f32v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f32v}")
    }
}

/// A resolved scalar, before the JSON round trip turns numbers into floats.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

fn scalar_to_json(scalar: Scalar) -> Result<Value, String> {
    let float = |f: f64| {
        Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("json: unsupported value: {f}"))
    };
    match scalar {
        Scalar::Null => Ok(Value::Null),
        Scalar::Bool(b) => Ok(Value::Bool(b)),
        Scalar::Int(i) => float(i as f64),
        Scalar::Uint(u) => float(u as f64),
        Scalar::Float(f) => float(f),
        Scalar::Str(s) => Ok(Value::String(s)),
    }
}

fn resolve_scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Scalar {
    if let Some(tag) = tag {
        let suffix = tag.suffix.as_str();
        match suffix {
            "str" => return Scalar::Str(text.to_string()),
            "binary" => {
                use base64::Engine as _;
                let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(cleaned) {
                    return Scalar::Str(String::from_utf8_lossy(&bytes).into_owned());
                }
                return Scalar::Str(text.to_string());
            }
            _ => return resolve_plain(text),
        }
    }
    match style {
        TScalarStyle::Plain => resolve_plain(text),
        _ => Scalar::Str(text.to_string()),
    }
}

/// go-yaml v2's `resolve` for an untagged plain scalar.
fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Scalar::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Scalar::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let Some(first) = text.chars().next() else {
        return Scalar::Null;
    };
    if first.is_ascii_digit() || first == '+' || first == '-' || first == '.' {
        let plain: String = text.chars().filter(|&c| c != '_').collect();
        if first != '.' {
            if let Some(i) = go_parse_int(&plain) {
                return Scalar::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                return Scalar::Uint(u);
            }
        }
        if is_yaml_float(&plain)
            && let Ok(f) = plain.parse::<f64>()
        {
            return Scalar::Float(f);
        }
    }
    Scalar::Str(text.to_string())
}

/// Go's `strconv.ParseInt(s, 0, 64)` (prefixes 0x, 0o, 0b and a leading 0 for octal).
fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(body)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some(
                (magnitude as i128)
                    .checked_neg()
                    .and_then(|v| i64::try_from(v).ok())?,
            )
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
fn go_parse_uint(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (radix, digits) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// go-yaml v2's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Writes a JSON value as block YAML that reads back identically under the YAML 1.1 rules
/// above: map keys sorted, strings quoted (JSON style) whenever a plain scalar would resolve
/// to something else or need escaping. For files rhelm writes (`Chart.yaml`, `Chart.lock`);
/// it is not byte-compatible with go-yaml's output, only data-compatible.
pub fn to_yaml_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string_text(key));
        out.push(':');
        write_child(out, value, indent, true);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // First key on the dash line, the rest aligned under it.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        out.push_str(&" ".repeat(indent + 2));
                    }
                    out.push_str(&string_text(key));
                    out.push(':');
                    write_child(out, value, indent + 2, true);
                }
            }
            other => write_child(out, other, indent, false),
        }
    }
}

/// Writes what follows `key:` or `-`: a nested block on the next lines, or ` scalar`.
fn write_child(out: &mut String, value: &Value, indent: usize, in_map: bool) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            // go-yaml style: a list under a key is not indented further.
            write_seq(out, items, if in_map { indent } else { indent + 2 });
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::String(s) => string_text(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

fn string_text(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/:@+-=".contains(c))
        && !s.starts_with(['-', ':', '@', '='])
        && !s.ends_with(':')
        && !s.contains(": ")
        && resolve_plain(s) == Scalar::Str(s.to_string());
    if plain_ok {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(text: &str) -> Value {
        parse_document(text).unwrap()
    }

    #[test]
    fn yaml_1_1_booleans_resolve_like_go_yaml_v2() {
        let v = doc("a: yes\nb: On\nc: n\nd: OFF\ne: True\nf: 'yes'\ng: maybe\n");
        assert_eq!(
            v,
            json!({"a": true, "b": true, "c": false, "d": false, "e": true, "f": "yes", "g": "maybe"})
        );
    }

    #[test]
    fn every_number_becomes_a_float() {
        let v =
            doc("i: 3\nh: 0x1F\no: 017\noo: 0o17\nb: 0b101\nu: 1_000\nf: 1.5\ne: 1e3\nneg: -4\n");
        assert_eq!(v["i"].as_f64(), Some(3.0));
        assert!(v["i"].is_f64());
        assert_eq!(v["h"].as_f64(), Some(31.0));
        assert_eq!(v["o"].as_f64(), Some(15.0));
        assert_eq!(v["oo"].as_f64(), Some(15.0));
        assert_eq!(v["b"].as_f64(), Some(5.0));
        assert_eq!(v["u"].as_f64(), Some(1000.0));
        assert_eq!(v["f"].as_f64(), Some(1.5));
        assert_eq!(v["e"].as_f64(), Some(1000.0));
        assert_eq!(v["neg"].as_f64(), Some(-4.0));
    }

    #[test]
    fn quoted_block_and_odd_scalars_stay_strings() {
        let v = doc("a: \"3\"\nb: |\n  x\nc: 2021-01-01\nd: 1.2.3\ne: 08a\nf: !!str 5\n");
        assert_eq!(
            v,
            json!({"a": "3", "b": "x\n", "c": "2021-01-01", "d": "1.2.3", "e": "08a", "f": "5"})
        );
    }

    #[test]
    fn nulls_are_kept_as_json_null() {
        assert_eq!(
            doc("a:\nb: ~\nc: Null\n"),
            json!({"a": null, "b": null, "c": null})
        );
    }

    #[test]
    fn a_bare_y_key_is_the_boolean_true_as_in_helm() {
        assert_eq!(doc("y: 1\n"), json!({"true": 1.0}));
    }

    #[test]
    fn non_string_keys_are_stringified() {
        assert_eq!(
            doc("1: a\nyes: b\n1.5: c\n"),
            json!({"1": "a", "true": "b", "1.5": "c"})
        );
    }

    #[test]
    fn infinity_cannot_be_represented() {
        let err = parse_document("a:\n  b: .inf\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn anchors_aliases_and_merge_keys_expand() {
        let v = doc("base: &b {p: 1, q: 2}\nc:\n  <<: *b\n  q: 3\nl: [*b]\n");
        assert_eq!(v["c"], json!({"p": 1.0, "q": 3.0}));
        assert_eq!(v["l"], json!([{"p": 1.0, "q": 2.0}]));
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        assert_eq!(doc("a: 1\na: 2\n"), json!({"a": 2.0}));
    }

    #[test]
    fn documents_are_merged_into_one_values_map() {
        let v = parse_values("a:\n  p: 1\n  q: 2\n---\na:\n  q: 3\nb: [1]\n--- # c\n").unwrap();
        assert_eq!(
            Value::Object(v),
            json!({"a": {"p": 1.0, "q": 3.0}, "b": [1.0]})
        );
    }

    #[test]
    fn syntax_errors_report_the_absolute_line() {
        let err = parse_values("a: 1\n---\nb: 2\nc: [\n").unwrap_err();
        assert!(err.line >= 4, "{err}");
        assert!(err.to_string().starts_with("yaml: line"));
    }

    #[test]
    fn syntax_errors_read_as_go_yaml_v2_reports_them() {
        // Each text is what Helm 4.3's `fromYaml` put under "Error" (after
        // "error converting YAML to JSON: ") for the same input.
        for (input, expected) in [
            (
                "a: b: c",
                "yaml: mapping values are not allowed in this context",
            ),
            (
                "x: 1\na: b: c",
                "yaml: line 2: mapping values are not allowed in this context",
            ),
            ("a: [", "yaml: line 1: did not find expected node content"),
            ("a: [b", "yaml: line 1: did not find expected ',' or ']'"),
            ("{a: 1", "yaml: line 1: did not find expected ',' or '}'"),
            (
                "a:\n\tb: 1",
                "yaml: line 2: found character that cannot start any token",
            ),
            ("a: 'unterminated", "yaml: found unexpected end of stream"),
            (
                "kind: \"Pod\n",
                "yaml: line 2: found unexpected end of stream",
            ),
            (
                "- a\nb: c",
                "yaml: line 1: did not find expected '-' indicator",
            ),
            (
                "a:\n  b: 1\n c: 2",
                "yaml: line 2: did not find expected key",
            ),
            ("a: ]", "yaml: did not find expected node content"),
            (
                "a: &x\n  b: *x\nc: *y",
                "yaml: unknown anchor 'y' referenced",
            ),
            ("a: @x", "yaml: found character that cannot start any token"),
            (
                "%YAML 1.1\n%YAML 1.1\n---\na: 1",
                "yaml: line 1: found duplicate %YAML directive",
            ),
            ("a: \"\\q\"", "yaml: found unknown escape character"),
            (
                "x: 1\n\n\nz: {a: 1,,}",
                "yaml: line 3: did not find expected node content",
            ),
            ("a: 'x'y", "yaml: did not find expected key"),
            ("a: !x!y z", "yaml: found undefined tag handle"),
        ] {
            let err = parse_document(input).map(|_| ()).map_err(|e| e.to_string());
            assert_eq!(err, Err(expected.to_string()), "{input:?}");
        }
    }

    #[test]
    fn a_values_document_that_is_a_list_is_rejected() {
        assert!(parse_values("- a\n").is_err());
    }

    #[test]
    fn empty_and_comment_only_files_are_empty_maps() {
        assert!(parse_values("").unwrap().is_empty());
        assert!(parse_values("# nothing\n").unwrap().is_empty());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        assert!(parse_document(&text).is_err());
    }

    #[test]
    fn written_yaml_reads_back_as_the_same_data() {
        let v = json!({
            "b": ["yes", "on", "1.10", "~", "", "a: b", "#x", "line\nbreak", "-x", "plain/text-1.0"],
            "a": {"n": 3.0, "f": 1.5, "t": true, "z": null, "e": {}, "l": []},
            "list": [{"k": 1.0, "m": {"x": "w"}}, [1.0, 2.0], "s"],
            "weird key: yes": "v"
        });
        let text = to_yaml_string(&v);
        assert_eq!(parse_document(&text).unwrap(), v, "{text}");
        assert!(text.contains("\nlist:\n- k: 1\n  m:\n    x: w\n"), "{text}");
    }

    #[test]
    fn deep_block_nesting_parses_up_to_the_limit_and_fails_beyond() {
        let nest = |depth: usize| {
            (0..depth)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>()
                + &" ".repeat(depth)
                + "leaf: 1\n"
        };
        assert!(parse_document(&nest(MAX_DEPTH - 5)).is_ok());
        let err = parse_document(&nest(3000)).unwrap_err();
        assert!(err.message.contains("max depth"), "{err}");
        let too_wide = format!("a:\n{}b: 1\n", " ".repeat(MAX_INDENT + 1));
        let err = parse_document(&too_wide).unwrap_err();
        assert!(err.message.contains("max depth"), "{err}");
        assert_eq!(err.line, 2);
        // Deep indentation inside a block scalar is text, not nesting.
        let block = format!("a: |\n  x\n{}y\n", " ".repeat(600));
        assert!(parse_document(&block).is_ok());
    }

    #[test]
    fn absurdly_deep_nesting_is_an_error_not_a_crash() {
        let text = format!("a: {}{}\n", "[".repeat(20_000), "]".repeat(20_000));
        let err = parse_document(&text).unwrap_err();
        assert!(
            err.message.contains("depth") || err.message.contains("recursion limit"),
            "{err}"
        );
        // An error on the first line names no line, as in go-yaml.
        assert_eq!(err.line, 0);
    }

    proptest::proptest! {
        #[test]
        fn the_parser_never_panics(input in "[a-z0-9:{}\\[\\],&*!|>'\"#\\- \n<.~]{0,80}") {
            let _ = parse_values(&input);
        }

        #[test]
        fn written_values_read_back_identically(
            keys in proptest::collection::vec("[ -~]{0,8}", 1..5),
            strings in proptest::collection::vec("[ -~\n]{0,12}", 1..5),
        ) {
            let map: Map<String, Value> = keys.into_iter().zip(strings.into_iter().map(Value::String)).collect();
            let v = Value::Object(map);
            let text = to_yaml_string(&v);
            proptest::prop_assert_eq!(parse_document(&text).unwrap(), v, "{}", text);
        }
    }

    #[test]
    fn float_keys_use_go_float32_formatting() {
        assert_eq!(format_float32_key(1e6), "1e+06");
        assert_eq!(format_float32_key(0.5), "0.5");
    }
}
