//! Template values: Go's dynamic values as Helm's templates see them.
//!
//! Helm hands templates `map[string]interface{}` trees decoded from YAML/JSON, so numbers
//! from values files are `float64` and `--set` integers are `int64`. Maps are shared and
//! mutable, because Sprig's `set`, `unset`, `merge` mutate their argument in place and
//! charts rely on it (`$_ := set $ctx "k" v`). Lists are immutable (Sprig copies them).
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
    /// `int`/`int64` (`--set` integers, results of Sprig integer math, `len`).
    Int(i64),
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

    /// A list value.
    pub fn list(items: Vec<Value>) -> Self {
        Value::List(Rc::new(items))
    }

    /// Converts a JSON value (numbers stay as they are: `f64` stays `Float`, integers `Int`).
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if n.is_f64() {
                    Value::Float(n.as_f64().unwrap_or_default())
                } else if let Some(i) = n.as_i64() {
                    Value::Int(i)
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
            Value::Int(i) => *i != 0,
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
            // One integer type: Go's `int` (template literals, `len`); `--set` and Sprig's
            // int64 are not told apart yet.
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(o) => o.type_name().into(),
        }
    }
}
