//! Template values: Go's dynamic values as Helm's templates see them.
//!
//! Helm hands templates `map[string]interface{}` trees decoded from YAML/JSON, so numbers
//! from values files are `float64` and `--set` integers are `int64`. Maps are shared and
//! mutable, because Sprig's `set`, `unset`, `merge` mutate their argument in place and
//! charts rely on it (`$_ := set $ctx "k" v`). Lists are immutable (Sprig copies them).
//!
//! Integers keep their Go type, because templates can see it (`kindOf`, `typeOf`,
//! `printf "%T"`, `kindIs "int64"`) and typed parameters check it: Sprig's `until`, `trunc`,
//! `indent` take an `int` and reject an `int64` (`wrong type for value; expected int; got
//! int64`). Design: [`Value::Int`] is Go's `int`, by far the most common integer (template
//! literals, `len`, `atoi`, `int`, `until`, range indexes, `randInt`); every other integer
//! type is [`Value::TypedInt`] with an [`IntType`] tag (`int64` from `--set` and Sprig's
//! math, `uint8` bytes, `uint64` semver parts). Both hold the number as `i64`, so code that
//! only wants the number matches `Value::Int(n) | Value::TypedInt(_, n)` or calls
//! [`Value::as_integer`]. Go's comparisons and printing treat all of them alike.
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A value flowing through a template.
#[derive(Clone)]
pub enum Value {
    /// Go's `nil` (also a missing map key under `missingkey=zero`).
    Nil,
    /// `bool`.
    Bool(bool),
    /// Go's `int`: template literals, `len`, `atoi`, `int`, `until`, range indexes.
    Int(i64),
    /// Any other Go integer type, tagged: `int64` (`--set` integers, Sprig's integer math,
    /// `int64`), `uint8` (bytes of a string), `uint64` (semver parts). Unsigned values are
    /// never negative here; a `uint64` above `i64::MAX` is clamped to it.
    TypedInt(IntType, i64),
    /// `float64` (every number that came from YAML or JSON).
    Float(f64),
    /// `string`.
    String(Rc<str>),
    /// `[]byte` (`.Files.GetBytes`).
    Bytes(Rc<[u8]>),
    /// `[]interface{}`.
    List(Rc<Vec<Value>>),
    /// `map[string]interface{}`, shared and mutable; keys iterate sorted, as in Go.
    Map(Rc<RefCell<BTreeMap<String, Value>>>),
    /// A Go struct with fields and methods (`.Capabilities`, `.Files`, `.Chart`, …).
    Object(Rc<dyn Object>),
}

/// The Go type of a [`Value::TypedInt`] (Go's `int` is [`Value::Int`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntType {
    /// `int64`.
    Int64,
    /// `uint8` (`byte`).
    Uint8,
    /// `uint64`.
    Uint64,
}

impl IntType {
    /// Go's name of the type, which is also its `reflect.Kind` name.
    pub fn go_name(self) -> &'static str {
        match self {
            IntType::Int64 => "int64",
            IntType::Uint8 => "uint8",
            IntType::Uint64 => "uint64",
        }
    }
}

/// A struct-like value: named fields and methods, as Go's templates reach them with `.Name`.
pub trait Object {
    /// Go's type name for `printf "%T"` and `typeOf` (e.g. `chartutil.Capabilities`).
    fn type_name(&self) -> &str;
    /// A field, or a method called without arguments; `None` if there is no such name.
    fn field(&self, name: &str) -> Option<Value>;
    /// A method called with arguments; `None` if there is no such method.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>>;
    /// How `{{ . }}` prints it (Go's `String()` method where the type has one).
    fn display(&self) -> String;
    /// For map- or slice-typed objects (`.Files`, `.Capabilities.APIVersions`): the
    /// (key or index, element) pairs `range` visits, in Go's order. `None` for structs.
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        None
    }
}

/// An error raised by a template function; the executor adds Go's
/// `template: NAME:LINE:COL: executing "NAME" at <fn>: error calling fn: ` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError(pub String);

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FuncError {}

/// A pure template function (Sprig and most of Helm's): arguments in, value out.
/// Functions that need the engine (`include`, `tpl`, `lookup`, `required` …) are
/// built into the executor instead.
pub type Func = fn(&[Value]) -> Result<Value, FuncError>;

impl Value {
    /// A string value.
    pub fn string(text: impl Into<Rc<str>>) -> Self {
        Value::String(text.into())
    }

    /// A new empty map.
    pub fn empty_map() -> Self {
        Value::Map(Rc::new(RefCell::new(BTreeMap::new())))
    }

    /// A Go `int64` value.
    pub fn int64(n: i64) -> Self {
        Value::TypedInt(IntType::Int64, n)
    }

    /// A Go `uint64` value (clamped to `i64::MAX`, far beyond anything templates count).
    pub fn uint64(n: u64) -> Self {
        Value::TypedInt(IntType::Uint64, i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// A Go `uint8` (`byte`) value.
    pub fn uint8(n: u8) -> Self {
        Value::TypedInt(IntType::Uint8, i64::from(n))
    }

    /// The number of an integer of any Go integer type; `None` for every other value.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Int(n) | Value::TypedInt(_, n) => Some(*n),
            _ => None,
        }
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Self {
        Value::List(Rc::new(items))
    }

    /// Converts a JSON value as the values module hands it over: an `f64` number is Go's
    /// `float64` (values files), an integer Go's `int64` (`--set`, as Helm's strvals makes it).
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if n.is_f64() {
                    Value::Float(n.as_f64().unwrap_or_default())
                } else if let Some(i) = n.as_i64() {
                    Value::int64(i)
                } else {
                    Value::Float(n.as_f64().unwrap_or_default())
                }
            }
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(Rc::new(RefCell::new(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ))),
        }
    }

    /// Go's truthiness: false, 0, "", nil, empty list/map are false. An object that Go holds
    /// as a map or slice (`.Files`, a `.Files.Glob` result, `.Capabilities.APIVersions`) is
    /// false when empty; a struct is always true.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::TypedInt(_, i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(o) => o.entries().is_none_or(|e| !e.is_empty()),
        }
    }

    /// Go's type name as `printf "%T"` shows it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::TypedInt(t, _) => t.go_name().into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(o) => o.type_name().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::exec::Env;
    use crate::engine::funcs::builtin_functions;
    use crate::engine::parse::{FuncTable, parse};

    /// Renders `text` with every Sprig and Helm function, `.` being `values`.
    fn render(text: &str, values: serde_json::Value) -> Result<String, String> {
        let pure = builtin_functions();
        let table = FuncTable::new(&pure);
        let set = parse("t", text, &table).map_err(|e| e.to_string())?;
        let env = Env::new(&set, &table, None);
        let mut out = String::new();
        env.execute("t", Value::from_json(&values), &mut out)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// The Go type (`printf "%T"`) of each expression, as real Helm 4.3 reports them.
    fn assert_types(cases: &[(&str, &str)]) {
        let values = serde_json::json!({"set": 5, "file": 5.0});
        for (expr, want) in cases {
            let got = render(&format!("{{{{ printf \"%T\" {expr} }}}}"), values.clone());
            assert_eq!(got.as_deref(), Ok(*want), "printf \"%T\" {expr}");
        }
    }

    #[test]
    fn json_integers_are_int64_and_json_floats_float64() {
        assert_types(&[(".set", "int64"), (".file", "float64")]);
        assert!(matches!(
            Value::from_json(&serde_json::json!(7)),
            Value::TypedInt(IntType::Int64, 7)
        ));
    }

    #[test]
    fn go_builtins_and_literals_give_int() {
        assert_types(&[
            ("3", "int"),
            ("'a'", "int"),
            ("0x10", "int"),
            ("1e3", "float64"),
            ("(len \"abc\")", "int"),
            ("(index \"abc\" 0)", "uint8"),
        ]);
        assert_eq!(
            render(
                "{{ range $i, $x := list \"a\" }}{{ printf \"%T\" $i }}{{ end }} \
                 {{ range 2 }}{{ printf \"%T\" . }}{{ end }} \
                 {{ range (int64 2) }}{{ printf \"%T\" . }}{{ end }}",
                serde_json::json!({})
            )
            .as_deref(),
            Ok("int intint int64int64")
        );
    }

    #[test]
    fn sprig_integer_math_gives_int64_and_conversions_their_own_type() {
        assert_types(&[
            ("(add 1 2)", "int64"),
            ("(add1 1)", "int64"),
            ("(sub 1 2)", "int64"),
            ("(mul 1 2)", "int64"),
            ("(div 4 2)", "int64"),
            ("(mod 4 3)", "int64"),
            ("(max 1 2)", "int64"),
            ("(min 1 2)", "int64"),
            ("(biggest 1 2)", "int64"),
            ("(int64 \"3\")", "int64"),
            ("(toDecimal \"777\")", "int64"),
            ("(int \"3\")", "int"),
            ("(atoi \"3\")", "int"),
            ("(randInt 1 5)", "int"),
            ("(float64 \"3\")", "float64"),
            ("(floor 1)", "float64"),
            ("(addf 1 2)", "float64"),
            ("(until 3)", "[]interface {}"),
            ("(first (until 3))", "int"),
            ("(first (untilStep 0 4 2))", "int"),
            ("(seq 3)", "string"),
        ]);
    }

    #[test]
    fn decoded_documents_keep_their_decoders_number_types() {
        assert_types(&[
            ("(get (fromJson \"{\\\"a\\\":1}\") \"a\")", "float64"),
            ("(get (fromYaml \"a: 1\") \"a\")", "float64"),
            ("(get (fromToml \"a = 1\") \"a\")", "int64"),
        ]);
    }

    #[test]
    fn semver_parts_are_uint64_and_time_parts_int_or_int64() {
        assert_types(&[
            ("(semver \"1.2.3\").Major", "uint64"),
            ("((semver \"1.2.3\").Compare (semver \"1.2.4\"))", "int"),
            ("now.Unix", "int64"),
            ("now.UnixNano", "int64"),
            ("now.Year", "int"),
            ("now.YearDay", "int"),
            ("(now.Sub now)", "time.Duration"),
            ("(now.Sub now).Nanoseconds", "int64"),
            ("(durationMilliseconds \"1s\")", "int64"),
        ]);
    }

    #[test]
    fn kind_and_type_functions_name_each_integer_type() {
        let out = render(
            "{{ kindOf .set }} {{ typeOf (add 1 2) }} {{ kindIs \"int64\" (add 1 2) }} \
             {{ kindIs \"int\" (len \"a\") }} {{ typeIs \"int64\" (add1 0) }} \
             {{ kindOf (semver \"1.2.3\").Major }} {{ kindIs \"uint8\" (index \"A\" 0) }}",
            serde_json::json!({"set": 1}),
        );
        assert_eq!(out.as_deref(), Ok("int64 int64 true true true uint64 true"));
    }

    #[test]
    fn comparisons_and_printing_ignore_the_integer_type() {
        let out = render(
            "{{ eq (add 1 2) 3 }} {{ eq (len \"abc\") (add 1 2) }} {{ lt (len \"a\") (add 1 2) }} \
             {{ eq (semver \"1.2.3\").Major 1 }} {{ add 1 2 }} {{ toJson (list (add 1 2) (len \"x\")) }} \
             {{ printf \"%d %x %c %s\" (add 64 1) (add 255 0) (add 64 1) (add 64 1) }} \
             {{ printf \"%s %s\" (index \"A\" 0) (semver \"1.2.3\").Major }}",
            serde_json::json!({}),
        );
        assert_eq!(
            out.as_deref(),
            Ok("true true true true 3 [3,1] 65 ff A %!s(int64=65) %!s(uint8=65) %!s(uint64=1)")
        );
    }

    #[test]
    fn deep_equal_tells_int_from_int64() {
        let out = render(
            "{{ deepEqual (add 1 2) 3 }} {{ deepEqual (add 1 2) (int64 3) }}",
            serde_json::json!({}),
        );
        assert_eq!(out.as_deref(), Ok("false true"));
    }

    #[test]
    fn int_parameters_reject_int64_and_float64_values() {
        for (text, got) in [
            ("{{ trunc .set \"abcdef\" }}", "int64"),
            ("{{ until (add 1 1) }}", "int64"),
            ("{{ indent .file \"x\" }}", "float64"),
        ] {
            let err = render(text, serde_json::json!({"set": 3, "file": 3.0}))
                .expect_err("an int parameter accepted another type");
            assert!(
                err.ends_with(&format!("wrong type for value; expected int; got {got}")),
                "{text}: {err}"
            );
        }
        assert_eq!(
            render(
                "{{ trunc (int .set) \"abcdef\" }}",
                serde_json::json!({"set": 3})
            )
            .as_deref(),
            Ok("abc")
        );
    }
}
