//! Test-only stand-ins for Sprig functions the `funcs` module has not landed yet, so the
//! conformance harness can exercise the executor. Registered only where `funcs` has no
//! function of that name; delete once `funcs` covers them.
#![cfg(test)]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::gofmt::format_value;
use super::value::{Func, FuncError, Value};

type R = Result<Value, FuncError>;

fn err(msg: &str) -> FuncError {
    FuncError(msg.to_string())
}

fn empty(v: &Value) -> bool {
    !v.is_truthy()
}

fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => format_value(other),
    }
}

fn new_map(m: BTreeMap<String, Value>) -> Value {
    Value::Map(Rc::new(RefCell::new(m)))
}

fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) => *f as i64,
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::String(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn deep_copy(v: &Value) -> Value {
    match v {
        Value::Map(m) => new_map(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), deep_copy(v)))
                .collect(),
        ),
        Value::List(l) => Value::list(l.iter().map(deep_copy).collect()),
        other => other.clone(),
    }
}

fn merge_into(
    dst: &Rc<RefCell<BTreeMap<String, Value>>>,
    src: &BTreeMap<String, Value>,
    overwrite: bool,
) {
    for (k, v) in src {
        let existing = dst.borrow().get(k).cloned();
        match (existing, v) {
            (Some(Value::Map(d)), Value::Map(s)) => {
                if !Rc::ptr_eq(&d, s) {
                    let s = s.borrow().clone();
                    merge_into(&d, &s, overwrite);
                }
            }
            (Some(existing), _) if !overwrite && !empty(&existing) => {}
            (Some(_), v) if overwrite && empty(v) && !matches!(v, Value::Map(_)) => {
                if matches!(v, Value::Nil) {
                    continue;
                }
                dst.borrow_mut().insert(k.clone(), deep_copy(v));
            }
            _ => {
                dst.borrow_mut().insert(k.clone(), deep_copy(v));
            }
        }
    }
}

fn merge(a: &[Value], overwrite: bool) -> R {
    let Some(Value::Map(dst)) = a.first() else {
        return Err(err("merge needs maps"));
    };
    for src in &a[1..] {
        if let Value::Map(s) = src {
            let s = s.borrow().clone();
            merge_into(dst, &s, overwrite);
        }
    }
    Ok(a[0].clone())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::Bytes(_) | Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(_) => "struct",
    }
}

fn list_of(v: &Value) -> Vec<Value> {
    match v {
        Value::List(l) => l.to_vec(),
        _ => Vec::new(),
    }
}

fn semver_compare(a: &[Value]) -> R {
    let c = strval(&a[0]);
    let v = strval(&a[1]);
    let v = v.trim_start_matches('v');
    let Ok(version) =
        semver::Version::parse(v).or_else(|_| semver::Version::parse(&format!("{v}.0")))
    else {
        return Err(err("invalid semantic version"));
    };
    let mut version = version;
    version.pre = semver::Prerelease::EMPTY;
    let ok = c.split("||").any(|alt| {
        let alt = alt.trim().replace(".x", "").replace(".*", "");
        alt.split([' ', ',']).filter(|p| !p.is_empty()).all(|p| {
            let p = p.trim_end_matches("-0");
            let (op, rest) = match p.find(|c: char| c.is_ascii_digit() || c == 'v') {
                Some(i) => (&p[..i], &p[i..]),
                None => return true,
            };
            let rest = rest.trim_start_matches('v').trim_end_matches("-0");
            let mut parts: Vec<u64> = rest.split('.').map(|x| x.parse().unwrap_or(0)).collect();
            let given = parts.len();
            parts.resize(3, 0);
            let want = semver::Version::new(parts[0], parts[1], parts[2]);
            match op {
                ">=" => version >= want,
                ">" => version > want,
                "<=" => version <= want,
                "<" => version < want,
                "!=" => version != want,
                "^" => version >= want && version.major == want.major,
                "~" => {
                    version >= want
                        && version.major == want.major
                        && (given < 2 || version.minor == want.minor)
                }
                _ => match given {
                    1 => version.major == want.major,
                    2 => version.major == want.major && version.minor == want.minor,
                    _ => version == want,
                },
            }
        })
    });
    Ok(Value::Bool(ok))
}

fn cert() -> Value {
    Value::Object(Rc::new(super::objects::Struct::new(
        "sprig.certificate",
        vec![
            ("Cert", Value::string("CERT")),
            ("Key", Value::string("KEY")),
        ],
        None,
    )))
}

/// The stand-ins, by name.
pub fn shims() -> HashMap<&'static str, Func> {
    let fs: &[(&'static str, Func)] = &[
        ("default", |a| {
            Ok(if a.len() < 2 || empty(&a[1]) {
                a[0].clone()
            } else {
                a[1].clone()
            })
        }),
        ("empty", |a| Ok(Value::Bool(empty(&a[0])))),
        ("dict", |a| {
            let mut m = BTreeMap::new();
            for pair in a.chunks(2) {
                m.insert(
                    strval(&pair[0]),
                    pair.get(1).cloned().unwrap_or(Value::string("")),
                );
            }
            Ok(new_map(m))
        }),
        ("list", |a| Ok(Value::list(a.to_vec()))),
        ("tuple", |a| Ok(Value::list(a.to_vec()))),
        ("set", |a| {
            if let Value::Map(m) = &a[0] {
                m.borrow_mut().insert(strval(&a[1]), a[2].clone());
            }
            Ok(a[0].clone())
        }),
        ("unset", |a| {
            if let Value::Map(m) = &a[0] {
                m.borrow_mut().remove(&strval(&a[1]));
            }
            Ok(a[0].clone())
        }),
        ("hasKey", |a| {
            Ok(Value::Bool(match &a[0] {
                Value::Map(m) => m.borrow().contains_key(&strval(&a[1])),
                _ => false,
            }))
        }),
        ("get", |a| {
            Ok(match &a[0] {
                Value::Map(m) => m
                    .borrow()
                    .get(&strval(&a[1]))
                    .cloned()
                    .unwrap_or(Value::string("")),
                _ => Value::string(""),
            })
        }),
        ("keys", |a| {
            let mut out = Vec::new();
            for m in a {
                if let Value::Map(m) = m {
                    out.extend(m.borrow().keys().map(|k| Value::string(k.as_str())));
                }
            }
            Ok(Value::list(out))
        }),
        ("values", |a| {
            Ok(match &a[0] {
                Value::Map(m) => Value::list(m.borrow().values().cloned().collect()),
                _ => Value::list(vec![]),
            })
        }),
        ("pick", |a| {
            let Value::Map(m) = &a[0] else {
                return Ok(Value::empty_map());
            };
            let m = m.borrow();
            let mut out = BTreeMap::new();
            for k in &a[1..] {
                let k = strval(k);
                if let Some(v) = m.get(&k) {
                    out.insert(k, v.clone());
                }
            }
            Ok(new_map(out))
        }),
        ("omit", |a| {
            let Value::Map(m) = &a[0] else {
                return Ok(Value::empty_map());
            };
            let drop: Vec<String> = a[1..].iter().map(strval).collect();
            Ok(new_map(
                m.borrow()
                    .iter()
                    .filter(|(k, _)| !drop.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
        }),
        ("dig", |a| {
            let n = a.len();
            let mut cur = a[n - 1].clone();
            for k in &a[..n - 2] {
                cur = match &cur {
                    Value::Map(m) => match m.borrow().get(&strval(k)) {
                        Some(v) => v.clone(),
                        None => return Ok(a[n - 2].clone()),
                    },
                    _ => return Ok(a[n - 2].clone()),
                };
            }
            Ok(cur)
        }),
        ("merge", |a| merge(a, false)),
        ("mustMerge", |a| merge(a, false)),
        ("mergeOverwrite", |a| merge(a, true)),
        ("mustMergeOverwrite", |a| merge(a, true)),
        ("deepCopy", |a| Ok(deep_copy(&a[0]))),
        ("mustDeepCopy", |a| Ok(deep_copy(&a[0]))),
        ("ternary", |a| {
            Ok(if a[2].is_truthy() {
                a[0].clone()
            } else {
                a[1].clone()
            })
        }),
        ("toString", |a| Ok(Value::string(strval(&a[0])))),
        ("kindIs", |a| Ok(Value::Bool(strval(&a[0]) == kind(&a[1])))),
        ("kindOf", |a| Ok(Value::string(kind(&a[0])))),
        ("typeIs", |a| {
            Ok(Value::Bool(strval(&a[0]) == a[1].type_name()))
        }),
        ("typeOf", |a| Ok(Value::string(a[0].type_name()))),
        ("int", |a| Ok(Value::Int(to_i64(&a[0])))),
        ("int64", |a| Ok(Value::Int(to_i64(&a[0])))),
        ("float64", |a| Ok(Value::Float(to_f64(&a[0])))),
        ("atoi", |a| Ok(Value::Int(to_i64(&a[0])))),
        ("add", |a| Ok(Value::Int(a.iter().map(to_i64).sum()))),
        ("add1", |a| Ok(Value::Int(to_i64(&a[0]) + 1))),
        ("sub", |a| Ok(Value::Int(to_i64(&a[0]) - to_i64(&a[1])))),
        ("mul", |a| Ok(Value::Int(a.iter().map(to_i64).product()))),
        ("div", |a| {
            let d = to_i64(&a[1]);
            if d == 0 {
                return Err(err("integer divide by zero"));
            }
            Ok(Value::Int(to_i64(&a[0]) / d))
        }),
        ("mod", |a| {
            let d = to_i64(&a[1]);
            if d == 0 {
                return Err(err("integer divide by zero"));
            }
            Ok(Value::Int(to_i64(&a[0]) % d))
        }),
        ("max", |a| {
            Ok(Value::Int(a.iter().map(to_i64).max().unwrap_or(0)))
        }),
        ("min", |a| {
            Ok(Value::Int(a.iter().map(to_i64).min().unwrap_or(0)))
        }),
        ("until", |a| {
            Ok(Value::list((0..to_i64(&a[0])).map(Value::Int).collect()))
        }),
        ("seq", |a| {
            Ok(Value::string(
                (1..=to_i64(&a[0]))
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            ))
        }),
        ("append", |a| {
            let mut l = list_of(&a[0]);
            l.push(a[1].clone());
            Ok(Value::list(l))
        }),
        ("mustAppend", |a| {
            let mut l = list_of(&a[0]);
            l.push(a[1].clone());
            Ok(Value::list(l))
        }),
        ("concat", |a| {
            Ok(Value::list(a.iter().flat_map(list_of).collect()))
        }),
        ("first", |a| {
            Ok(list_of(&a[0]).first().cloned().unwrap_or(Value::Nil))
        }),
        ("last", |a| {
            Ok(list_of(&a[0]).last().cloned().unwrap_or(Value::Nil))
        }),
        ("reverse", |a| {
            Ok(Value::list(list_of(&a[0]).into_iter().rev().collect()))
        }),
        ("has", |a| {
            let needle = strval(&a[0]);
            Ok(Value::Bool(
                list_of(&a[1])
                    .iter()
                    .any(|v| strval(v) == needle && kind(v) == kind(&a[0])),
            ))
        }),
        ("without", |a| {
            let drop: Vec<String> = a[1..].iter().map(strval).collect();
            Ok(Value::list(
                list_of(&a[0])
                    .into_iter()
                    .filter(|v| !drop.contains(&strval(v)))
                    .collect(),
            ))
        }),
        ("uniq", |a| {
            let mut seen: Vec<String> = Vec::new();
            let mut out = Vec::new();
            for v in list_of(&a[0]) {
                let s = strval(&v);
                if !seen.contains(&s) {
                    seen.push(s);
                    out.push(v);
                }
            }
            Ok(Value::list(out))
        }),
        ("compact", |a| {
            Ok(Value::list(
                list_of(&a[0]).into_iter().filter(|v| !empty(v)).collect(),
            ))
        }),
        ("coalesce", |a| {
            Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
        }),
        ("splitList", |a| {
            Ok(Value::list(
                strval(&a[1])
                    .split(&strval(&a[0]))
                    .map(Value::string)
                    .collect(),
            ))
        }),
        ("join", |a| {
            Ok(Value::string(
                list_of(&a[1])
                    .iter()
                    .map(strval)
                    .collect::<Vec<_>>()
                    .join(&strval(&a[0])),
            ))
        }),
        ("sortAlpha", |a| {
            let mut l: Vec<String> = list_of(&a[0]).iter().map(strval).collect();
            l.sort();
            Ok(Value::list(l.into_iter().map(Value::string).collect()))
        }),
        ("b64enc", |a| {
            use base64::Engine as _;
            Ok(Value::string(
                base64::engine::general_purpose::STANDARD.encode(strval(&a[0])),
            ))
        }),
        ("sha256sum", |a| {
            use sha2::Digest as _;
            Ok(Value::string(hex::encode(sha2::Sha256::digest(
                strval(&a[0]).as_bytes(),
            ))))
        }),
        ("semverCompare", semver_compare),
        ("regexMatch", |a| {
            let re = regex::Regex::new(&strval(&a[0])).map_err(|e| err(&e.to_string()))?;
            Ok(Value::Bool(re.is_match(&strval(&a[1]))))
        }),
        ("regexReplaceAll", |a| {
            let re = regex::Regex::new(&strval(&a[0])).map_err(|e| err(&e.to_string()))?;
            Ok(Value::string(
                re.replace_all(&strval(&a[1]), strval(&a[2]).as_str())
                    .into_owned(),
            ))
        }),
        ("now", |_| Ok(Value::string("2026-01-01 00:00:00"))),
        ("date", |_| Ok(Value::string("2026-01-01"))),
        ("env", |_| Ok(Value::string(""))),
        ("semver", |a| {
            let text = strval(&a[0]);
            let v = semver::Version::parse(text.trim_start_matches('v'))
                .map_err(|e| err(&e.to_string()))?;
            Ok(Value::Object(Rc::new(super::objects::Struct::new(
                "*semver.Version",
                vec![
                    ("Major", Value::Int(v.major as i64)),
                    ("Minor", Value::Int(v.minor as i64)),
                    ("Patch", Value::Int(v.patch as i64)),
                ],
                Some(text),
            ))))
        }),
        ("dateInZone", |_| Ok(Value::string("2026-01-01T00:00:00Z"))),
        ("htpasswd", |a| {
            Ok(Value::string(format!("{}:$2a$10$stub", strval(&a[0]))))
        }),
        ("prepend", |a| {
            let mut l = vec![a[1].clone()];
            l.extend(list_of(&a[0]));
            Ok(Value::list(l))
        }),
        ("mustUniq", |a| {
            let mut seen: Vec<String> = Vec::new();
            let mut out = Vec::new();
            for v in list_of(&a[0]) {
                let s = strval(&v);
                if !seen.contains(&s) {
                    seen.push(s);
                    out.push(v);
                }
            }
            Ok(Value::list(out))
        }),
        ("genCA", |_| Ok(cert())),
        ("genSignedCert", |_| Ok(cert())),
        ("genSelfSignedCert", |_| Ok(cert())),
        ("genPrivateKey", |_| Ok(Value::string("KEY"))),
        ("floor", |a| Ok(Value::Float(to_f64(&a[0]).floor()))),
        ("ceil", |a| Ok(Value::Float(to_f64(&a[0]).ceil()))),
        ("round", |a| Ok(Value::Float(to_f64(&a[0]).round()))),
        ("mulf", |a| Ok(Value::Float(a.iter().map(to_f64).product()))),
        ("addf", |a| Ok(Value::Float(a.iter().map(to_f64).sum()))),
        ("subf", |a| Ok(Value::Float(to_f64(&a[0]) - to_f64(&a[1])))),
        ("divf", |a| Ok(Value::Float(to_f64(&a[0]) / to_f64(&a[1])))),
        ("maxf", |a| {
            Ok(Value::Float(a.iter().map(to_f64).fold(f64::MIN, f64::max)))
        }),
        ("minf", |a| {
            Ok(Value::Float(a.iter().map(to_f64).fold(f64::MAX, f64::min)))
        }),
        ("b64dec", |a| {
            use base64::Engine as _;
            let d = base64::engine::general_purpose::STANDARD
                .decode(strval(&a[0]))
                .unwrap_or_default();
            Ok(Value::string(String::from_utf8_lossy(&d).into_owned()))
        }),
        ("mustWithout", |a| {
            let drop: Vec<String> = a[1..].iter().map(strval).collect();
            Ok(Value::list(
                list_of(&a[0])
                    .into_iter()
                    .filter(|v| !drop.contains(&strval(v)))
                    .collect(),
            ))
        }),
        ("mustHas", |a| {
            let needle = strval(&a[0]);
            Ok(Value::Bool(
                list_of(&a[1]).iter().any(|v| strval(v) == needle),
            ))
        }),
        ("mustPrepend", |a| {
            let mut l = vec![a[1].clone()];
            l.extend(list_of(&a[0]));
            Ok(Value::list(l))
        }),
        ("mustFirst", |a| {
            Ok(list_of(&a[0]).first().cloned().unwrap_or(Value::Nil))
        }),
        ("mustLast", |a| {
            Ok(list_of(&a[0]).last().cloned().unwrap_or(Value::Nil))
        }),
        ("mustCompact", |a| {
            Ok(Value::list(
                list_of(&a[0]).into_iter().filter(|v| !empty(v)).collect(),
            ))
        }),
        ("mustRegexMatch", |a| {
            let re = regex::Regex::new(&strval(&a[0])).map_err(|e| err(&e.to_string()))?;
            Ok(Value::Bool(re.is_match(&strval(&a[1]))))
        }),
        ("toStrings", |a| {
            Ok(Value::list(
                list_of(&a[0])
                    .iter()
                    .map(|v| Value::string(strval(v)))
                    .collect(),
            ))
        }),
    ];
    fs.iter().copied().collect()
}
