//! Sprig's list and dictionary functions.
//!
//! Helm counterpart: Masterminds/sprig v3 `list.go` and `dict.go`, with `merge` and
//! `mergeOverwrite` following `dario.cat/mergo` (a destination value that is empty —
//! `false`, `0`, `""`, nil — is replaced by `merge`; nested maps merge in place).
//! Go's map iteration order is random for `keys`/`values`; we return key order.
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::super::value::{Func, FuncError, Value};
use super::conv::{kind_name, strval, to_int64};
use super::{FuncResult, args, args_min, int_arg, str_arg, string_list, wrong_type};

/// Registers the list and dict functions.
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("list", list),
        ("tuple", list),
        ("first", first),
        ("mustFirst", must_first),
        ("rest", rest),
        ("mustRest", must_rest),
        ("last", last),
        ("mustLast", must_last),
        ("initial", initial),
        ("mustInitial", must_initial),
        ("append", push),
        ("push", push),
        ("mustAppend", must_push),
        ("mustPush", must_push),
        ("prepend", prepend),
        ("mustPrepend", must_prepend),
        ("concat", concat),
        ("reverse", reverse),
        ("mustReverse", must_reverse),
        ("uniq", uniq),
        ("mustUniq", must_uniq),
        ("without", without),
        ("mustWithout", must_without),
        ("has", has),
        ("mustHas", must_has),
        ("compact", compact),
        ("mustCompact", must_compact),
        ("slice", slice),
        ("mustSlice", must_slice),
        ("chunk", chunk),
        ("mustChunk", must_chunk),
        ("dict", dict),
        ("get", get),
        ("set", set),
        ("unset", unset),
        ("hasKey", has_key),
        ("pluck", pluck),
        ("keys", keys),
        ("values", values),
        ("pick", pick),
        ("omit", omit),
        ("merge", merge),
        ("mustMerge", must_merge),
        ("mergeOverwrite", merge_overwrite),
        ("mustMergeOverwrite", must_merge_overwrite),
        ("deepCopy", deep_copy),
        ("mustDeepCopy", must_deep_copy),
        ("dig", dig),
    ];
    m.extend(fs.iter().copied());
}

/// Go's `reflect.DeepEqual` on template values (types must match: 1 ≠ 1.0).
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::TypedInt(s, x), Value::TypedInt(t, y)) => s == t && x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// A deep copy: maps and lists are new, scalars shared.
pub fn deep_copy_value(v: &Value) -> Value {
    match v {
        Value::List(items) => Value::list(items.iter().map(deep_copy_value).collect()),
        Value::Map(m) => Value::Map(Rc::new(RefCell::new(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), deep_copy_value(v)))
                .collect(),
        ))),
        other => other.clone(),
    }
}

/// Sprig's `empty`.
pub fn is_empty(v: &Value) -> bool {
    !v.is_truthy()
}

/// The items of a slice argument, or Sprig's "Cannot VERB on type KIND" error.
fn as_items(v: &Value, what: &str) -> Result<Vec<Value>, FuncError> {
    match v {
        Value::List(items) => Ok(items.as_ref().clone()),
        Value::Bytes(b) => Ok(b.iter().map(|c| Value::uint8(*c)).collect()),
        Value::Nil => Err(FuncError(
            "runtime error: invalid memory address or nil pointer dereference".into(),
        )),
        other => Err(FuncError(format!(
            "Cannot {what} on type {}",
            kind_name(other)
        ))),
    }
}

fn list(a: &[Value]) -> FuncResult {
    Ok(Value::list(a.to_vec()))
}

fn first_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l] = args::<1>(name, a)?;
    let items = as_items(l, "find first")?;
    Ok(items.first().cloned().unwrap_or(Value::Nil))
}

fn first(a: &[Value]) -> FuncResult {
    first_impl("first", a)
}

fn must_first(a: &[Value]) -> FuncResult {
    first_impl("mustFirst", a)
}

fn rest_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l] = args::<1>(name, a)?;
    let items = as_items(l, "find rest")?;
    if items.is_empty() {
        return Ok(Value::Nil);
    }
    Ok(Value::list(items[1..].to_vec()))
}

fn rest(a: &[Value]) -> FuncResult {
    rest_impl("rest", a)
}

fn must_rest(a: &[Value]) -> FuncResult {
    rest_impl("mustRest", a)
}

fn last_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l] = args::<1>(name, a)?;
    let items = as_items(l, "find last")?;
    Ok(items.last().cloned().unwrap_or(Value::Nil))
}

fn last(a: &[Value]) -> FuncResult {
    last_impl("last", a)
}

fn must_last(a: &[Value]) -> FuncResult {
    last_impl("mustLast", a)
}

fn initial_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l] = args::<1>(name, a)?;
    let items = as_items(l, "find initial")?;
    if items.is_empty() {
        return Ok(Value::Nil);
    }
    Ok(Value::list(items[..items.len() - 1].to_vec()))
}

fn initial(a: &[Value]) -> FuncResult {
    initial_impl("initial", a)
}

fn must_initial(a: &[Value]) -> FuncResult {
    initial_impl("mustInitial", a)
}

fn push_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l, v] = args::<2>(name, a)?;
    let mut items = as_items(l, "push")?;
    items.push(v.clone());
    Ok(Value::list(items))
}

fn push(a: &[Value]) -> FuncResult {
    push_impl("append", a)
}

fn must_push(a: &[Value]) -> FuncResult {
    push_impl("mustAppend", a)
}

fn prepend_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l, v] = args::<2>(name, a)?;
    let mut items = as_items(l, "prepend")?;
    items.insert(0, v.clone());
    Ok(Value::list(items))
}

fn prepend(a: &[Value]) -> FuncResult {
    prepend_impl("prepend", a)
}

fn must_prepend(a: &[Value]) -> FuncResult {
    prepend_impl("mustPrepend", a)
}

fn concat(a: &[Value]) -> FuncResult {
    let mut out = Vec::new();
    for l in a {
        match l {
            Value::List(items) => out.extend(items.iter().cloned()),
            Value::Bytes(b) => out.extend(b.iter().map(|c| Value::uint8(*c))),
            Value::Nil => {
                return Err(FuncError(
                    "runtime error: invalid memory address or nil pointer dereference".into(),
                ));
            }
            other => {
                return Err(FuncError(format!(
                    "Cannot concat type {} as list",
                    kind_name(other)
                )));
            }
        }
    }
    Ok(Value::list(out))
}

fn reverse_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l] = args::<1>(name, a)?;
    let mut items = as_items(l, "find reverse")?;
    items.reverse();
    Ok(Value::list(items))
}

fn reverse(a: &[Value]) -> FuncResult {
    reverse_impl("reverse", a)
}

fn must_reverse(a: &[Value]) -> FuncResult {
    reverse_impl("mustReverse", a)
}

fn uniq_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l] = args::<1>(name, a)?;
    let items = as_items(l, "find uniq")?;
    let mut out: Vec<Value> = Vec::new();
    for i in items {
        if !out.iter().any(|o| deep_equal(o, &i)) {
            out.push(i);
        }
    }
    Ok(Value::list(out))
}

fn uniq(a: &[Value]) -> FuncResult {
    uniq_impl("uniq", a)
}

fn must_uniq(a: &[Value]) -> FuncResult {
    uniq_impl("mustUniq", a)
}

fn without_impl(name: &str, a: &[Value]) -> FuncResult {
    args_min(name, a, 1)?;
    let items = as_items(&a[0], "find without")?;
    let omit = &a[1..];
    Ok(Value::list(
        items
            .into_iter()
            .filter(|i| !omit.iter().any(|o| deep_equal(o, i)))
            .collect(),
    ))
}

fn without(a: &[Value]) -> FuncResult {
    without_impl("without", a)
}

fn must_without(a: &[Value]) -> FuncResult {
    without_impl("mustWithout", a)
}

fn has_impl(name: &str, a: &[Value]) -> FuncResult {
    let [needle, hay] = args::<2>(name, a)?;
    if matches!(hay, Value::Nil) {
        return Ok(Value::Bool(false));
    }
    let items = as_items(hay, "find has")?;
    Ok(Value::Bool(items.iter().any(|i| deep_equal(i, needle))))
}

fn has(a: &[Value]) -> FuncResult {
    has_impl("has", a)
}

fn must_has(a: &[Value]) -> FuncResult {
    has_impl("mustHas", a)
}

fn compact_impl(name: &str, a: &[Value]) -> FuncResult {
    let [l] = args::<1>(name, a)?;
    let items = as_items(l, "compact")?;
    Ok(Value::list(
        items.into_iter().filter(|i| !is_empty(i)).collect(),
    ))
}

fn compact(a: &[Value]) -> FuncResult {
    compact_impl("compact", a)
}

fn must_compact(a: &[Value]) -> FuncResult {
    compact_impl("mustCompact", a)
}

fn slice_impl(name: &str, a: &[Value]) -> FuncResult {
    args_min(name, a, 1)?;
    let items = as_items(&a[0], "slice")?;
    let l = items.len() as i64;
    if l == 0 {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map_or(0, to_int64);
    let end = if a.len() < 3 { l } else { to_int64(&a[2]) };
    if start < 0 || end < start || end > l {
        return Err(FuncError(format!(
            "reflect: slice index out of range [{start}:{end}] with capacity {l}"
        )));
    }
    Ok(Value::list(items[start as usize..end as usize].to_vec()))
}

fn slice(a: &[Value]) -> FuncResult {
    slice_impl("slice", a)
}

fn must_slice(a: &[Value]) -> FuncResult {
    slice_impl("mustSlice", a)
}

fn chunk_impl(name: &str, a: &[Value]) -> FuncResult {
    let [size, l] = args::<2>(name, a)?;
    let size = int_arg(size)?;
    let items = match l {
        Value::List(_) | Value::Bytes(_) => as_items(l, "chunk")?,
        other => {
            return Err(FuncError(format!("Cannot chunk type {}", kind_name(other))));
        }
    };
    if size <= 0 {
        return Err(FuncError("runtime error: integer divide by zero".into()));
    }
    let chunks: Vec<Value> = items
        .chunks(size as usize)
        .map(|c| Value::list(c.to_vec()))
        .collect();
    Ok(Value::list(chunks))
}

fn chunk(a: &[Value]) -> FuncResult {
    chunk_impl("chunk", a)
}

fn must_chunk(a: &[Value]) -> FuncResult {
    chunk_impl("mustChunk", a)
}

fn new_map(entries: BTreeMap<String, Value>) -> Value {
    Value::Map(Rc::new(RefCell::new(entries)))
}

fn dict(a: &[Value]) -> FuncResult {
    let mut m = BTreeMap::new();
    let mut i = 0;
    while i < a.len() {
        let key = strval(&a[i]);
        let v = a.get(i + 1).cloned().unwrap_or_else(|| Value::string(""));
        m.insert(key, v);
        i += 2;
    }
    Ok(new_map(m))
}

/// A shared template map.
type SharedMap = Rc<RefCell<BTreeMap<String, Value>>>;

/// A `map[string]interface{}` parameter: a map, or an untyped nil (Go's nil map). A nil
/// read from data is an `interface {}` to Go, which it refuses here.
fn map_arg(v: &Value) -> Result<Option<&SharedMap>, FuncError> {
    match v {
        Value::Map(m) => Ok(Some(m)),
        Value::Nil if !super::is_data_nil(v) => Ok(None),
        other => Err(wrong_type("map[string]interface {}", other)),
    }
}

fn nil_map_write() -> FuncError {
    FuncError("assignment to entry in nil map".into())
}

fn get(a: &[Value]) -> FuncResult {
    let [d, k] = args::<2>("get", a)?;
    let (d, k) = (map_arg(d)?, str_arg(k)?);
    Ok(d.and_then(|m| m.borrow().get(k).cloned())
        .unwrap_or_else(|| Value::string("")))
}

fn set(a: &[Value]) -> FuncResult {
    let [d, k, v] = args::<3>("set", a)?;
    let m = map_arg(d)?.ok_or_else(nil_map_write)?;
    m.borrow_mut().insert(str_arg(k)?.to_string(), v.clone());
    Ok(d.clone())
}

fn unset(a: &[Value]) -> FuncResult {
    let [d, k] = args::<2>("unset", a)?;
    let key = str_arg(k)?;
    if let Some(m) = map_arg(d)? {
        m.borrow_mut().remove(key);
    }
    Ok(d.clone())
}

fn has_key(a: &[Value]) -> FuncResult {
    let [d, k] = args::<2>("hasKey", a)?;
    let (d, k) = (map_arg(d)?, str_arg(k)?);
    Ok(Value::Bool(d.is_some_and(|m| m.borrow().contains_key(k))))
}

fn pluck(a: &[Value]) -> FuncResult {
    args_min("pluck", a, 1)?;
    let name = str_arg(&a[0])?;
    let mut out = Vec::new();
    for d in &a[1..] {
        if let Some(m) = map_arg(d)?
            && let Some(v) = m.borrow().get(name)
        {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

fn keys(a: &[Value]) -> FuncResult {
    let mut out = Vec::new();
    for d in a {
        if let Some(m) = map_arg(d)? {
            out.extend(m.borrow().keys().cloned());
        }
    }
    Ok(string_list(out))
}

fn values(a: &[Value]) -> FuncResult {
    let [d] = args::<1>("values", a)?;
    Ok(Value::list(
        map_arg(d)?
            .map(|m| m.borrow().values().cloned().collect())
            .unwrap_or_default(),
    ))
}

fn pick(a: &[Value]) -> FuncResult {
    args_min("pick", a, 1)?;
    let src = map_arg(&a[0])?;
    let mut out = BTreeMap::new();
    for k in &a[1..] {
        let k = str_arg(k)?;
        if let Some(v) = src.and_then(|m| m.borrow().get(k).cloned()) {
            out.insert(k.to_string(), v);
        }
    }
    Ok(new_map(out))
}

fn omit(a: &[Value]) -> FuncResult {
    args_min("omit", a, 1)?;
    let src = map_arg(&a[0])?;
    let drop: Vec<&str> = a[1..].iter().map(str_arg).collect::<Result<_, _>>()?;
    let out = src
        .map(|m| {
            m.borrow()
                .iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(new_map(out))
}

/// mergo's map merge of `src` into `dst` (in place).
fn mergo(dst: &SharedMap, src: &BTreeMap<String, Value>, overwrite: bool) {
    for (k, sv) in src {
        if matches!(sv, Value::Nil) {
            continue;
        }
        let dv = dst.borrow().get(k).cloned();
        if let (Value::Map(sm), Some(Value::Map(dm))) = (sv, &dv)
            && !Rc::ptr_eq(sm, dm)
        {
            let src_inner = sm.borrow().clone();
            mergo(dm, &src_inner, overwrite);
        }
        if let Some(d) = &dv
            && !is_empty(d)
            && matches!(sv, Value::Map(_) | Value::List(_))
        {
            if overwrite && matches!(sv, Value::List(_)) {
                dst.borrow_mut().insert(k.clone(), sv.clone());
            }
            continue;
        }
        if overwrite || dv.as_ref().is_none_or(is_empty) {
            dst.borrow_mut().insert(k.clone(), sv.clone());
        }
    }
}

fn merge_impl(name: &str, a: &[Value], overwrite: bool) -> FuncResult {
    args_min(name, a, 1)?;
    let Some(dst) = map_arg(&a[0])? else {
        return Ok(new_map(BTreeMap::new()));
    };
    for s in &a[1..] {
        if let Some(src) = map_arg(s)? {
            let src_inner = src.borrow().clone();
            mergo(dst, &src_inner, overwrite);
        }
    }
    Ok(a[0].clone())
}

fn merge(a: &[Value]) -> FuncResult {
    merge_impl("merge", a, false)
}

fn must_merge(a: &[Value]) -> FuncResult {
    merge_impl("mustMerge", a, false)
}

fn merge_overwrite(a: &[Value]) -> FuncResult {
    merge_impl("mergeOverwrite", a, true)
}

fn must_merge_overwrite(a: &[Value]) -> FuncResult {
    merge_impl("mustMergeOverwrite", a, true)
}

/// copystructure cannot copy an untyped nil: Go's reflect panics, Sprig reports it.
fn deep_copy_checked(v: &Value) -> FuncResult {
    match v {
        Value::Nil => Err(FuncError(
            "reflect: call of reflect.Value.Type on zero Value".into(),
        )),
        v => Ok(deep_copy_value(v)),
    }
}

fn deep_copy(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("deepCopy", a)?;
    deep_copy_checked(v)
}

fn must_deep_copy(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("mustDeepCopy", a)?;
    deep_copy_checked(v)
}

/// The dynamic type Go's failed type assertion names (`nil` for a nil interface).
fn asserted_type(v: &Value) -> String {
    match v {
        Value::Nil => "nil".to_string(),
        other => other.type_name(),
    }
}

fn dig(a: &[Value]) -> FuncResult {
    if a.len() < 3 {
        return Err(FuncError("dig needs at least three arguments".into()));
    }
    let dict = &a[a.len() - 1];
    let default = &a[a.len() - 2];
    let keys = &a[..a.len() - 2];
    let Value::Map(mut cur) = dict.clone() else {
        return Err(FuncError(format!(
            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
            asserted_type(dict)
        )));
    };
    for (i, k) in keys.iter().enumerate() {
        let Value::String(k) = k else {
            return Err(FuncError(format!(
                "interface conversion: interface {{}} is {}, not string",
                asserted_type(k)
            )));
        };
        let step = cur.borrow().get(k.as_ref()).cloned();
        let Some(step) = step else {
            return Ok(default.clone());
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        match step {
            Value::Map(m) => cur = m,
            other => {
                return Err(FuncError(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    asserted_type(&other)
                )));
            }
        }
    }
    Ok(default.clone())
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

    fn l(items: &[Value]) -> Value {
        Value::list(items.to_vec())
    }

    #[test]
    fn list_accessors_follow_sprig() {
        let x = l(&[Value::Int(1), Value::Int(2), Value::Int(3)]);
        assert_eq!(call(first, std::slice::from_ref(&x)), "1");
        assert_eq!(call(rest, std::slice::from_ref(&x)), "[2 3]");
        assert_eq!(call(last, std::slice::from_ref(&x)), "3");
        assert_eq!(call(initial, std::slice::from_ref(&x)), "[1 2]");
        assert_eq!(call(first, &[l(&[])]), "<nil>");
        assert_eq!(call(push, &[x.clone(), Value::Int(4)]), "[1 2 3 4]");
        assert_eq!(call(prepend, &[x.clone(), Value::Int(0)]), "[0 1 2 3]");
        assert_eq!(call(reverse, std::slice::from_ref(&x)), "[3 2 1]");
        assert_eq!(call(concat, &[x.clone(), l(&[s("a")])]), "[1 2 3 a]");
        assert_eq!(call(slice, &[x.clone(), Value::Int(1)]), "[2 3]");
        assert_eq!(
            call(slice, &[x.clone(), Value::Int(1), Value::Int(2)]),
            "[2]"
        );
        assert_eq!(
            call(push, &[s("x"), Value::Int(4)]),
            "ERR Cannot push on type string"
        );
        assert_eq!(
            call(first, &[Value::Int(1)]),
            "ERR Cannot find first on type int"
        );
    }

    #[test]
    fn set_operations_use_deep_equality() {
        let x = l(&[
            Value::Int(1),
            Value::Int(1),
            Value::Float(1.0),
            s("a"),
            s("a"),
        ]);
        assert_eq!(call(uniq, std::slice::from_ref(&x)), "[1 1 a]");
        assert_eq!(call(without, &[x.clone(), Value::Int(1)]), "[1 a a]");
        assert_eq!(call(has, &[s("a"), x.clone()]), "true");
        assert_eq!(call(has, &[s("b"), Value::Nil]), "false");
        assert_eq!(
            call(
                compact,
                &[l(&[
                    s(""),
                    Value::Int(0),
                    s("x"),
                    Value::Nil,
                    Value::Bool(false)
                ])]
            ),
            "[x]"
        );
        assert_eq!(
            call(
                chunk,
                &[
                    Value::Int(2),
                    l(&[Value::Int(1), Value::Int(2), Value::Int(3)])
                ]
            ),
            "[[1 2] [3]]"
        );
    }

    #[test]
    fn dict_functions_mutate_and_read() {
        let d = dict(&[s("a"), Value::Int(1), s("b")]).unwrap();
        assert_eq!(format_value(&d), "map[a:1 b:]");
        set(&[d.clone(), s("c"), s("x")]).unwrap();
        assert_eq!(call(get, &[d.clone(), s("c")]), "x");
        assert_eq!(call(get, &[d.clone(), s("zz")]), "");
        assert_eq!(call(has_key, &[d.clone(), s("a")]), "true");
        unset(&[d.clone(), s("a")]).unwrap();
        assert_eq!(call(keys, std::slice::from_ref(&d)), "[b c]");
        assert_eq!(call(pick, &[d.clone(), s("c")]), "map[c:x]");
        assert_eq!(call(omit, &[d.clone(), s("c")]), "map[b:]");
        assert_eq!(call(pluck, &[s("c"), d.clone(), Value::empty_map()]), "[x]");
        assert_eq!(
            call(set, &[Value::Nil, s("a"), s("b")]),
            "ERR assignment to entry in nil map"
        );
        assert_eq!(
            call(get, &[s("x"), s("a")]),
            "ERR wrong type for value; expected map[string]interface {}; got string"
        );
    }

    #[test]
    fn merge_keeps_destination_unless_empty_and_overwrite_replaces() {
        let dst =
            Value::from_json(&serde_json::json!({"a": 1, "b": false, "n": {"x": 1}, "l": [1]}));
        let src = Value::from_json(
            &serde_json::json!({"a": 2, "b": true, "c": 3, "n": {"x": 2, "y": 2}, "l": [2]}),
        );
        let out = merge(&[dst.clone(), src.clone()]).unwrap();
        assert_eq!(
            format_value(&out),
            "map[a:1 b:true c:3 l:[1] n:map[x:1 y:2]]"
        );
        let dst2 =
            Value::from_json(&serde_json::json!({"a": 1, "n": {"x": 1}, "l": [1], "s": "keep"}));
        let src2 =
            Value::from_json(&serde_json::json!({"a": 2, "n": {"x": 2}, "l": [2], "s": {"m": 1}}));
        let out = merge_overwrite(&[dst2, src2]).unwrap();
        assert_eq!(format_value(&out), "map[a:2 l:[2] n:map[x:2] s:keep]");
    }

    #[test]
    fn dig_walks_nested_maps_with_a_default() {
        let d = Value::from_json(&serde_json::json!({"a": {"b": {"c": 1}}}));
        assert_eq!(
            call(dig, &[s("a"), s("b"), s("c"), s("def"), d.clone()]),
            "1"
        );
        assert_eq!(call(dig, &[s("a"), s("x"), s("def"), d.clone()]), "def");
        assert_eq!(
            call(dig, &[s("a"), d]),
            "ERR dig needs at least three arguments"
        );
    }

    #[test]
    fn deep_copy_does_not_share_maps() {
        let d = Value::from_json(&serde_json::json!({"a": {"b": 1}}));
        let c = deep_copy(std::slice::from_ref(&d)).unwrap();
        if let Value::Map(m) = &c {
            m.borrow_mut().insert("z".into(), Value::Nil);
        }
        assert!(deep_equal(
            &d,
            &Value::from_json(&serde_json::json!({"a": {"b": 1}}))
        ));
        assert!(!deep_equal(&d, &c));
    }
}
