//! The function library templates call: Sprig v3 and Helm's pure functions.
//!
//! Helm counterpart: `pkg/engine/funcs.go` (`funcMap`: Sprig's `TxtFuncMap` minus `env` and
//! `expandenv`, plus `toYaml`, `fromYaml`, `toJson`, `toToml` …) and Masterminds/sprig v3.
//! Functions that need the engine (`include`, `tpl`, `required`, `fail`, `lookup`) and Go's
//! builtins (`and`, `eq`, `printf` …) live in the executor, not here.
//!
//! Arguments are checked as Go's `text/template` checks a typed Go function: wrong counts
//! give `wrong number of args for NAME: want N got M`, wrong types
//! `wrong type for value; expected string; got float64`. Those messages are not
//! "error calling" errors in Go; [`is_argument_error`] lets the executor tell them apart.
use std::collections::HashMap;
use std::rc::Rc;

use super::value::{Func, FuncError, Value};

pub mod conv;
pub mod json;
pub mod sprig_dates;
pub mod sprig_defaults;
pub mod sprig_lists;
pub mod sprig_math;
pub mod sprig_misc;
pub mod sprig_strings;
pub mod yaml;

/// The result type of every template function.
pub(crate) type FuncResult = Result<Value, FuncError>;

/// All pure functions a Helm template can call, by name.
pub fn builtin_functions() -> HashMap<&'static str, Func> {
    let mut m: HashMap<&'static str, Func> = HashMap::new();
    sprig_strings::register(&mut m);
    sprig_lists::register(&mut m);
    sprig_defaults::register(&mut m);
    sprig_math::register(&mut m);
    sprig_misc::register(&mut m);
    sprig_dates::register(&mut m);
    json::register(&mut m);
    yaml::register(&mut m);
    m
}

/// Whether an error is Go's argument check (count or type) rather than a failure inside
/// the function: Go reports those without the `error calling NAME:` prefix.
pub fn is_argument_error(err: &FuncError) -> bool {
    err.0.starts_with("wrong number of args for ")
        || err.0.starts_with("wrong type for value; ")
        || err.0.starts_with("invalid value; expected ")
}

/// Checks an exact argument count and returns the arguments as an array.
pub(crate) fn args<'a, const N: usize>(
    name: &str,
    a: &'a [Value],
) -> Result<&'a [Value; N], FuncError> {
    a.try_into().map_err(|_| {
        FuncError(format!(
            "wrong number of args for {name}: want {N} got {}",
            a.len()
        ))
    })
}

/// Checks a minimum argument count (a Go variadic function).
pub(crate) fn args_min(name: &str, a: &[Value], n: usize) -> Result<(), FuncError> {
    if a.len() < n {
        return Err(FuncError(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            a.len()
        )));
    }
    Ok(())
}

/// Go's reflect type name of a value as a typed parameter check reports it.
pub(crate) fn go_type(v: &Value) -> String {
    match v {
        Value::Nil => "interface {}".to_string(),
        other => other.type_name(),
    }
}

fn wrong_type(expected: &str, v: &Value) -> FuncError {
    FuncError(format!(
        "wrong type for value; expected {expected}; got {}",
        go_type(v)
    ))
}

/// A `string` parameter.
pub(crate) fn str_arg(v: &Value) -> Result<&str, FuncError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type("string", other)),
    }
}

/// An `int` parameter (Go does not convert float64 to int for typed parameters).
pub(crate) fn int_arg(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(n) => Ok(*n),
        other => Err(wrong_type("int", other)),
    }
}

/// A `bool` parameter.
pub(crate) fn bool_arg(v: &Value) -> Result<bool, FuncError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type("bool", other)),
    }
}

/// A string result.
pub(crate) fn string_value(s: impl Into<Rc<str>>) -> Value {
    Value::String(s.into())
}

/// A `[]string` result.
pub(crate) fn string_list<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<Rc<str>>,
{
    Value::list(items.into_iter().map(|s| Value::String(s.into())).collect())
}
