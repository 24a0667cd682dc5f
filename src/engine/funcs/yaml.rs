//! YAML in templates: Helm's `toYaml` byte for byte, `toYamlPretty`, `fromYaml`,
//! `fromYamlArray`, and TOML's `toToml`/`fromToml`.
//!
//! Helm counterpart: `pkg/engine/funcs.go`. `toYaml` is `sigs.k8s.io/yaml.Marshal`:
//! `encoding/json` first (so floats become JSON numbers, then re-read as int or float),
//! then go-yaml v2's emitter. This module re-implements that emitter's decisions: map keys
//! in go-yaml's "natural" order (`a2` before `a10`), sequences in maps not indented,
//! plain/single/double-quoted/literal style per `yaml_emitter_analyze_scalar`, strings
//! that would read back as another type (`"true"`, `"1.0"`, `""`, `"yes"`) double-quoted,
//! and long lines folded at spaces past column 80 as go-yaml does. `toYamlPretty` is
//! go-yaml v3 with two-space indent (sequences indented, floats via `%g`, no folding).
//! `fromYaml` parses with `values::parse_document` (go-yaml v2 scalars: `yes`/`on` are
//! booleans) and, like Helm's JSON round trip, makes every number a `float64`.
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::rc::Rc;

use super::super::gofmt::format_float_shortest;
use super::super::value::{Func, FuncError, Value};
use super::json::{format_json_float, value_from_json_f64};
use super::{FuncResult, args, str_arg, string_value};

/// Registers Helm's YAML and TOML functions.
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("toYaml", to_yaml),
        ("mustToYaml", must_to_yaml),
        ("toYamlPretty", to_yaml_pretty),
        ("fromYaml", from_yaml),
        ("fromYamlArray", from_yaml_array),
        ("toToml", to_toml),
        ("mustToToml", must_to_toml),
        ("fromToml", from_toml),
    ];
    m.extend(fs.iter().copied());
}

/// A node as go-yaml sees it after Helm's JSON round trip.
enum Node {
    Null,
    Bool(bool),
    /// An integer or float, already in go-yaml's text form.
    Number(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// Converts a value as `json.Marshal` then `yaml.Unmarshal` into `interface{}` would.
fn to_node(v: &Value, via_json: bool) -> Result<Node, FuncError> {
    Ok(match v {
        Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(n) | Value::TypedInt(_, n) => Node::Number(n.to_string()),
        Value::Float(f) => {
            if via_json {
                let text = format_json_float(*f)?;
                Node::Number(resolve_number(&text))
            } else {
                Node::Number(yaml_float(*f))
            }
        }
        Value::String(s) if via_json => Node::Str(reread_json_string(s)),
        Value::String(s) => Node::Str(s.to_string()),
        Value::Bytes(b) => {
            use base64::Engine;
            Node::Str(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Value::List(items) => Node::Seq(
            items
                .iter()
                .map(|i| to_node(i, via_json))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(map) => {
            let map = map.borrow();
            let mut entries: Vec<(String, Node)> = map
                .iter()
                .map(|(k, i)| {
                    let key = if via_json {
                        reread_json_string(k)
                    } else {
                        k.clone()
                    };
                    Ok((key, to_node(i, via_json)?))
                })
                .collect::<Result<_, FuncError>>()?;
            entries.sort_by(|a, b| {
                if natural_less(&a.0, &b.0) {
                    std::cmp::Ordering::Less
                } else if natural_less(&b.0, &a.0) {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            });
            Node::Map(entries)
        }
        Value::Object(o) => match super::json::object_as_data(o.as_ref()) {
            Some(data) => to_node(&data, via_json)?,
            None => Node::Str(o.display()),
        },
    })
}

/// A string as go-yaml reads it back from `json.Marshal`'s text. JSON escapes every line
/// break but NEL (U+0085), which go-yaml folds like a line break in a double-quoted
/// scalar: a run of spaces and NELs becomes one space for a single NEL, else a newline
/// per NEL after the first.
fn reread_json_string(s: &str) -> String {
    if !s.contains('\u{85}') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let mut nels = 0usize;
    let flush = |out: &mut String, run: &mut String, nels: &mut usize| {
        match *nels {
            0 => out.push_str(run),
            1 => out.push(' '),
            n => out.extend(std::iter::repeat_n('\n', n - 1)),
        }
        run.clear();
        *nels = 0;
    };
    for c in s.chars() {
        match c {
            ' ' => run.push(c),
            '\u{85}' => {
                run.push(c);
                nels += 1;
            }
            _ => {
                flush(&mut out, &mut run, &mut nels);
                out.push(c);
            }
        }
    }
    flush(&mut out, &mut run, &mut nels);
    out
}

/// go-yaml's float text: `strconv.FormatFloat(f, 'g', -1, 64)` with `.inf`/`.nan`.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        }
    } else {
        format_float_shortest(f)
    }
}

/// A JSON number re-read by go-yaml: integers stay as written, others become float64.
fn resolve_number(text: &str) -> String {
    if let Ok(i) = text.parse::<i64>() {
        return i.to_string();
    }
    if let Ok(u) = text.parse::<u64>() {
        return u.to_string();
    }
    yaml_float(text.parse::<f64>().unwrap_or_default())
}

/// go-yaml v2's `keyList.Less` for two string keys: letters compare by code point,
/// non-letters sort before letters, digit runs compare numerically.
fn natural_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 {
                j -= 1;
                if !ar[j].is_ascii_digit() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Whether go-yaml v2 would read this text, unquoted, back as a string
/// (`resolve` returns `!!str` and it is not a base-60 float).
fn plain_reads_as_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off",
        "OFF", "true", "True", "TRUE", "false", "False", "FALSE", "", "~", "null", "Null", "NULL",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    let Some(first) = s.bytes().next() else {
        return false;
    };
    let hint = match first {
        b'+' | b'-' => 'S',
        b'0'..=b'9' => 'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => 'M',
        b'.' => '.',
        _ => return true,
    };
    if SPECIAL.contains(&s) {
        return false;
    }
    match hint {
        '.' => s.parse::<f64>().is_err() || !looks_like_go_float(s),
        'D' | 'S' => {
            if is_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            if super::conv::parse_go_int(&plain).is_some() || parse_go_uint(&plain) {
                return false;
            }
            if is_yaml_float(&plain) {
                return false;
            }
            if let Some(rest) = plain
                .strip_prefix("0b")
                .or_else(|| plain.strip_prefix("-0b"))
                && !rest.is_empty()
                && rest.chars().all(|c| c == '0' || c == '1')
            {
                return false;
            }
            !is_base60_float(s)
        }
        _ => !is_base60_float(s),
    }
}

fn looks_like_go_float(s: &str) -> bool {
    super::conv::parse_go_float(s).is_some()
}

fn parse_go_uint(s: &str) -> bool {
    if s.starts_with('-') || s.starts_with('+') {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let (radix, digits) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r.to_string())
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r.to_string())
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower)
    };
    !digits.is_empty() && u64::from_str_radix(&digits, radix).is_ok()
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let start = i;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let d = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == d {
            return false;
        }
    } else {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let d = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == d {
            return false;
        }
    }
    i == b.len()
}

/// go-yaml's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    // Without a `:` it cannot match: spare the regex (compiling it costs a render's time).
    if !s.contains(':') {
        return false;
    }
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").ok())
        .as_ref()
        .is_some_and(|r| r.is_match(s))
}

/// go-yaml's `parseTimestamp` formats: `2006-1-2`, `2006-1-2 15:4:5.999999999`,
/// `2006-1-2T15:4:5.999999999Z07:00` (and lower-case `t`).
fn is_timestamp(s: &str) -> bool {
    // The year must be four ASCII digits and a `-` (other digits fail to parse below):
    // spare the regex otherwise.
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$",
        )
        .ok()
    });
    let Some(caps) = re.as_ref().and_then(|r| r.captures(s)) else {
        return false;
    };
    let num = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(1), num(2), num(3)) else {
        return false;
    };
    if chrono::NaiveDate::from_ymd_opt(y as i32, m, d).is_none() {
        return false;
    }
    for base in [4, 7] {
        if let (Some(h), Some(mi), Some(se)) = (num(base), num(base + 1), num(base + 2))
            && (h > 23 || mi > 59 || se > 59)
        {
            return false;
        }
    }
    true
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// The results of go-yaml's `yaml_emitter_analyze_scalar`.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_printable(c: char) -> bool {
    let n = c as u32;
    n == 0x0A
        || (0x20..=0x7E).contains(&n)
        || (0xA0..=0xD7FF).contains(&n)
        || ((0xE000..=0xFFFD).contains(&n) && n != 0xFEFF)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = value.chars().collect();
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars
            .get(i + 1)
            .is_none_or(|n| is_blank(*n) || is_break(*n));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == chars.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == chars.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// go-yaml's `yaml_emitter_check_simple_key` for a string key: one line, at most 128 bytes.
/// Other keys are written as complex keys (`? KEY` / `: VALUE`).
fn is_simple_key(key: &str) -> bool {
    key.len() <= 128 && !key.chars().any(is_break)
}

/// Picks go-yaml's style for a string scalar (`stringv` plus `select_scalar_style`).
fn select_style(s: &str, simple_key: bool) -> Style {
    let can_plain = plain_reads_as_string(s);
    let requested = if s.contains('\n') {
        Style::Literal
    } else if can_plain {
        Style::Plain
    } else {
        Style::Double
    };
    let a = analyze(s);
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
}

/// The subset of go-yaml's emitter state that decides bytes.
struct Emitter {
    out: String,
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    whitespace: bool,
    indention: bool,
    best_width: usize,
    /// go-yaml v3 indents sequences inside mappings; v2 does not.
    indent_sequences: bool,
}

impl Emitter {
    fn new(best_width: usize, indent_sequences: bool) -> Self {
        Emitter {
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            best_width,
            indent_sequences,
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { 2 } else { 0 };
        } else if !indentless {
            self.indent += 2;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn emit_node(&mut self, node: &Node, mapping_ctx: bool) {
        match node {
            Node::Null => self.emit_plain_text("null"),
            Node::Bool(b) => self.emit_plain_text(if *b { "true" } else { "false" }),
            Node::Number(n) => self.emit_plain_text(n),
            Node::Str(s) => self.emit_string(s, false),
            Node::Seq(items) if items.is_empty() => {
                self.write_indicator("[", true, true, false);
                self.write_indicator("]", false, false, false);
            }
            Node::Map(entries) if entries.is_empty() => {
                self.write_indicator("{", true, true, false);
                self.write_indicator("}", false, false, false);
            }
            Node::Seq(items) => {
                let indentless = !self.indent_sequences && mapping_ctx && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.emit_node(item, false);
                }
                self.pop_indent();
            }
            Node::Map(entries) => {
                self.increase_indent(false, false);
                for (k, v) in entries {
                    self.write_indent();
                    if is_simple_key(k) {
                        self.emit_string(k, true);
                        self.write_indicator(":", false, false, false);
                    } else {
                        // go-yaml's complex key: `? KEY`, then `: VALUE` on its own line.
                        self.write_indicator("?", true, false, true);
                        self.emit_string(k, false);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.emit_node(v, true);
                }
                self.pop_indent();
            }
        }
    }

    fn emit_plain_text(&mut self, s: &str) {
        self.increase_indent(true, false);
        self.write_plain(s, true);
        self.pop_indent();
    }

    fn emit_string(&mut self, s: &str, simple_key: bool) {
        let style = select_style(s, simple_key);
        self.increase_indent(true, false);
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::Single => self.write_single(s, allow_breaks),
            Style::Double => self.write_double(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && chars.get(i + 1).is_some_and(|n| *n != ' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i + 1 < chars.len()
                    && chars.get(i + 1).is_some_and(|n| *n != ' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                // Only U+2028/U+2029 get here (other breaks force double quotes): written
                // as they are, and the next text is indented as a continuation line.
                self.out.push(c);
                self.column = 0;
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        // go-yaml's `is_bom(value, i)` looks at the start of the whole value, not at `i`:
        // a string that starts with a BOM has every character escaped.
        let bom = s.starts_with('\u{FEFF}');
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if bom || !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let esc = match c {
                    '\0' => Some('0'),
                    '\u{7}' => Some('a'),
                    '\u{8}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{b}' => Some('v'),
                    '\u{c}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1b}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{a0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match esc {
                    Some(e) => self.put(e),
                    None => {
                        let n = c as u32;
                        let text = if n <= 0xFF {
                            format!("x{n:02X}")
                        } else if n <= 0xFFFF {
                            format!("u{n:04X}")
                        } else {
                            format!("U{n:08X}")
                        };
                        for t in text.chars() {
                            self.put(t);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i != 0
                    && i + 1 != chars.len()
                {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        if chars.first().is_some_and(|c| *c == ' ' || is_break(*c)) {
            self.write_indicator("2", false, false, false);
        }
        let chomp = match chars.last() {
            None => Some("-"),
            Some(last) if !is_break(*last) => Some("-"),
            Some(_) if chars.len() == 1 => Some("+"),
            Some(_) if is_break(chars[chars.len() - 2]) => Some("+"),
            Some(_) => None,
        };
        if let Some(ch) = chomp {
            self.write_indicator(ch, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                if c == '\n' {
                    self.put_break();
                } else {
                    self.out.push(c);
                    self.column = 0;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                    breaks = false;
                }
                self.put(c);
                self.indention = false;
            }
        }
    }

    fn finish(mut self) -> String {
        // Document end: go-yaml writes a final line break unless one is already there.
        self.indent = -1;
        self.write_indent();
        self.out
    }
}

/// Helm's `toYaml`: sigs.k8s.io/yaml output with the trailing newline removed.
pub fn to_yaml_string(v: &Value) -> Result<String, FuncError> {
    let node = to_node(v, true)?;
    let mut e = Emitter::new(80, false);
    e.emit_node(&node, false);
    let out = e.finish();
    Ok(out.strip_suffix('\n').unwrap_or(&out).to_string())
}

/// Helm's `toYamlPretty`: go-yaml v3 with two-space indent, trailing newline removed.
pub fn to_yaml_pretty_string(v: &Value) -> Result<String, FuncError> {
    let node = to_node(v, false)?;
    let mut e = Emitter::new(usize::MAX, true);
    e.emit_node(&node, false);
    let out = e.finish();
    Ok(out.strip_suffix('\n').unwrap_or(&out).to_string())
}

fn to_yaml(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("toYaml", a)?;
    Ok(string_value(to_yaml_string(v).unwrap_or_default()))
}

fn must_to_yaml(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("mustToYaml", a)?;
    // sigs.k8s.io/yaml wraps the encoding/json error.
    let text =
        to_yaml_string(v).map_err(|e| FuncError(format!("error marshaling into JSON: {e}")))?;
    Ok(string_value(text))
}

fn to_yaml_pretty(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("toYamlPretty", a)?;
    Ok(string_value(to_yaml_pretty_string(v).unwrap_or_default()))
}

/// Parses the first YAML document as sigs.k8s.io/yaml does (go-yaml v2 scalars, then
/// JSON, so numbers are `float64`), with Helm's error text.
fn parse_first_document(text: &str) -> Result<serde_json::Value, String> {
    crate::values::parse_document(text).map_err(|e| format!("error converting YAML to JSON: {e}"))
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
        serde_json::Value::Null => "null",
    }
}

/// Helm's `fromYaml`: a map, or `{"Error": message}`.
pub fn from_yaml_string(text: &str) -> Value {
    let result = parse_first_document(text).and_then(|doc| match doc {
        serde_json::Value::Null => Ok(Value::empty_map()),
        serde_json::Value::Object(_) => Ok(value_from_json_f64(&doc)),
        other => Err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
    });
    match result {
        Ok(v) => v,
        Err(e) => {
            let m = Value::empty_map();
            if let Value::Map(inner) = &m {
                inner.borrow_mut().insert("Error".into(), string_value(e));
            }
            m
        }
    }
}

fn from_yaml(a: &[Value]) -> FuncResult {
    let [s] = args::<1>("fromYaml", a)?;
    Ok(from_yaml_string(str_arg(s)?))
}

fn from_yaml_array(a: &[Value]) -> FuncResult {
    let [s] = args::<1>("fromYamlArray", a)?;
    let result = parse_first_document(str_arg(s)?).and_then(|doc| match doc {
        serde_json::Value::Null => Ok(Value::list(Vec::new())),
        serde_json::Value::Array(_) => Ok(value_from_json_f64(&doc)),
        other => Err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        )),
    });
    Ok(result.unwrap_or_else(|e| Value::list(vec![string_value(e)])))
}

/// BurntSushi/toml's key quoting: bare keys are `A-Za-z0-9_-`.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml_string(k)
    }
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_inline(v: &Value) -> Result<String, String> {
    Ok(match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(n) | Value::TypedInt(_, n) => n.to_string(),
        Value::Float(f) => {
            if f.is_nan() {
                "nan".into()
            } else if f.is_infinite() {
                if *f > 0.0 {
                    "inf".into()
                } else {
                    "-inf".into()
                }
            } else {
                let s = format!("{f}");
                if s.contains('.') || s.contains('e') {
                    s
                } else {
                    format!("{s}.0")
                }
            }
        }
        Value::String(s) => toml_string(s),
        Value::List(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter(|i| !matches!(i, Value::Nil))
                .map(toml_inline)
                .collect::<Result<_, _>>()?;
            format!("[{}]", parts.join(", "))
        }
        Value::Map(m) => {
            let m = m.borrow();
            let parts: Vec<String> = m
                .iter()
                .filter(|(_, v)| !matches!(v, Value::Nil))
                .map(|(k, v)| Ok(format!("{} = {}", toml_key(k), toml_inline(v)?)))
                .collect::<Result<_, String>>()?;
            format!("{{{}}}", parts.join(", "))
        }
        Value::Bytes(b) => toml_string(&String::from_utf8_lossy(b)),
        Value::Object(o) => toml_string(&o.display()),
        Value::Nil => return Err("toml: cannot encode a nil value".into()),
    })
}

fn is_table_array(v: &Value) -> bool {
    matches!(v, Value::List(items) if !items.is_empty() && items.iter().all(|i| matches!(i, Value::Map(_))))
}

fn write_toml_table(
    out: &mut String,
    path: &[String],
    map: &BTreeMap<String, Value>,
    depth: usize,
) -> Result<(), String> {
    let pad = "  ".repeat(depth);
    for (k, v) in map {
        if matches!(v, Value::Nil | Value::Map(_)) || is_table_array(v) {
            continue;
        }
        out.push_str(&format!("{pad}{} = {}\n", toml_key(k), toml_inline(v)?));
    }
    for (k, v) in map {
        let mut sub = path.to_vec();
        sub.push(toml_key(k));
        match v {
            Value::Map(m) => {
                let inner_pad = "  ".repeat(depth);
                out.push_str(&format!("\n{inner_pad}[{}]\n", sub.join(".")));
                write_toml_table(out, &sub, &m.borrow(), depth + 1)?;
            }
            v if is_table_array(v) => {
                if let Value::List(items) = v {
                    for item in items.iter() {
                        if let Value::Map(m) = item {
                            let inner_pad = "  ".repeat(depth);
                            out.push_str(&format!("\n{inner_pad}[[{}]]\n", sub.join(".")));
                            write_toml_table(out, &sub, &m.borrow(), depth + 1)?;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Helm's `toToml` (BurntSushi/toml's encoder layout: scalars first, then indented tables).
pub fn to_toml_string(v: &Value) -> Result<String, String> {
    match v {
        Value::Map(m) => {
            let mut out = String::new();
            write_toml_table(&mut out, &[], &m.borrow(), 0)?;
            Ok(out)
        }
        other => Err(format!(
            "toml: top-level values must be Go maps or structs, not {}",
            other.type_name()
        )),
    }
}

fn to_toml(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("toToml", a)?;
    Ok(string_value(to_toml_string(v).unwrap_or_else(|e| e)))
}

fn must_to_toml(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("mustToToml", a)?;
    to_toml_string(v).map(string_value).map_err(FuncError)
}

fn value_from_toml(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => string_value(s.as_str()),
        toml::Value::Integer(i) => Value::int64(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => string_value(d.to_string()),
        toml::Value::Array(items) => Value::list(items.iter().map(value_from_toml).collect()),
        toml::Value::Table(t) => Value::Map(Rc::new(RefCell::new(
            t.iter()
                .map(|(k, v)| (k.clone(), value_from_toml(v)))
                .collect(),
        ))),
    }
}

fn from_toml(a: &[Value]) -> FuncResult {
    let [s] = args::<1>("fromToml", a)?;
    match str_arg(s)?.parse::<toml::Table>() {
        Ok(t) => Ok(value_from_toml(&toml::Value::Table(t))),
        Err(e) => {
            let m = Value::empty_map();
            if let Value::Map(inner) = &m {
                inner
                    .borrow_mut()
                    .insert("Error".into(), string_value(e.to_string()));
            }
            Ok(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Value)]) -> Value {
        let m = Value::empty_map();
        if let Value::Map(inner) = &m {
            for (k, v) in pairs {
                inner.borrow_mut().insert((*k).to_string(), v.clone());
            }
        }
        m
    }

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn y(v: &Value) -> String {
        to_yaml_string(v).unwrap()
    }

    #[test]
    fn to_yaml_writes_nested_maps_and_indentless_sequences() {
        let v = map(&[
            ("name", s("web")),
            (
                "ports",
                Value::list(vec![map(&[
                    ("port", Value::Float(80.0)),
                    ("name", s("http")),
                ])]),
            ),
            ("labels", map(&[("app", s("x"))])),
            ("empty", Value::empty_map()),
            ("none", Value::list(vec![])),
            ("nothing", Value::Nil),
        ]);
        assert_eq!(
            y(&v),
            "empty: {}\nlabels:\n  app: x\nname: web\nnone: []\nnothing: null\nports:\n- name: http\n  port: 80"
        );
    }

    #[test]
    fn to_yaml_quotes_strings_that_would_change_type() {
        for (input, want) in [
            ("true", "\"true\""),
            ("yes", "\"yes\""),
            ("on", "\"on\""),
            ("1.0", "\"1.0\""),
            ("123", "\"123\""),
            ("0x1F", "\"0x1F\""),
            ("", "\"\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("2021-01-01", "\"2021-01-01\""),
            ("1e3", "\"1e3\""),
            ("1:20", "\"1:20\""),
            ("hello", "hello"),
            ("1.2.3", "1.2.3"),
            ("*", "'*'"),
            ("@foo", "'@foo'"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            ("- x", "'- x'"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
            ("it's", "it's"),
            ("'q'", "'''q'''"),
            ("tab\there", "\"tab\\there\""),
            ("http://x:8080/a", "http://x:8080/a"),
        ] {
            assert_eq!(y(&s(input)), want, "input {input:?}");
        }
    }

    #[test]
    fn to_yaml_uses_literal_blocks_for_multiline_strings() {
        assert_eq!(y(&map(&[("a", s("x\ny\n"))])), "a: |\n  x\n  y");
        assert_eq!(y(&map(&[("a", s("x\ny"))])), "a: |-\n  x\n  y");
        assert_eq!(y(&map(&[("a", s("x\n\n"))])), "a: |+\n  x\n");
        assert_eq!(y(&map(&[("a", s("  x\ny"))])), "a: |2-\n    x\n  y");
        assert_eq!(y(&map(&[("a", s("x\n\ny"))])), "a: |-\n  x\n\n  y");
        assert_eq!(y(&map(&[("a", s("x \ny"))])), "a: \"x \\ny\"");
        assert_eq!(y(&Value::list(vec![s("a\nb")])), "- |-\n  a\n  b");
    }

    #[test]
    fn to_yaml_formats_numbers_after_the_json_round_trip() {
        let v = Value::list(vec![
            Value::Float(1_000_000.0),
            Value::Float(1.5),
            Value::Float(1e21),
            Value::Float(1e20),
            Value::Float(0.000001),
            Value::Int(-3),
            Value::Bool(false),
        ]);
        assert_eq!(
            y(&v),
            "- 1000000\n- 1.5\n- 1e+21\n- 1e+20\n- 1e-06\n- -3\n- false"
        );
    }

    #[test]
    fn to_yaml_sorts_keys_naturally_and_quotes_odd_keys() {
        let v = map(&[
            ("a10", Value::Int(1)),
            ("a9", Value::Int(2)),
            ("B", Value::Int(3)),
            ("_x", Value::Int(4)),
            ("true", Value::Int(5)),
            ("8080", Value::Int(6)),
        ]);
        assert_eq!(
            y(&v),
            "_x: 4\n\"8080\": 6\nB: 3\na9: 2\na10: 1\n\"true\": 5"
        );
    }

    #[test]
    fn to_yaml_nests_sequences_of_sequences_and_maps() {
        let v = map(&[(
            "a",
            Value::list(vec![
                Value::list(vec![s("x"), s("y")]),
                map(&[("k", Value::list(vec![s("z")]))]),
            ]),
        )]);
        // go-yaml v2 reads a plain `y` as a boolean, so it quotes it.
        assert_eq!(y(&v), "a:\n- - x\n  - \"y\"\n- k:\n  - z");
    }

    #[test]
    fn to_yaml_folds_long_plain_strings_past_column_80() {
        let long = "word ".repeat(25);
        let long = long.trim_end();
        let out = y(&map(&[("description", s(long))]));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1, "{out}");
        assert!(lines[1].starts_with("  word"));
        assert!(lines[0].len() > 80 && lines[0].len() < 90);
        let unfolded: String = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        assert_eq!(unfolded, format!("description: {long}"));
    }

    /// Each expected text below is what Helm 4.3 printed for `{{ toYaml .Values }}` with the
    /// same map as values (checked through helm-sdkpy 0.1.32).
    fn helm_to_yaml_cases() -> Vec<(&'static str, String, &'static str)> {
        let long = "The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty column limit of the emitter";
        vec![
            ("long_spaces", long.to_string(), "long_spaces: The quick brown fox jumps over the lazy dog and keeps running far beyond\n  the eighty column limit of the emitter"),
            ("colon_long", "this has a colon: in it and is long enough to need folding past the eighty column mark surely yes".to_string(), "colon_long: 'this has a colon: in it and is long enough to need folding past the eighty\n  column mark surely yes'"),
            ("long_double", "tab\there and is long enough to be folded somewhere past the eighty column limit of the emitter yes".to_string(), "long_double: \"tab\\there and is long enough to be folded somewhere past the eighty\n  column limit of the emitter yes\""),
            ("longword", "a".repeat(120), "longword: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ("dbl_spaces", "two  spaces  between  words  that  is  long  enough  to  exceed  eighty  columns  in  total  length".to_string(), "dbl_spaces: two  spaces  between  words  that  is  long  enough  to  exceed  eighty  columns  in  total  length"),
            ("exact80", format!("{} b c", "a".repeat(79)), "exact80: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  b c"),
            ("unicode_long", "日本語のテキスト ".repeat(12), "unicode_long: '日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト\n  日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト '"),
            ("multi_long", format!("first line\n{}\nlast", "x ".repeat(60)), "multi_long: \"first line\\nx x x x x x x x x x x x x x x x x x x x x x x x x x x x x\n  x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x \\nlast\""),
            ("lead_space", "  leading spaces".to_string(), "lead_space: '  leading spaces'"),
            ("multi_lead_space", "  indented first\nsecond".to_string(), "multi_lead_space: |2-\n    indented first\n  second"),
            ("emoji", "smile 😀".to_string(), "emoji: \"smile \\U0001F600\""),
            ("bom_space", "\u{feff}a b\nc".to_string(), "bom_space: \"\\uFEFF\\x61\\x20\\x62\\n\\x63\""),
            ("bom_mid", "a\u{feff}b".to_string(), "bom_mid: \"a\\uFEFFb\""),
            ("ls2", "a\u{2028}\u{2028}b".to_string(), "ls2: 'a\u{2028}\u{2028}  b'"),
            ("nel", "x\u{85}y".to_string(), "nel: x y"),
            ("k".repeat(130).leak(), "long key".to_string(), "? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: long key"),
        ]
    }

    #[test]
    fn to_yaml_folds_quotes_and_escapes_strings_as_helm_does() {
        for (key, value, expected) in helm_to_yaml_cases() {
            assert_eq!(y(&map(&[(key, s(&value))])), expected, "{key:?}");
        }
        assert_eq!(
            y(&map(&[("multi\nline key", Value::Float(1.0))])),
            "? |-\n  multi\n  line key\n: 1"
        );
    }

    #[test]
    fn to_yaml_picks_literal_blocks_or_double_quotes_for_multiline_strings_as_helm_does() {
        // As Helm 4.3 printed them.
        for (value, expected) in [
            ("a\n b", "v: |-\n  a\n   b"),
            ("a \nb", "v: \"a \\nb\""),
            ("\n", "v: |2+\n"),
            (" a\nb", "v: |2-\n   a\n  b"),
            ("a\n ", "v: \"a\\n \""),
            ("a\r\nb", "v: \"a\\r\\nb\""),
            ("x\n\ty", "v: \"x\\n\\ty\""),
            ("- a\n- b", "v: |-\n  - a\n  - b"),
            ("---\na", "v: |-\n  ---\n  a"),
            ("---", "v: '---'"),
            ("tail\n\n", "v: |+\n  tail\n"),
            ("a\u{85}b\nc", "v: |-\n  a b\n  c"),
            ("a\u{2028}b\nc", "v: |-\n  a\u{2028}  b\n  c"),
        ] {
            assert_eq!(y(&map(&[("v", s(value))])), expected, "{value:?}");
        }
    }

    #[test]
    fn to_yaml_quotes_scalars_go_yaml_would_read_as_other_types() {
        // As Helm 4.3 printed them in a list.
        let words = [
            "true",
            "False",
            "NO",
            "Off",
            "YES",
            "y",
            "Y",
            "n",
            "~",
            "NULL",
            ".Inf",
            "-.inf",
            ".nan",
            "+1",
            "0b101",
            "1_000",
            "0x1F",
            "1e3",
            "1:2:3",
            "2001-12-14",
            "",
            "1e",
            "e3",
            "1.2.3",
            "?x",
            ":x",
            "-x",
            ",x",
            "x,",
            "x #y",
            "x# y",
            "x: ",
            "x :y",
            "<<",
            "-",
        ];
        let list = Value::list(words.iter().map(|w| s(w)).collect());
        assert_eq!(
            y(&list),
            "- \"true\"\n- \"False\"\n- \"NO\"\n- \"Off\"\n- \"YES\"\n- \"y\"\n- \"Y\"\n- \"n\"\n- \"~\"\n- \"NULL\"\n- \".Inf\"\n- \"-.inf\"\n- \".nan\"\n- \"+1\"\n- \"0b101\"\n- \"1_000\"\n- \"0x1F\"\n- \"1e3\"\n- \"1:2:3\"\n- \"2001-12-14\"\n- \"\"\n- 1e\n- e3\n- 1.2.3\n- ?x\n- :x\n- -x\n- ',x'\n- x,\n- 'x #y'\n- x# y\n- 'x: '\n- x :y\n- <<\n- '-'"
        );
    }

    #[test]
    fn must_to_yaml_wraps_the_json_error_as_sigs_yaml_does() {
        let f = must_to_yaml(&[Value::Float(f64::NAN)]).map(|_| ());
        assert_eq!(
            f,
            Err(FuncError(
                "error marshaling into JSON: json: unsupported value: NaN".into()
            ))
        );
        assert_eq!(
            to_yaml(&[Value::Float(f64::INFINITY)]).map(|v| v.is_truthy()),
            Ok(false)
        );
    }

    #[test]
    fn to_yaml_pretty_indents_sequences() {
        let v = map(&[("a", Value::list(vec![s("x")])), ("num", Value::Float(1e6))]);
        assert_eq!(to_yaml_pretty_string(&v).unwrap(), "a:\n  - x\nnum: 1e+06");
    }

    #[test]
    fn from_yaml_turns_numbers_into_floats_and_errors_into_a_map() {
        let v = from_yaml_string("a: 1\nb: [x, 2]\n");
        let Value::Map(m) = v else {
            panic!("not a map")
        };
        assert!(matches!(m.borrow().get("a"), Some(Value::Float(f)) if *f == 1.0));
        let Value::Map(e) = from_yaml_string("- a\n- b") else {
            panic!("not a map")
        };
        assert!(e.borrow().contains_key("Error"));
        let Value::Map(yes) = from_yaml_string("on: yes\nport: 0x1F") else {
            panic!("not a map")
        };
        assert!(matches!(yes.borrow().get("true"), Some(Value::Bool(true))));
        assert!(matches!(yes.borrow().get("port"), Some(Value::Float(f)) if *f == 31.0));
        let Value::Map(e) = from_yaml_string("a: [") else {
            panic!("not a map")
        };
        assert!(e.borrow().contains_key("Error"));
        let arr = from_yaml_array(&[s("- 1\n- b")]).unwrap();
        assert!(matches!(arr, Value::List(l) if l.len() == 2));
    }

    #[test]
    fn to_toml_writes_scalars_then_tables() {
        let v = map(&[
            ("b", map(&[("c", Value::Int(1))])),
            ("a", s("x")),
            ("f", Value::Float(2.0)),
        ]);
        assert_eq!(
            to_toml_string(&v).unwrap(),
            "a = \"x\"\nf = 2.0\n\n[b]\n  c = 1\n"
        );
        let back = from_toml(&[s("a = 1\n[t]\nb = \"x\"")]).unwrap();
        assert!(matches!(back, Value::Map(_)));
    }
}

#[cfg(test)]
mod conformance_tests {
    use super::*;
    use crate::test_support::shared_dir;

    fn subtrees(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Map(m) => {
                for item in m.borrow().values() {
                    if matches!(item, Value::Map(_) | Value::List(_)) && item.is_truthy() {
                        out.push(item.clone());
                    }
                    subtrees(item, out);
                }
            }
            Value::List(items) => items.iter().for_each(|i| subtrees(i, out)),
            _ => {}
        }
    }

    /// Every values subtree whose `toYaml` Helm printed verbatim (at some indent) must be
    /// found; the ones we render but cannot find are printed for inspection.
    #[test]
    fn to_yaml_of_chart_values_appears_in_helm_manifests() {
        let root = shared_dir().join("conformance");
        let Ok(cases) = std::fs::read_dir(&root) else {
            panic!("conformance corpus not found at {}", root.display());
        };
        let mut found = 0;
        let mut multi_line_found = 0;
        for case in cases.flatten() {
            let dir = case.path();
            let (Ok(values), Ok(manifest)) = (
                std::fs::read_to_string(dir.join("chart/values.yaml")),
                std::fs::read_to_string(dir.join("expected/manifest.yaml")),
            ) else {
                continue;
            };
            let tree = from_yaml_string(&values);
            let mut subs = Vec::new();
            subtrees(&tree, &mut subs);
            for sub in subs {
                let text = to_yaml_string(&sub).unwrap();
                let hit = (0..16).step_by(2).any(|n| {
                    let pad = " ".repeat(n);
                    let indented: String = text
                        .lines()
                        .map(|l| {
                            if l.is_empty() {
                                String::new()
                            } else {
                                format!("{pad}{l}")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    manifest.contains(&format!("\n{indented}\n"))
                });
                if hit {
                    found += 1;
                    if text.lines().count() > 3 {
                        multi_line_found += 1;
                    }
                }
            }
        }
        // 271 subtrees (67 of more than three lines) matched when this test was written.
        assert!(
            found > 250 && multi_line_found > 60,
            "found {found}, multi-line {multi_line_found}"
        );
    }
}
