//! Sprig's defaults and reflection functions: `default`, `empty`, `coalesce`, `all`,
//! `any`, `ternary`, `typeOf`, `typeIs`, `typeIsLike`, `kindOf`, `kindIs`, `deepEqual`.
//!
//! Helm counterpart: Masterminds/sprig v3 `defaults.go` and `reflect.go`. Emptiness is
//! Sprig's `empty` (Go's template truthiness: nil, false, 0, "", empty list or map).
use std::collections::HashMap;

use super::super::value::{Func, Value};
use super::conv::kind_name;
use super::sprig_lists::{deep_equal, is_empty};
use super::{FuncResult, args, args_min, bool_arg, str_arg, string_value};

/// Registers the defaults and reflection functions.
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("default", default),
        ("empty", empty),
        ("coalesce", coalesce),
        ("all", all),
        ("any", any),
        ("ternary", ternary),
        ("typeOf", type_of),
        ("typeIs", type_is),
        ("typeIsLike", type_is_like),
        ("kindOf", kind_of),
        ("kindIs", kind_is),
        ("deepEqual", deep_equal_fn),
    ];
    m.extend(fs.iter().copied());
}

fn default(a: &[Value]) -> FuncResult {
    args_min("default", a, 1)?;
    match a.get(1) {
        Some(given) if !is_empty(given) => Ok(given.clone()),
        _ => Ok(a[0].clone()),
    }
}

fn empty(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("empty", a)?;
    Ok(Value::Bool(is_empty(v)))
}

fn coalesce(a: &[Value]) -> FuncResult {
    Ok(a.iter()
        .find(|v| !is_empty(v))
        .cloned()
        .unwrap_or(Value::Nil))
}

fn all(a: &[Value]) -> FuncResult {
    Ok(Value::Bool(a.iter().all(|v| !is_empty(v))))
}

fn any(a: &[Value]) -> FuncResult {
    Ok(Value::Bool(a.iter().any(|v| !is_empty(v))))
}

fn ternary(a: &[Value]) -> FuncResult {
    let [t, f, cond] = args::<3>("ternary", a)?;
    Ok(if bool_arg(cond)? {
        t.clone()
    } else {
        f.clone()
    })
}

fn type_of(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("typeOf", a)?;
    Ok(string_value(v.type_name()))
}

fn type_is(a: &[Value]) -> FuncResult {
    let [t, v] = args::<2>("typeIs", a)?;
    Ok(Value::Bool(str_arg(t)? == v.type_name()))
}

fn type_is_like(a: &[Value]) -> FuncResult {
    let [t, v] = args::<2>("typeIsLike", a)?;
    let t = str_arg(t)?;
    let actual = v.type_name();
    Ok(Value::Bool(t == actual || format!("*{t}") == actual))
}

fn kind_of(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("kindOf", a)?;
    Ok(string_value(kind_name(v)))
}

fn kind_is(a: &[Value]) -> FuncResult {
    let [t, v] = args::<2>("kindIs", a)?;
    Ok(Value::Bool(str_arg(t)? == kind_name(v)))
}

fn deep_equal_fn(a: &[Value]) -> FuncResult {
    let [x, y] = args::<2>("deepEqual", a)?;
    Ok(Value::Bool(deep_equal(x, y)))
}

#[cfg(test)]
mod tests {
    use super::super::super::gofmt::format_value;
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn call(f: Func, a: &[Value]) -> String {
        match f(a) {
            Ok(v) => format_value(&v),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn default_uses_sprig_emptiness() {
        assert_eq!(call(default, &[s("d")]), "d");
        assert_eq!(call(default, &[s("d"), Value::Nil]), "d");
        assert_eq!(call(default, &[s("d"), Value::Bool(false)]), "d");
        assert_eq!(call(default, &[s("d"), Value::Float(0.0)]), "d");
        assert_eq!(call(default, &[s("d"), s("")]), "d");
        assert_eq!(call(default, &[s("d"), Value::list(vec![])]), "d");
        assert_eq!(call(default, &[s("d"), s("x")]), "x");
        assert_eq!(call(default, &[s("d"), Value::Int(3)]), "3");
    }

    #[test]
    fn coalesce_all_any_and_ternary() {
        assert_eq!(call(coalesce, &[Value::Nil, s(""), s("x"), s("y")]), "x");
        assert_eq!(call(coalesce, &[Value::Nil]), "<nil>");
        assert_eq!(call(all, &[s("a"), Value::Int(0)]), "false");
        assert_eq!(call(any, &[s(""), Value::Int(1)]), "true");
        assert_eq!(call(ternary, &[s("y"), s("n"), Value::Bool(true)]), "y");
        assert_eq!(
            call(ternary, &[s("y"), s("n"), s("true")]),
            "ERR wrong type for value; expected bool; got string"
        );
    }

    #[test]
    fn reflection_reports_go_types_and_kinds() {
        assert_eq!(call(type_of, &[Value::Float(1.0)]), "float64");
        assert_eq!(call(type_of, &[Value::list(vec![])]), "[]interface {}");
        assert_eq!(call(kind_of, &[Value::empty_map()]), "map");
        assert_eq!(call(kind_is, &[s("string"), s("x")]), "true");
        assert_eq!(call(type_is, &[s("int"), Value::Int(1)]), "true");
        assert_eq!(
            call(deep_equal_fn, &[Value::Int(1), Value::Float(1.0)]),
            "false"
        );
    }
}
