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
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::value::{Func, FuncError, Value};

pub mod conv;
pub mod json;
pub mod sprig_crypto;
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
    sprig_crypto::register(&mut m);
    m.insert("hello", hello);
    json::register(&mut m);
    yaml::register(&mut m);
    m
}

/// Sprig's `hello`.
fn hello(a: &[Value]) -> FuncResult {
    args::<0>("hello", a)?;
    Ok(string_value("Hello!"))
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

thread_local! {
    /// The argument the last failed parameter check rejected (its address) and the error
    /// it gave, so that the executor can point at that argument as Go does.
    static REJECTED: RefCell<Option<(usize, String)>> = const { RefCell::new(None) };
}

/// Go's parameter type mismatch for argument `v` (remembered for [`rejected_argument`]).
pub(crate) fn wrong_type(expected: &str, v: &Value) -> FuncError {
    let err = FuncError(format!(
        "wrong type for value; expected {expected}; got {}",
        go_type(v)
    ));
    let address = std::ptr::from_ref(v) as usize;
    REJECTED.with(|r| *r.borrow_mut() = Some((address, err.0.clone())));
    err
}

thread_local! {
    /// Addresses of the arguments of the function being called that are a nil read from
    /// data (a field such as `.Values.missing`). Go gives those the type `interface {}`,
    /// which a map parameter refuses; a literal `nil`, a variable or a piped value reaches
    /// the function as an untyped nil, which becomes a nil map.
    static DATA_NILS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Calls `f` with `argv`, telling parameter checks which arguments (by index) are nils
/// read from data (see `is_data_nil`).
pub fn call_with_data_nils(
    f: Func,
    argv: &[Value],
    data_nils: &[usize],
) -> Result<Value, FuncError> {
    if data_nils.is_empty() {
        return f(argv);
    }
    let addresses = data_nils
        .iter()
        .filter_map(|&i| argv.get(i).map(|v| std::ptr::from_ref(v) as usize));
    DATA_NILS.with(|d| d.borrow_mut().extend(addresses));
    let result = f(argv);
    DATA_NILS.with(|d| d.borrow_mut().clear());
    result
}

/// Whether `v` is an argument of the current call that is a nil read from data.
pub(crate) fn is_data_nil(v: &Value) -> bool {
    matches!(v, Value::Nil)
        && DATA_NILS.with(|d| d.borrow().contains(&(std::ptr::from_ref(v) as usize)))
}

/// Which of `argv` a function's parameter check rejected with `err`, when the check was
/// made on the argument itself (Go reports the mismatch at that argument's node).
pub fn rejected_argument(argv: &[Value], err: &FuncError) -> Option<usize> {
    let (address, text) = REJECTED.with(|r| r.borrow_mut().take())?;
    if text != err.0 {
        return None;
    }
    let size = std::mem::size_of::<Value>();
    let offset = address.checked_sub(argv.as_ptr() as usize)?;
    (offset % size == 0 && offset / size < argv.len()).then_some(offset / size)
}

/// A `string` parameter.
pub(crate) fn str_arg(v: &Value) -> Result<&str, FuncError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type("string", other)),
    }
}

/// An `int` parameter. Go converts only template literals to a parameter's type; a value
/// must already be an `int` (`float64` from values files and `int64` from `--set` or
/// Sprig's math are rejected).
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Sprig v3's `TxtFuncMap` minus `env`/`expandenv` and `fail` (an executor builtin),
    /// plus Helm's own functions except the engine-bound `include`/`tpl`/`required`/`lookup`.
    const EXPECTED: &str = "hello ago date date_in_zone date_modify dateInZone dateModify duration \
        durationRound htmlDate htmlDateInZone must_date_modify mustDateModify mustToDate now toDate \
        unixEpoch abbrev abbrevboth trunc trim upper lower title untitle substr repeat trimall \
        trimAll trimSuffix trimPrefix nospace initials randAlphaNum randAlpha randAscii randNumeric \
        swapcase shuffle snakecase camelcase kebabcase wrap wrapWith contains hasPrefix hasSuffix \
        quote squote cat indent nindent replace plural sha1sum sha256sum adler32sum toString atoi \
        int64 int float64 seq toDecimal split splitList splitn toStrings until untilStep add1 add \
        sub div mod mul randInt add1f addf subf divf mulf biggest max min maxf minf ceil floor round \
        join sortAlpha default empty coalesce all any compact mustCompact fromJson toJson \
        toPrettyJson toRawJson mustFromJson mustToJson mustToPrettyJson mustToRawJson ternary \
        deepCopy mustDeepCopy typeOf typeIs typeIsLike kindOf kindIs deepEqual getHostByName base \
        dir clean ext isAbs osBase osClean osDir osExt osIsAbs b64enc b64dec b32enc b32dec tuple \
        list dict get set unset hasKey pluck keys pick omit merge mergeOverwrite mustMerge \
        mustMergeOverwrite values append push mustAppend mustPush prepend mustPrepend first \
        mustFirst rest mustRest last mustLast initial mustInitial reverse mustReverse uniq mustUniq \
        without mustWithout has mustHas slice mustSlice concat dig chunk mustChunk bcrypt htpasswd \
        genPrivateKey derivePassword buildCustomCert genCA genCAWithKey genSelfSignedCert \
        genSelfSignedCertWithKey genSignedCert genSignedCertWithKey encryptAES decryptAES randBytes \
        uuidv4 semver semverCompare regexMatch mustRegexMatch regexFindAll mustRegexFindAll \
        regexFind mustRegexFind regexReplaceAll mustRegexReplaceAll regexReplaceAllLiteral \
        mustRegexReplaceAllLiteral regexSplit mustRegexSplit regexQuoteMeta urlParse urlJoin \
        toToml mustToToml fromToml toYaml mustToYaml toYamlPretty fromYaml fromYamlArray \
        fromJsonArray";

    #[test]
    fn registry_has_every_sprig_and_helm_function() {
        let m = builtin_functions();
        let missing: Vec<&str> = EXPECTED
            .split_whitespace()
            .filter(|n| !m.contains_key(n))
            .collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
        for absent in [
            "env",
            "expandenv",
            "include",
            "tpl",
            "required",
            "lookup",
            "fail",
            "printf",
        ] {
            assert!(
                !m.contains_key(absent),
                "{absent} must not be registered here"
            );
        }
    }

    #[test]
    fn the_rejected_argument_is_found_by_its_position() {
        let trunc = builtin_functions()["trunc"];
        let argv = [Value::Int(5), Value::Int(5)];
        let Err(e) = trunc(&argv) else {
            panic!("trunc accepted an int string")
        };
        assert_eq!(rejected_argument(&argv, &e), Some(1));
        // Taken once; an error from elsewhere names no argument.
        assert_eq!(rejected_argument(&argv, &e), None);
        let other = [Value::Int(5), Value::Int(5)];
        let Err(e) = trunc(&argv) else {
            panic!("trunc accepted an int string")
        };
        assert_eq!(rejected_argument(&other, &e), None);
    }

    #[test]
    fn argument_errors_are_recognised() {
        let m = builtin_functions();
        let upper = m["upper"];
        let Err(e) = upper(&[Value::Int(1)]) else {
            panic!("upper accepted an int")
        };
        assert!(is_argument_error(&e));
        let Err(e) = upper(&[]) else {
            panic!("upper accepted no arguments")
        };
        assert!(is_argument_error(&e));
        let div = m["div"];
        let Err(e) = div(&[Value::Int(1), Value::Int(0)]) else {
            panic!("div by zero succeeded")
        };
        assert!(!is_argument_error(&e));
    }
}
