//! JSON Schema validation of the coalesced values, for a chart and each of its subcharts.
//!
//! Helm counterpart: `pkg/chart/common/util/jsonschema.go` (`ValidateAgainstSchema`). Each
//! chart with a `values.schema.json` checks its own part of the values (a subchart:
//! `values[<name>]`); every failing path is listed, one `- at '<pointer>': <reason>` line
//! each, under a `<chart>:` heading, and the whole led by Helm's sentence. The reasons are
//! the `jsonschema` crate's wording, not Helm's validator's.
use serde_json::{Map, Value};

use super::{Chart, Error};

/// Checks `values` against the schemas of `chart` and its subcharts.
pub fn validate_values(chart: &Chart, values: &Map<String, Value>) -> Result<(), Error> {
    let report = schema_report(chart, values);
    if report.is_empty() {
        Ok(())
    } else {
        Err(Error::Schema(report))
    }
}

/// Helm's report text for `chart` (empty when everything validates).
fn schema_report(chart: &Chart, values: &Map<String, Value>) -> String {
    let mut out = String::new();
    if let Some(raw) = &chart.schema
        && let Err(text) = validate_single(values, raw)
    {
        out.push_str(&format!("{}:\n{text}", chart.metadata.name));
    }
    for sub in &chart.dependencies {
        let name = &sub.metadata.name;
        match values.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::Object(sub_values)) => out.push_str(&schema_report(sub, sub_values)),
            Some(other) => out.push_str(&format!(
                "{name}:\ninvalid type for values: expected object (map), got {}\n",
                super::coalesce::go_type(other)
            )),
        }
    }
    out
}

/// Validates against one schema document; the error text ends with a newline.
pub fn validate_single(values: &Map<String, Value>, schema: &[u8]) -> Result<(), String> {
    let schema: Value = serde_json::from_slice(schema).map_err(|e| format!("{e}\n"))?;
    let validator = jsonschema::validator_for(&schema).map_err(|e| format!("{e}\n"))?;
    let instance = Value::Object(values.clone());
    let lines: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("- at '{}': {}", e.instance_path(), e))
        .collect();
    if lines.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n", lines.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Metadata;
    use serde_json::json;

    fn chart(name: &str, schema: Option<Value>, deps: Vec<Chart>) -> Chart {
        Chart {
            metadata: Metadata {
                name: name.into(),
                version: "1.0.0".into(),
                ..Metadata::default()
            },
            schema: schema.map(|s| s.to_string().into_bytes()),
            dependencies: deps,
            ..Chart::default()
        }
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn every_failing_path_is_listed_under_its_chart() {
        let schema = json!({"type": "object", "properties": {
            "replicas": {"type": "integer"}, "name": {"type": "string"}}, "required": ["image"]});
        let c = chart("top", Some(schema), vec![]);
        let err = validate_values(&c, &map(json!({"replicas": "two", "name": 3})))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("values don't meet the specifications of the schema(s) in the following chart(s):\ntop:\n"), "{err}");
        assert!(err.contains("- at '/replicas'"), "{err}");
        assert!(err.contains("- at '/name'"), "{err}");
        assert!(err.contains("- at ''"), "{err}");
    }

    #[test]
    fn subcharts_validate_their_own_part_of_the_values() {
        let sub = chart(
            "sub",
            Some(json!({"properties": {"port": {"type": "integer"}}})),
            vec![],
        );
        let top = chart("top", None, vec![sub]);
        assert!(validate_values(&top, &map(json!({"sub": {"port": 80}}))).is_ok());
        let err = validate_values(&top, &map(json!({"sub": {"port": "x"}})))
            .unwrap_err()
            .to_string();
        assert!(err.contains("sub:\n- at '/port'"), "{err}");
    }

    #[test]
    fn integral_floats_from_yaml_satisfy_integer_types() {
        let c = chart(
            "top",
            Some(json!({"properties": {"n": {"type": "integer"}}})),
            vec![],
        );
        assert!(validate_values(&c, &map(json!({"n": 3.0}))).is_ok());
    }

    #[test]
    fn a_broken_schema_is_an_error() {
        let mut c = chart("top", None, vec![]);
        c.schema = Some(b"{not json".to_vec());
        assert!(validate_values(&c, &Map::new()).is_err());
    }
}
