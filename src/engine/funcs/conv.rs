//! Sprig's and `spf13/cast`'s value conversions, shared by the function families.
//!
//! Helm counterpart: Sprig's `strval`, `toInt64`, `toFloat64`, `strslice` and the `cast`
//! package they call (`ToInt64E`: strings parse with base prefixes, anything else is 0).
use super::super::gofmt::format_value;
use super::super::value::Value;

/// Sprig's `strval`: strings as they are, bytes as text, everything else `%v`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Object(o) => o.display(),
        other => format_value(other),
    }
}

/// `cast.ToInt64`: numbers convert (floats truncate), numeric strings parse
/// (`0x`, `0o`, `0b` and leading-`0` octal prefixes; `"12.00"` is 12), otherwise 0.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(n) | Value::TypedInt(_, n) => *n,
        Value::Float(f) => float_to_i64(*f),
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// Go's `int64(f)` conversion, saturating where Go's result is unspecified.
pub fn float_to_i64(f: f64) -> i64 {
    if f.is_nan() { i64::MIN } else { f as i64 }
}

/// `cast.ToFloat64`: numbers convert, strings parse with `strconv.ParseFloat`, otherwise 0.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(n) | Value::TypedInt(_, n) => *n as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` (decimal forms, `inf`, `nan`, underscores not allowed).
pub fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    let lower = t.to_ascii_lowercase();
    let body = lower.strip_prefix('-').unwrap_or(&lower);
    if matches!(body, "inf" | "infinity") {
        return Some(if lower.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if body == "nan" {
        return Some(f64::NAN);
    }
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
    {
        return None;
    }
    t.parse::<f64>().ok()
}

/// `cast`'s `trimZeroDecimal`: `"12.000"` → `"12"`, anything else unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=b.len()).rev() {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/`0` prefixes,
/// underscores only after a prefix.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r.to_string(), true)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r.to_string(), true)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    if digits.contains('_')
        && (!prefixed
            || digits.starts_with('_') && radix != 8
            || digits.ends_with('_')
            || digits.contains("__"))
    {
        return None;
    }
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() {
        return None;
    }
    let mag = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// Sprig's `strslice`: a list's non-nil items as strings, nil as `[]`, a scalar as `[s]`.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items
            .iter()
            .filter(|i| !matches!(i, Value::Nil))
            .map(strval)
            .collect(),
        Value::Bytes(b) => b.iter().map(|c| c.to_string()).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// Go's `reflect.Kind` name of a value, as Sprig's `kindOf` reports it.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::TypedInt(t, _) => t.go_name(),
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::Bytes(_) | Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(_) => "ptr",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_int64_parses_strings_like_cast() {
        assert_eq!(to_int64(&Value::string("42")), 42);
        assert_eq!(to_int64(&Value::string("0x1F")), 31);
        assert_eq!(to_int64(&Value::string("010")), 8);
        assert_eq!(to_int64(&Value::string("12.00")), 12);
        assert_eq!(to_int64(&Value::string("12.5")), 0);
        assert_eq!(to_int64(&Value::string("abc")), 0);
        assert_eq!(to_int64(&Value::Float(3.9)), 3);
        assert_eq!(to_int64(&Value::Float(-3.9)), -3);
        assert_eq!(to_int64(&Value::Bool(true)), 1);
        assert_eq!(to_int64(&Value::Nil), 0);
    }

    #[test]
    fn to_float64_parses_strings_and_defaults_to_zero() {
        assert_eq!(to_float64(&Value::string("1.5")), 1.5);
        assert_eq!(to_float64(&Value::string("x")), 0.0);
        assert_eq!(to_float64(&Value::Int(3)), 3.0);
    }

    #[test]
    fn strval_uses_percent_v_for_non_strings() {
        assert_eq!(strval(&Value::Float(1e6)), "1e+06");
        assert_eq!(strval(&Value::Nil), "<nil>");
        assert_eq!(strval(&Value::Int(-3)), "-3");
    }

    #[test]
    fn strslice_drops_nil_items() {
        let l = Value::list(vec![Value::string("a"), Value::Nil, Value::Int(2)]);
        assert_eq!(strslice(&l), vec!["a", "2"]);
        assert!(strslice(&Value::Nil).is_empty());
    }
}
