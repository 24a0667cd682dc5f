//! The `--set` grammar: `a.b=c,d[0]=e,l={x,y},m[1].n=v`, parsed into a values map.
//!
//! Helm counterpart: `pkg/strvals/parser.go` and `literal_parser.go`. One parser serves the
//! five flags, differing only in how a value is read ([`Mode`]):
//! - `--set`: `true`/`false`/`null` (any case) become bool/null, integers without a leading
//!   `0` become `i64` (`0` itself too), everything else a string, never a float;
//! - `--set-string`: always strings; `--set-file`: the value names a file whose text is used;
//! - `--set-json`: the value is one JSON document (numbers `f64`, as Go's `encoding/json`);
//! - `--set-literal`: no escapes, no `,` splitting, no `{}` lists: the rest is the value.
//!
//! `\` escapes the next character (except in literal mode); `key=` gives `""`;
//! indexes are limited to 65536 and name nesting to 30 levels. Error texts are Helm's.
use serde_json::{Map, Number, Value};

/// Largest list index accepted (Helm's `strvals.MaxIndex`).
pub const MAX_INDEX: i64 = 65536;
/// Deepest `a.b.c…` nesting accepted (Helm's `strvals.MaxNestedNameLevel`).
pub const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Deepest `a[0][0]…` nesting accepted. Helm has no limit (Go stacks grow); this one only
/// keeps absurd input from exhausting the stack.
pub const MAX_NESTED_LIST_LEVEL: usize = 100;

/// How values on the right of `=` are turned into JSON values.
pub enum Mode<'a> {
    /// `--set`: typed scalars.
    Typed,
    /// `--set-string`: strings only.
    String,
    /// `--set-json`: a JSON document per value.
    Json,
    /// `--set-literal`: the whole rest of the input, verbatim.
    Literal,
    /// `--set-file`: the value is a path; the reader returns the value (file contents).
    File(&'a mut dyn FnMut(&str) -> std::result::Result<Value, String>),
}

/// A `--set`-family expression that could not be parsed (message in Helm's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StrvalsError(pub String);

type Result<T> = std::result::Result<T, Flow>;

/// Internal control flow: Go's `io.EOF` sentinel or a real error.
#[derive(Debug)]
enum Flow {
    Eof,
    NotList,
    Err(String),
}

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Flow::Err(msg.into()))
}

/// Parses `--set` text into a new map.
pub fn parse(text: &str) -> std::result::Result<Map<String, Value>, StrvalsError> {
    let mut map = Map::new();
    parse_into(text, &mut map, Mode::Typed)?;
    Ok(map)
}

/// Parses `text` in `mode`, setting keys in `dest` (Helm's `ParseInto*` functions).
pub fn parse_into(
    text: &str,
    dest: &mut Map<String, Value>,
    mut mode: Mode<'_>,
) -> std::result::Result<(), StrvalsError> {
    let mut parser = Parser {
        s: text,
        pos: 0,
        last: 0,
        mode: &mut mode,
    };
    loop {
        match parser.key(dest, 0) {
            Ok(()) => continue,
            Err(Flow::Eof) => return Ok(()),
            Err(Flow::NotList) => return Err(StrvalsError("not a list".into())),
            Err(Flow::Err(m)) => return Err(StrvalsError(m)),
        }
    }
}

struct Parser<'s, 'm, 'a> {
    s: &'s str,
    pos: usize,
    /// Byte length of the last rune read, for `unread`.
    last: usize,
    mode: &'m mut Mode<'a>,
}

impl Parser<'_, '_, '_> {
    fn literal(&self) -> bool {
        matches!(self.mode, Mode::Literal)
    }

    fn read(&mut self) -> Option<char> {
        let c = self.s[self.pos..].chars().next()?;
        self.last = c.len_utf8();
        self.pos += self.last;
        Some(c)
    }

    fn unread(&mut self) {
        self.pos -= self.last;
        self.last = 0;
    }

    /// Reads up to a stop rune; returns the text, the stop rune, or `Eof` with the text.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        let escapes = !self.literal();
        loop {
            match self.read() {
                None => return (out, None),
                Some(c) if stop.contains(&c) => return (out, Some(c)),
                Some('\\') if escapes => match self.read() {
                    None => return (out, None),
                    Some(next) => out.push(next),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn key(&mut self, data: &mut Map<String, Value>, mut level: usize) -> Result<()> {
        let stop: &[char] = if self.literal() {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (k, last) = self.until(stop);
        match last {
            None => {
                if k.is_empty() {
                    return Err(Flow::Eof);
                }
                err(format!("key {k:?} has no value"))
            }
            Some('[') => {
                let i = self.key_index()?;
                let mut list = match data.get_mut(&k) {
                    None => Vec::new(),
                    Some(Value::Array(l)) => std::mem::take(l),
                    Some(other) => return err(conversion_panic(other, "[]interface {}")),
                };
                let result = self.list_item(&mut list, i, level, 0);
                set(data, &k, Value::Array(list));
                result
            }
            Some('=') => self.key_value(data, &k),
            Some(',') => {
                set(data, &k, Value::String(String::new()));
                err(format!("key {k:?} has no value (cannot end with ,)"))
            }
            Some('.') => {
                level += 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    ));
                }
                let mut inner = match data.get_mut(&k) {
                    None => Map::new(),
                    Some(Value::Object(m)) => std::mem::take(m),
                    Some(other) => return err(conversion_panic(other, "map[string]interface {}")),
                };
                let result = self.key(&mut inner, level);
                let empty = inner.is_empty();
                if empty {
                    // Leave an existing (now emptied) map as Go would: it was never replaced.
                    if let Some(Value::Object(m)) = data.get_mut(&k) {
                        *m = inner;
                    }
                    if result.is_ok() {
                        return err(format!("key map {k:?} has no value"));
                    }
                } else {
                    set(data, &k, Value::Object(inner));
                }
                result
            }
            Some(other) => err(format!("parse error: unexpected token {}", other as u32)),
        }
    }

    /// After `key=`: read the value per mode and set it.
    fn key_value(&mut self, data: &mut Map<String, Value>, k: &str) -> Result<()> {
        match self.mode {
            Mode::Literal => {
                let (v, _) = self.until(&[]);
                set(data, k, Value::String(v));
                Ok(())
            }
            Mode::Json => {
                if self.empty_val() {
                    set(data, k, Value::Null);
                    return Ok(());
                }
                let v = self.json_value()?;
                set(data, k, v);
                self.empty_val();
                Ok(())
            }
            _ => match self.val_list() {
                Ok(list) => {
                    set(data, k, Value::Array(list));
                    Ok(())
                }
                Err(Flow::Eof) => {
                    set(data, k, Value::String(String::new()));
                    Err(Flow::Eof)
                }
                Err(Flow::NotList) => {
                    let (rs, _) = self.until(&[',']);
                    let v = self.read_value(&rs)?;
                    set(data, k, v);
                    Ok(())
                }
                Err(e) => Err(e),
            },
        }
    }

    fn key_index(&mut self) -> Result<i64> {
        let (v, last) = self.until(&[']']);
        if last.is_none() {
            return err("error parsing index: EOF");
        }
        go_atoi(&v).map_err(|m| Flow::Err(format!("error parsing index: {m}")))
    }

    fn list_item(
        &mut self,
        list: &mut Vec<Value>,
        i: i64,
        level: usize,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_NESTED_LIST_LEVEL {
            return err(format!(
                "list nested level is greater than maximum supported nested level of {MAX_NESTED_LIST_LEVEL}"
            ));
        }
        if i < 0 {
            return err(format!("negative {i} index not allowed"));
        }
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return err(format!("unexpected data at end of array index: {k:?}"));
        }
        match last {
            None => Err(Flow::Eof),
            Some('=') => {
                let value = match self.mode {
                    Mode::Literal => Value::String(self.until(&[]).0),
                    Mode::Json => {
                        if self.empty_val() {
                            Value::Null
                        } else {
                            let v = self.json_value()?;
                            set_index(list, i, v)?;
                            self.empty_val();
                            return Ok(());
                        }
                    }
                    _ => match self.val_list() {
                        Ok(l) => Value::Array(l),
                        Err(Flow::Eof) => Value::String(String::new()),
                        Err(Flow::NotList) => {
                            let (rs, _) = self.until(&[',']);
                            self.read_value(&rs)?
                        }
                        Err(e) => return Err(e),
                    },
                };
                set_index(list, i, value)
            }
            Some('[') => {
                let next = self.key_index()?;
                let mut inner = match list.get_mut(i as usize) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(l)) => std::mem::take(l),
                    Some(other) => return err(conversion_panic(other, "[]interface {}")),
                };
                self.list_item(&mut inner, next, level, depth + 1)?;
                set_index(list, i, Value::Array(inner))
            }
            Some('.') => {
                let mut inner = match list.get_mut(i as usize) {
                    Some(Value::Object(m)) => std::mem::take(m),
                    _ => Map::new(),
                };
                self.key(&mut inner, level)?;
                set_index(list, i, Value::Object(inner))
            }
            Some(other) => err(format!("parse error: unexpected token {}", other as u32)),
        }
    }

    /// `{a,b}` list syntax; `NotList` (nothing consumed) when the value is not a list.
    fn val_list(&mut self) -> Result<Vec<Value>> {
        match self.read() {
            None => return Err(Flow::Eof),
            Some('{') => {}
            Some(_) => {
                self.unread();
                return Err(Flow::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.until(&[',', '}']);
            match last {
                None => return err("list must terminate with '}'"),
                Some('}') => {
                    if let Some(c) = self.read()
                        && c != ','
                    {
                        self.unread();
                    }
                    list.push(self.read_value(&rs)?);
                    return Ok(list);
                }
                _ => list.push(self.read_value(&rs)?),
            }
        }
    }

    fn read_value(&mut self, rs: &str) -> Result<Value> {
        match &mut self.mode {
            Mode::Typed => Ok(typed_value(rs)),
            Mode::File(reader) => reader(rs).map_err(Flow::Err),
            _ => Ok(Value::String(rs.to_string())),
        }
    }

    /// Skips blanks; true (and the `,` consumed) at a comma or the end.
    fn empty_val(&mut self) -> bool {
        loop {
            match self.read() {
                None | Some(',') => return true,
                Some(c) if c.is_whitespace() => continue,
                Some(_) => {
                    self.unread();
                    return false;
                }
            }
        }
    }

    /// Decodes one JSON value from the rest of the input and consumes exactly its text.
    fn json_value(&mut self) -> Result<Value> {
        let rest = &self.s[self.pos..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => {
                self.pos += stream.byte_offset();
                Ok(numbers_to_f64(v))
            }
            Some(Err(e)) => err(e.to_string()),
            None => err("unexpected end of JSON input"),
        }
    }
}

/// Go's `encoding/json` decodes every number as `float64`.
fn numbers_to_f64(v: Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_to_f64).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, numbers_to_f64(v))).collect())
        }
        other => other,
    }
}

fn set(data: &mut Map<String, Value>, key: &str, value: Value) {
    if !key.is_empty() {
        data.insert(key.to_string(), value);
    }
}

fn set_index(list: &mut Vec<Value>, index: i64, value: Value) -> Result<()> {
    if index < 0 {
        return err(format!("negative {index} index not allowed"));
    }
    if index > MAX_INDEX {
        return err(format!(
            "index of {index} is greater than maximum supported index of {MAX_INDEX}"
        ));
    }
    let index = index as usize;
    if list.len() <= index {
        list.resize(index + 1, Value::Null);
    }
    list[index] = value;
    Ok(())
}

/// Helm's `typedVal` for `--set`.
fn typed_value(text: &str) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::Number(0.into());
    }
    if !text.is_empty()
        && !text.starts_with('0')
        && let Some(i) = go_parse_int10(text)
    {
        return Value::Number(i.into());
    }
    Value::String(text.to_string())
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, no underscores.
fn go_parse_int10(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go's `strconv.Atoi`, with its error text.
fn go_atoi(s: &str) -> std::result::Result<i64, String> {
    match go_parse_int10(s) {
        Some(i) => Ok(i),
        None => {
            let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
            let kind = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                "value out of range"
            } else {
                "invalid syntax"
            };
            Err(format!("strconv.Atoi: parsing {s:?}: {kind}"))
        }
    }
}

/// The text of the Go panic Helm recovers from when a key is used as the wrong type.
fn conversion_panic(found: &Value, wanted: &str) -> String {
    let go_type = match found {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    };
    format!("unable to parse key: interface conversion: interface {{}} is {go_type}, not {wanted}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set_values(text: &str) -> Value {
        Value::Object(parse(text).unwrap())
    }

    fn with_mode(text: &str, mode: Mode<'_>) -> std::result::Result<Value, StrvalsError> {
        let mut map = Map::new();
        parse_into(text, &mut map, mode).map(|_| Value::Object(map))
    }

    #[test]
    fn dotted_keys_build_nested_maps_and_commas_separate_pairs() {
        assert_eq!(set_values("a.b=c,d=e"), json!({"a": {"b": "c"}, "d": "e"}));
    }

    #[test]
    fn set_types_bools_nulls_and_integers_but_never_floats() {
        let v =
            set_values("a=TRUE,b=false,c=Null,d=42,e=-7,f=1.5,g=010,h=0,i=99999999999999999999");
        assert_eq!(
            v,
            json!({"a": true, "b": false, "c": null, "d": 42, "e": -7, "f": "1.5", "g": "010", "h": 0, "i": "99999999999999999999"})
        );
        assert!(v["d"].is_i64());
    }

    #[test]
    fn set_string_keeps_everything_as_text() {
        let v = with_mode("a=true,b=42", Mode::String).unwrap();
        assert_eq!(v, json!({"a": "true", "b": "42"}));
    }

    #[test]
    fn braces_make_lists() {
        assert_eq!(set_values("l={x,1,true}"), json!({"l": ["x", 1, true]}));
        assert_eq!(set_values("l={x,y},z=1"), json!({"l": ["x", "y"], "z": 1}));
    }

    #[test]
    fn indexes_fill_gaps_with_null_and_nest() {
        assert_eq!(set_values("a[2]=x"), json!({"a": [null, null, "x"]}));
        assert_eq!(set_values("m[1].n=v"), json!({"m": [null, {"n": "v"}]}));
        assert_eq!(set_values("m[0][1]=v"), json!({"m": [[null, "v"]]}));
        assert_eq!(set_values("a[0]=x,a[1]=y"), json!({"a": ["x", "y"]}));
    }

    #[test]
    fn backslash_escapes_separators() {
        assert_eq!(set_values(r"a\.b=c\,d"), json!({"a.b": "c,d"}));
    }

    #[test]
    fn an_empty_value_is_an_empty_string() {
        assert_eq!(set_values("a="), json!({"a": ""}));
        assert_eq!(set_values("a=,b=1"), json!({"a": "", "b": 1}));
    }

    #[test]
    fn errors_use_helms_texts() {
        assert_eq!(parse("x").unwrap_err().0, "key \"x\" has no value");
        assert_eq!(
            parse("x,").unwrap_err().0,
            "key \"x\" has no value (cannot end with ,)"
        );
        assert_eq!(parse("a.=1").unwrap_err().0, "key map \"a\" has no value");
        assert_eq!(
            parse("a[-1]=1").unwrap_err().0,
            "negative -1 index not allowed"
        );
        assert_eq!(
            parse("a[x]=1").unwrap_err().0,
            "error parsing index: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse("a[0]x=1").unwrap_err().0,
            "unexpected data at end of array index: \"x\""
        );
        assert_eq!(
            parse("l={a,b").unwrap_err().0,
            "list must terminate with '}'"
        );
    }

    #[test]
    fn indexes_and_nesting_are_bounded() {
        assert_eq!(
            parse("a[65537]=1").unwrap_err().0,
            "index of 65537 is greater than maximum supported index of 65536"
        );
        let deep = format!("{}=1", vec!["k"; 32].join("."));
        assert!(parse(&deep).unwrap_err().0.contains("nested level"));
        let ok = format!("{}=1", vec!["k"; 31].join("."));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn absurd_list_nesting_is_an_error_not_a_crash() {
        let deep = format!("a{}=1", "[0]".repeat(200_000));
        assert!(parse(&deep).unwrap_err().0.contains("list nested level"));
    }

    #[test]
    fn using_a_scalar_as_a_map_reports_the_type_clash() {
        let mut map = parse("a=1").unwrap();
        let e = parse_into("a.b=2", &mut map, Mode::Typed).unwrap_err();
        assert!(
            e.0.contains("interface {} is int64, not map[string]interface {}"),
            "{e}"
        );
    }

    #[test]
    fn later_expressions_merge_into_existing_maps() {
        let mut map = parse("a.b=1").unwrap();
        parse_into("a.c=2", &mut map, Mode::Typed).unwrap();
        assert_eq!(Value::Object(map), json!({"a": {"b": 1, "c": 2}}));
    }

    #[test]
    fn set_json_reads_one_document_per_key() {
        let v = with_mode(r#"a={"x":[1,2]},b="s",c=,d[1]=true"#, Mode::Json).unwrap();
        assert_eq!(
            v,
            json!({"a": {"x": [1.0, 2.0]}, "b": "s", "c": null, "d": [null, true]})
        );
        assert!(v["a"]["x"][0].is_f64());
        assert!(with_mode("a={bad", Mode::Json).is_err());
    }

    #[test]
    fn set_literal_takes_the_rest_verbatim() {
        let v = with_mode(r"a.b=x,y=\z{}", Mode::Literal).unwrap();
        assert_eq!(v, json!({"a": {"b": r"x,y=\z{}"}}));
    }

    #[test]
    fn set_file_reads_values_through_the_reader() {
        let mut reader = |path: &str| -> std::result::Result<Value, String> {
            if path == "missing" {
                Err("open missing: no such file".into())
            } else {
                Ok(Value::String(format!("contents of {path}")))
            }
        };
        let v = with_mode("a=f.txt", Mode::File(&mut reader)).unwrap();
        assert_eq!(v, json!({"a": "contents of f.txt"}));
        assert!(with_mode("a=missing", Mode::File(&mut reader)).is_err());
    }

    proptest::proptest! {
        #[test]
        fn the_parser_never_panics(input in ".{0,64}") {
            let _ = parse(&input);
            let _ = with_mode(&input, Mode::Json);
            let _ = with_mode(&input, Mode::Literal);
        }

        #[test]
        fn the_parser_never_panics_on_grammar_characters(input in "[a-c0-9.,=\\[\\]{}\\\\-]{0,40}") {
            let _ = parse(&input);
            let _ = with_mode(&input, Mode::Json);
            let _ = with_mode(&input, Mode::Literal);
        }
    }
}
