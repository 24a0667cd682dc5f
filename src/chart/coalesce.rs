//! Coalescing: user values laid over a chart's defaults, recursively into subcharts.
//!
//! Helm counterpart: `pkg/chart/common/util/coalesce.go` (`CoalesceValues`, `MergeValues`,
//! `CoalesceTables`, `MergeTables`) and `values.go` (`ToRenderValues`). Rules kept from Helm:
//! user values win; maps merge, lists and scalars replace; a `null` user value deletes the
//! default (when coalescing; merging keeps it), while a chart's own `null` defaults are left
//! out (Helm 4.3's `cleanNilValues`, checked against real Helm); each subchart's values are
//! `values[<subchart name>]` coalesced with the subchart's own `values.yaml`; `global` is
//! copied down into every subchart (the parent's globals win). Unlike Helm, nothing is
//! printed: warnings (type clashes Helm skips) are returned as strings.
use serde_json::{Map, Value};

use super::{Chart, Error, schema};

/// Name of the values key shared with every subchart.
pub const GLOBAL_KEY: &str = "global";

/// Accumulates Helm's coalescing warnings instead of printing them.
#[derive(Debug, Default)]
pub(crate) struct Warnings(pub(crate) Vec<String>);

impl Warnings {
    fn push(&mut self, message: String) {
        self.0.push(message);
    }
}

/// Helm's `CoalesceValues`: the chart's defaults (and its subcharts') under `user`, with
/// `null` user values deleting defaults.
pub fn coalesce_values(
    chart: &Chart,
    user: &Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    coalesce_values_with_warnings(chart, user, false).map(|(values, _)| values)
}

/// Helm's `MergeValues`: like [`coalesce_values`] but `null`s are kept, not deleting.
pub fn merge_values(chart: &Chart, user: &Map<String, Value>) -> Result<Map<String, Value>, Error> {
    coalesce_values_with_warnings(chart, user, true).map(|(values, _)| values)
}

/// Coalesces (`merge == false`) or merges (`true`), also returning the warnings Helm logs.
pub fn coalesce_values_with_warnings(
    chart: &Chart,
    user: &Map<String, Value>,
    merge: bool,
) -> Result<(Map<String, Value>, Vec<String>), Error> {
    let mut warnings = Warnings::default();
    let mut dest = user.clone();
    coalesce(&mut warnings, chart, &mut dest, "", merge)?;
    Ok((dest, warnings.0))
}

/// The values a chart renders with (`.Values`): [`coalesce_values`], then the JSON Schema
/// of the chart and of each subchart checked against the result (Helm's `ToRenderValues`).
pub fn to_render_values(
    chart: &Chart,
    user: &Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    let values = coalesce_values(chart, user)?;
    schema::validate_values(chart, &values)?;
    Ok(values)
}

/// Helm's `CoalesceTables`: `dst` wins over `src`; `null` in `dst` deletes the key.
pub fn coalesce_tables(mut dst: Map<String, Value>, src: Map<String, Value>) -> Map<String, Value> {
    coalesce_tables_full_key(&mut Warnings::default(), &mut dst, src, "", false);
    dst
}

/// Helm's `MergeTables`: `dst` wins over `src`; `null`s are kept.
pub fn merge_tables(mut dst: Map<String, Value>, src: Map<String, Value>) -> Map<String, Value> {
    coalesce_tables_full_key(&mut Warnings::default(), &mut dst, src, "", true);
    dst
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

fn coalesce(
    w: &mut Warnings,
    chart: &Chart,
    dest: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
) -> Result<(), Error> {
    coalesce_chart_values(w, chart, dest, prefix, merge);
    coalesce_deps(w, chart, dest, prefix, merge)
}

fn coalesce_deps(
    w: &mut Warnings,
    chart: &Chart,
    dest: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
) -> Result<(), Error> {
    for sub in &chart.dependencies {
        let name = sub.metadata.name.as_str();
        let mut sub_values = match dest.remove(name) {
            None => Map::new(),
            Some(Value::Object(map)) => map,
            Some(Value::Null) => {
                return Err(Error::Values(format!(
                    "type mismatch on {name}: %!t(<nil>)"
                )));
            }
            Some(other) => {
                return Err(Error::Values(format!(
                    "type mismatch on {name}: %!t({}={other})",
                    go_type(&other)
                )));
            }
        };
        let sub_prefix = concat_prefix(prefix, &chart.metadata.name);
        coalesce_globals(w, &mut sub_values, dest, &sub_prefix);
        coalesce(w, sub, &mut sub_values, &sub_prefix, merge)?;
        dest.insert(name.to_string(), Value::Object(sub_values));
    }
    Ok(())
}

/// Copies the parent's `global` into the subchart's, the parent winning on conflicts.
fn coalesce_globals(
    w: &mut Warnings,
    dest: &mut Map<String, Value>,
    src: &Map<String, Value>,
    prefix: &str,
) {
    let mut dg = match dest.get(GLOBAL_KEY) {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            w.push(format!(
                "warning: skipping globals because destination {GLOBAL_KEY} is not a table."
            ));
            return;
        }
    };
    let sg = match src.get(GLOBAL_KEY) {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            w.push(format!(
                "warning: skipping globals because source {GLOBAL_KEY} is not a table."
            ));
            return;
        }
    };
    for (key, val) in sg {
        match val {
            Value::Object(mut vv) => match dg.get(&key) {
                None => {
                    dg.insert(key, Value::Object(vv));
                }
                Some(Value::Object(existing)) => {
                    let existing = existing.clone();
                    coalesce_tables_full_key(
                        w,
                        &mut vv,
                        existing,
                        &concat_prefix(prefix, &key),
                        true,
                    );
                    dg.insert(key, Value::Object(vv));
                }
                Some(_) => w.push(format!(
                    "Conflict: cannot merge map onto non-map for {key:?}. Skipping."
                )),
            },
            other => {
                if matches!(dg.get(&key), Some(Value::Object(_))) {
                    w.push(format!("key {key} is table. Skipping"));
                } else {
                    dg.insert(key, other);
                }
            }
        }
    }
    dest.insert(GLOBAL_KEY.to_string(), Value::Object(dg));
}

/// Lays the chart's own defaults under `v` (Helm's `coalesceValues`).
fn coalesce_chart_values(
    w: &mut Warnings,
    chart: &Chart,
    v: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
) {
    let sub_prefix = concat_prefix(prefix, &chart.metadata.name);
    for (key, default) in &chart.values {
        match v.get_mut(key) {
            // Helm 4.3 leaves the chart's own `null` defaults out when coalescing, at every
            // depth: they neither show in `.Values` nor shadow a subchart's defaults.
            None if !merge => match default {
                Value::Null => {}
                Value::Object(map) => {
                    let mut map = map.clone();
                    clean_nil_values(&mut map);
                    v.insert(key.clone(), Value::Object(map));
                }
                other => {
                    v.insert(key.clone(), other.clone());
                }
            },
            None => {
                v.insert(key.clone(), default.clone());
            }
            Some(Value::Null) if !merge => {
                v.remove(key);
            }
            Some(Value::Object(dest)) => match default {
                Value::Object(src) => {
                    let is_subchart = chart.dependencies.iter().any(|d| d.metadata.name == *key);
                    let merge = merge || is_subchart;
                    let mut src = src.clone();
                    if !merge {
                        clean_nil_values(&mut src);
                    }
                    coalesce_tables_full_key(w, dest, src, &concat_prefix(&sub_prefix, key), merge);
                }
                Value::Null => {}
                _ => w.push(format!(
                    "warning: skipped value for {sub_prefix}.{key}: Not a table."
                )),
            },
            Some(_) => {}
        }
    }
}

/// Removes `null` entries from `map` and from the maps nested in it (not from lists).
fn clean_nil_values(map: &mut Map<String, Value>) {
    map.retain(|_, v| !v.is_null());
    for v in map.values_mut() {
        if let Value::Object(inner) = v {
            clean_nil_values(inner);
        }
    }
}

/// Helm's `coalesceTablesFullKey`: `dst` is authoritative. When coalescing, a `null` in
/// `dst` deletes a default that `src` really has; a `null` for a key `src` lacks (or has as
/// `null`) stays, so a user's own `null` survives (Helm 4.3).
fn coalesce_tables_full_key(
    w: &mut Warnings,
    dst: &mut Map<String, Value>,
    mut src: Map<String, Value>,
    prefix: &str,
    merge: bool,
) {
    let src_non_nil: std::collections::HashSet<String> = (src.iter())
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for (key, val) in dst.iter() {
        if val.is_null() {
            src.insert(key.clone(), Value::Null);
        }
    }
    for (key, val) in src {
        let full_key = concat_prefix(prefix, &key);
        match dst.get_mut(&key) {
            Some(Value::Null) if !merge && src_non_nil.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, val);
            }
            Some(dv) => match (dv, val) {
                (Value::Object(dv), Value::Object(sv)) => {
                    coalesce_tables_full_key(w, dv, sv, &full_key, merge)
                }
                (_, val @ Value::Object(_)) => {
                    w.push(format!(
                        "warning: cannot overwrite table with non table for {full_key} ({val})"
                    ));
                }
                (Value::Object(_), val) if !val.is_null() => {
                    w.push(format!(
                        "warning: destination for {full_key} is a table. Ignoring non-table value ({val})"
                    ));
                }
                _ => {}
            },
        }
    }
}

/// The Go type name Helm's messages show for a value.
pub(crate) fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Metadata;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not a map"),
        }
    }

    fn chart(name: &str, values: Value, deps: Vec<Chart>) -> Chart {
        Chart {
            metadata: Metadata {
                name: name.into(),
                version: "1.0.0".into(),
                ..Metadata::default()
            },
            values: map(values),
            dependencies: deps,
            ..Chart::default()
        }
    }

    #[test]
    fn user_values_win_maps_merge_and_lists_replace() {
        let c = chart(
            "top",
            json!({"a": 1, "m": {"x": 1, "y": 2}, "l": [1, 2]}),
            vec![],
        );
        let v = coalesce_values(&c, &map(json!({"m": {"y": 3}, "l": [9]}))).unwrap();
        assert_eq!(
            Value::Object(v),
            json!({"a": 1, "m": {"x": 1, "y": 3}, "l": [9]})
        );
    }

    #[test]
    fn a_null_user_value_deletes_the_default() {
        let c = chart("top", json!({"a": 1, "m": {"x": 1, "y": 2}}), vec![]);
        let v = coalesce_values(&c, &map(json!({"a": null, "m": {"x": null}}))).unwrap();
        assert_eq!(Value::Object(v), json!({"m": {"y": 2}}));
    }

    #[test]
    fn merging_keeps_nulls() {
        let c = chart("top", json!({"a": 1}), vec![]);
        let v = merge_values(&c, &map(json!({"a": null}))).unwrap();
        assert_eq!(Value::Object(v), json!({"a": null}));
    }

    #[test]
    fn subcharts_get_their_defaults_under_their_name_and_globals_flow_down() {
        let sub = chart(
            "sub",
            json!({"port": 80, "global": {"env": "sub", "own": 1}}),
            vec![],
        );
        let top = chart(
            "top",
            json!({"global": {"env": "top"}, "sub": {"port": 8080}}),
            vec![sub],
        );
        let v = coalesce_values(&top, &map(json!({"sub": {"extra": true}}))).unwrap();
        assert_eq!(
            v["sub"],
            json!({"port": 8080, "extra": true, "global": {"env": "top", "own": 1}})
        );
        assert_eq!(v["global"], json!({"env": "top"}));
    }

    // The cases below were checked against real Helm 4.3 (`toJson .Values`).
    #[test]
    fn a_null_in_parent_defaults_leaves_the_subchart_default() {
        let sub = chart("sub", json!({"a": 1, "b": 2, "own": null}), vec![]);
        let top = chart(
            "top",
            json!({"sub": {"a": null}, "global": {"g": null}}),
            vec![sub],
        );
        let v = coalesce_values(&top, &Map::new()).unwrap();
        assert_eq!(v["sub"], json!({"a": 1, "b": 2, "global": {}}));
        assert_eq!(v["global"], json!({}));
    }

    #[test]
    fn null_defaults_are_left_out_at_every_depth_but_not_from_lists() {
        let c = chart(
            "top",
            json!({"x": null, "l": [1, null], "m": {"z": null, "w": 1, "n": {"z2": null, "k": 2}}}),
            vec![],
        );
        let v = coalesce_values(&c, &Map::new()).unwrap();
        assert_eq!(
            Value::Object(v),
            json!({"l": [1, null], "m": {"w": 1, "n": {"k": 2}}})
        );
    }

    #[test]
    fn a_user_null_without_a_default_is_kept() {
        let c = chart("top", json!({"m": {"w": 1}, "e": {}}), vec![]);
        let user = json!({"u": null, "m": {"q": null, "w": null}, "e": {"r": null}});
        let v = coalesce_values(&c, &map(user)).unwrap();
        assert_eq!(
            Value::Object(v),
            json!({"u": null, "m": {"q": null}, "e": {"r": null}})
        );
    }

    #[test]
    fn a_scalar_where_a_subchart_map_belongs_is_a_type_mismatch() {
        let sub = chart("sub", json!({}), vec![]);
        let top = chart("top", json!({}), vec![sub]);
        let err = coalesce_values(&top, &map(json!({"sub": "x"}))).unwrap_err();
        assert!(err.to_string().contains("type mismatch on sub"), "{err}");
    }

    #[test]
    fn type_clashes_are_warned_and_the_user_value_kept() {
        let c = chart("top", json!({"m": {"x": 1}, "s": "text"}), vec![]);
        let (v, warnings) =
            coalesce_values_with_warnings(&c, &map(json!({"s": {"k": 1}})), false).unwrap();
        assert_eq!(v["s"], json!({"k": 1}));
        assert_eq!(warnings, ["warning: skipped value for top.s: Not a table."]);
    }

    #[test]
    fn coalesce_tables_lets_dst_win_and_null_delete() {
        let out = coalesce_tables(
            map(json!({"a": 1, "n": null})),
            map(json!({"a": 2, "b": 3, "n": 4})),
        );
        assert_eq!(Value::Object(out), json!({"a": 1, "b": 3}));
        let out = merge_tables(map(json!({"n": null})), map(json!({"n": 4})));
        assert_eq!(Value::Object(out), json!({"n": null}));
    }

    #[test]
    fn the_chart_defaults_are_not_modified() {
        let c = chart("top", json!({"m": {"x": 1}}), vec![]);
        let _ = coalesce_values(&c, &map(json!({"m": {"x": 2}}))).unwrap();
        assert_eq!(c.values["m"], json!({"x": 1}));
    }
}

#[cfg(test)]
mod conformance_tests {
    use serde_json::Value;

    use crate::chart::{load_chart, process_dependencies, to_render_values};
    use crate::test_support::shared_dir;
    use crate::values::parse_values;

    /// Subchart folder names that Helm rendered output for, read from the manifest's
    /// `# Source: <chart>/charts/<sub>/…` lines.
    fn rendered_subcharts(manifest: &str, top: &str) -> Vec<String> {
        let prefix = format!("# Source: {top}/charts/");
        let mut subs: Vec<String> = manifest
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .filter_map(|rest| rest.split('/').next())
            .map(str::to_string)
            .collect();
        subs.sort();
        subs.dedup();
        subs
    }

    struct Case {
        values: serde_json::Map<String, Value>,
        manifest: String,
    }

    fn render_values_of(case: &str) -> Case {
        let dir = shared_dir().join("conformance").join(case);
        let mut chart = load_chart(dir.join("chart")).unwrap();
        let user =
            parse_values(&std::fs::read_to_string(dir.join("values.yaml")).unwrap()).unwrap();
        process_dependencies(&mut chart, &user).unwrap();
        let values = to_render_values(&chart, &user).unwrap_or_else(|e| panic!("{case}: {e}"));
        Case {
            values,
            manifest: std::fs::read_to_string(dir.join("expected/manifest.yaml")).unwrap(),
        }
    }

    #[test]
    fn every_case_coalesces_and_passes_its_schemas_with_helms_subcharts_enabled() {
        let root = shared_dir().join("conformance");
        let mut checked = 0;
        for entry in std::fs::read_dir(&root).unwrap() {
            let case_dir = entry.unwrap().path();
            if !case_dir.join("chart").is_dir() {
                continue;
            }
            let mut chart = load_chart(case_dir.join("chart")).unwrap();
            let top = chart.metadata.name.clone();
            let present: Vec<String> = chart
                .dependencies
                .iter()
                .map(|c| c.metadata.name.clone())
                .collect();
            let user =
                parse_values(&std::fs::read_to_string(case_dir.join("values.yaml")).unwrap())
                    .unwrap();
            process_dependencies(&mut chart, &user).unwrap();
            let values = to_render_values(&chart, &user)
                .unwrap_or_else(|e| panic!("{}: {e}", case_dir.display()));
            let manifest =
                std::fs::read_to_string(case_dir.join("expected/manifest.yaml")).unwrap();
            let enabled: Vec<&str> = chart
                .dependencies
                .iter()
                .map(|c| c.metadata.name.as_str())
                .collect();
            for sub in rendered_subcharts(&manifest, &top) {
                if !present.contains(&sub) {
                    continue; // not vendored in the corpus (see the case's NOTE/meta.json)
                }
                assert!(
                    enabled.contains(&sub.as_str()),
                    "{top}: Helm rendered {sub}, we disabled it"
                );
                assert!(
                    values[&sub]["global"].is_object(),
                    "{top}: {sub} lacks globals"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 12);
    }

    #[test]
    fn wordpress_disables_memcached_and_passes_user_values_to_mariadb() {
        let case = render_values_of("wordpress");
        assert!(
            case.values
                .get("memcached")
                .is_none_or(|m| m.get("enabled") == Some(&Value::Bool(false)))
        );
        assert_eq!(
            case.values["mariadb"]["primary"]["pdb"]["create"],
            Value::Bool(false)
        );
        assert!(
            !case
                .manifest
                .contains("# Source: wordpress/charts/memcached/")
        );
    }

    #[test]
    fn postgresql_image_in_values_is_the_one_helm_rendered() {
        let case = render_values_of("postgresql");
        let image = &case.values["image"];
        let reference = format!(
            "image: {}/{}:{}",
            image["registry"].as_str().unwrap(),
            image["repository"].as_str().unwrap(),
            image["tag"].as_str().unwrap()
        );
        assert!(case.manifest.contains(&reference), "{reference}");
        assert_eq!(case.values["primary"]["pdb"]["create"], Value::Bool(false));
    }

    #[test]
    fn argo_cd_leaves_the_disabled_redis_ha_out() {
        let dir = shared_dir().join("conformance/argo-cd/chart");
        let mut chart = load_chart(&dir).unwrap();
        assert!(
            chart
                .dependencies
                .iter()
                .any(|c| c.metadata.name == "redis-ha")
        );
        process_dependencies(&mut chart, &serde_json::Map::new()).unwrap();
        assert!(
            chart
                .dependencies
                .iter()
                .all(|c| c.metadata.name != "redis-ha")
        );
    }
}

#[cfg(test)]
mod conformance_schema_tests {
    use serde_json::json;

    use crate::chart::{load_chart, process_dependencies, to_render_values};
    use crate::test_support::shared_dir;

    #[test]
    fn nginx_schema_rejects_a_string_replica_count_with_its_path() {
        let mut chart = load_chart(shared_dir().join("conformance/nginx/chart")).unwrap();
        let user = json!({"replicaCount": "many"})
            .as_object()
            .cloned()
            .unwrap();
        process_dependencies(&mut chart, &user).unwrap();
        let err = to_render_values(&chart, &user).unwrap_err().to_string();
        assert!(err.contains("nginx:\n- at '/replicaCount'"), "{err}");
    }
}
