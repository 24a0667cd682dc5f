//! Values as Go's `encoding/json` writes and reads them inside release records.
//!
//! Helm keeps values as `map[string]interface{}`: numbers are written by Go's encoder
//! (`6379`, not `6379.0`) and come back as `float64`. serde_json would write a `f64` with a
//! fraction and read integers as integers; these helpers make rhelm write what Helm writes
//! and read what Helm reads.
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::{Map, Number, Value};

/// Largest integer a `float64` holds exactly; beyond it Go prints an exponent anyway.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// A copy of `value` whose integral floats are integers, so they print as Go prints them.
pub fn to_go_numbers(value: &Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < EXACT_INTEGER_LIMIT => {
                Value::Number(Number::from(f as i64))
            }
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(to_go_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_go_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `value` with every number turned into a float, as Go's decoder reads `interface{}`.
pub fn to_float_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) if !n.is_f64() => n
            .as_f64()
            .and_then(Number::from_f64)
            .map_or(Value::Number(n), Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(to_float_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, to_float_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// `serialize_with` for a values map: Go's number formatting.
pub fn serialize<S: Serializer>(values: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    let mut out = s.serialize_map(Some(values.len()))?;
    use serde::ser::SerializeMap;
    for (key, value) in values {
        out.serialize_entry(key, &to_go_numbers(value))?;
    }
    out.end()
}

/// `deserialize_with` for a values map: `null` is empty, numbers are floats.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    let map = Option::<Map<String, Value>>::deserialize(d)?.unwrap_or_default();
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, to_float_numbers(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integral_floats_are_written_without_a_fraction() {
        let v = json!({"port": 6379.0, "ratio": 0.5, "n": 3});
        assert_eq!(
            serde_json::to_string(&to_go_numbers(&v)).unwrap_or_default(),
            r#"{"n":3,"port":6379,"ratio":0.5}"#
        );
    }

    #[test]
    fn numbers_read_back_are_floats_as_in_go() {
        let v = to_float_numbers(json!({"a": [1, {"b": 2}]}));
        assert!(v["a"][0].is_f64());
        assert!(v["a"][1]["b"].is_f64());
    }
}
