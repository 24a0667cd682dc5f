//! Dependency processing before rendering: aliases, `condition`/`tags`, `import-values`.
//!
//! Helm counterpart: `pkg/chart/v2/util/dependencies.go` (`ProcessDependenciesWithMerge`,
//! which install, upgrade and template use). In order:
//! 1. each `Chart.yaml` dependency is matched to a loaded subchart by name and version
//!    constraint; an alias gets its own copy of the subchart, renamed to the alias (and the
//!    dependency's `name` becomes the alias);
//! 2. all are enabled, then `tags` (any true tag enables, all-false disables) and then
//!    `condition` (first path that holds a bool wins) are read from the coalesced values;
//!    disabled subcharts leave both `dependencies` lists; this recurses into subcharts with
//!    paths prefixed by the subchart name;
//! 3. `import-values` copy child values into the parent (`exports.x` strings or
//!    `{child, parent}` maps), bottom-up; the parent's own values win, and each chart with
//!    dependencies gets its coalesced values stored back in `chart.values`, as Helm does.
//!
//! [`check_dependencies`] is Helm's `CheckDependencies` (missing subcharts).
use serde_json::{Map, Value};

use super::coalesce::{coalesce_values_with_warnings, merge_tables, merge_values};
use super::constraint::is_compatible_range;
use super::{Chart, Dependency, Error};

/// Applies aliases, conditions, tags and import-values to `chart` for `user_values`.
pub fn process_dependencies(
    chart: &mut Chart,
    user_values: &Map<String, Value>,
) -> Result<(), Error> {
    process_dependencies_with_warnings(chart, user_values).map(|_| ())
}

/// [`process_dependencies`], returning the warnings Helm logs (non-bool tags/conditions,
/// missing import tables, coalescing clashes).
pub fn process_dependencies_with_warnings(
    chart: &mut Chart,
    user_values: &Map<String, Value>,
) -> Result<Vec<String>, Error> {
    let mut warnings = Vec::new();
    process_enabled(chart, user_values, "", &mut warnings)?;
    process_import_values(chart, &mut warnings)?;
    Ok(warnings)
}

/// The names of `Chart.yaml` dependencies that `charts/` does not hold.
pub fn missing_dependencies(chart: &Chart) -> Vec<&str> {
    chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !chart.dependencies.iter().any(|c| c.metadata.name == d.name))
        .map(|d| d.name.as_str())
        .collect()
}

/// Helm's `CheckDependencies`: every `Chart.yaml` dependency must be present in `charts/`.
pub fn check_dependencies(chart: &Chart) -> Result<(), Error> {
    let missing = missing_dependencies(chart);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::MissingDependencies(missing.join(", ")))
    }
}

fn process_enabled(
    chart: &mut Chart,
    values: &Map<String, Value>,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    // Each requirement takes its own copy of the first compatible loaded subchart (under its
    // alias, if any); a subchart no requirement names stays as it is. The last requirement
    // using a subchart takes it without a copy: subcharts hold every file of their tree.
    let matches = |c: &Chart, req: &Dependency| {
        c.metadata.name == req.name && is_compatible_range(&req.version, &c.metadata.version)
    };
    let existing = std::mem::take(&mut chart.dependencies);
    let (named, mut selected): (Vec<Chart>, Vec<Chart>) = existing.into_iter().partition(|c| {
        chart
            .metadata
            .dependencies
            .iter()
            .any(|req| matches(c, req))
    });
    let picks: Vec<Option<usize>> = (chart.metadata.dependencies.iter())
        .map(|req| named.iter().position(|c| matches(c, req)))
        .collect();
    let mut named: Vec<Option<Chart>> = named.into_iter().map(Some).collect();
    for (i, req) in chart.metadata.dependencies.iter_mut().enumerate() {
        if let Some(index) = picks[i] {
            let used_again = picks[i + 1..].contains(&Some(index));
            let copy = if used_again {
                named[index].clone()
            } else {
                named[index].take()
            };
            if let Some(mut copy) = copy {
                if !req.alias.is_empty() {
                    copy.metadata.name = req.alias.clone();
                }
                selected.push(copy);
            }
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    chart.dependencies = selected;
    for req in chart.metadata.dependencies.iter_mut() {
        req.enabled = true;
    }
    let (cvals, coalesce_warnings) = coalesce_values_with_warnings(chart, values, false)?;
    warnings.extend(coalesce_warnings);
    apply_tags(&mut chart.metadata.dependencies, &cvals, warnings);
    apply_conditions(&mut chart.metadata.dependencies, &cvals, path, warnings);
    let disabled: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !d.enabled)
        .map(|d| d.name.clone())
        .collect();
    chart
        .dependencies
        .retain(|c| !disabled.contains(&c.metadata.name));
    chart
        .metadata
        .dependencies
        .retain(|d| !disabled.contains(&d.name));
    for sub in chart.dependencies.iter_mut() {
        let sub_path = format!("{path}{}.", sub.metadata.name);
        process_enabled(sub, &cvals, &sub_path, warnings)?;
    }
    Ok(())
}

fn apply_tags(deps: &mut [Dependency], cvals: &Map<String, Value>, warnings: &mut Vec<String>) {
    let Some(Value::Object(tags)) = cvals.get("tags") else {
        return;
    };
    for dep in deps.iter_mut() {
        let (mut any_true, mut any_false) = (false, false);
        for tag in &dep.tags {
            match tags.get(tag) {
                Some(Value::Bool(true)) => any_true = true,
                Some(Value::Bool(false)) => any_false = true,
                Some(_) => {
                    warnings.push(format!("tag is not a bool: tag={tag} chart={}", dep.name))
                }
                None => {}
            }
        }
        dep.enabled = any_true || !any_false;
    }
}

fn apply_conditions(
    deps: &mut [Dependency],
    cvals: &Map<String, Value>,
    path: &str,
    warnings: &mut Vec<String>,
) {
    for dep in deps.iter_mut() {
        for condition in dep.condition.trim().split(',') {
            if condition.is_empty() {
                continue;
            }
            match path_value(cvals, &format!("{path}{condition}")) {
                Some(Value::Bool(b)) => {
                    dep.enabled = *b;
                    break;
                }
                Some(_) => warnings.push(format!(
                    "returned non-bool value: path={condition} chart={}",
                    dep.name
                )),
                None => {}
            }
        }
    }
}

/// Helm's `Values.Table`: walks `a.b.c` through maps.
fn table<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Map<String, Value>> {
    let mut current = values;
    for part in path.split('.') {
        match current.get(part) {
            Some(Value::Object(m)) => current = m,
            _ => return None,
        }
    }
    Some(current)
}

/// Helm's `Values.PathValue`: a non-table value at `a.b.c`.
fn path_value<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (table(values, parent)?, key),
        None => (values, path),
    };
    match parent.get(key) {
        Some(Value::Object(_)) | None => None,
        Some(v) => Some(v),
    }
}

/// Helm's `pathToMap`: nests `data` under a dotted path (`.` is the root).
fn path_to_map(path: &str, data: Map<String, Value>) -> Map<String, Value> {
    if path == "." {
        return data;
    }
    let mut current = data;
    for part in path.split('.').rev() {
        let mut outer = Map::new();
        outer.insert(part.to_string(), Value::Object(current));
        current = outer;
    }
    current
}

/// Go's `fmt.Sprintf("%v", x)` for the scalars `import-values` entries hold.
fn go_sprint(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<nil>".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn process_import_values(chart: &mut Chart, warnings: &mut Vec<String>) -> Result<(), Error> {
    for sub in chart.dependencies.iter_mut() {
        process_import_values(sub, warnings)?;
    }
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = merge_values(chart, &Map::new())?;
    let mut imported = Map::new();
    for dep in chart.metadata.dependencies.iter_mut() {
        let mut normalized = Vec::new();
        for entry in &dep.import_values {
            let (child, parent) = match entry {
                Value::Object(m) => (go_sprint(m.get("child")), go_sprint(m.get("parent"))),
                Value::String(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            let mut pair = Map::new();
            pair.insert("child".into(), Value::String(child.clone()));
            pair.insert("parent".into(), Value::String(parent.clone()));
            normalized.push(Value::Object(pair));
            match table(&cvals, &format!("{}.{child}", dep.name)) {
                Some(found) => {
                    imported = merge_tables(imported, path_to_map(&parent, found.clone()));
                }
                None => warnings.push(format!(
                    "ImportValues missing table from chart {}: {child}",
                    dep.name
                )),
            }
        }
        dep.import_values = normalized;
    }
    chart.values = merge_tables(cvals, imported);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Metadata;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn chart(name: &str, values: Value) -> Chart {
        Chart {
            metadata: Metadata {
                name: name.into(),
                version: "1.0.0".into(),
                ..Metadata::default()
            },
            values: map(values),
            ..Chart::default()
        }
    }

    fn dep(name: &str) -> Dependency {
        Dependency {
            name: name.into(),
            version: "1.x".into(),
            ..Dependency::default()
        }
    }

    fn names(c: &Chart) -> Vec<&str> {
        c.dependencies
            .iter()
            .map(|d| d.metadata.name.as_str())
            .collect()
    }

    #[test]
    fn a_false_condition_removes_the_subchart() {
        let mut top = chart("top", json!({"sub": {"enabled": false}}));
        top.metadata.dependencies = vec![Dependency {
            condition: "sub.enabled".into(),
            ..dep("sub")
        }];
        top.dependencies = vec![chart("sub", json!({}))];
        process_dependencies(&mut top, &Map::new()).unwrap();
        assert!(top.dependencies.is_empty());
        assert!(top.metadata.dependencies.is_empty());
    }

    #[test]
    fn user_values_override_conditions_and_the_first_bool_path_wins() {
        let mut top = chart("top", json!({"sub": {"enabled": false}}));
        top.metadata.dependencies = vec![Dependency {
            condition: "missing.path,sub.enabled,other".into(),
            ..dep("sub")
        }];
        top.dependencies = vec![chart("sub", json!({}))];
        process_dependencies(
            &mut top,
            &map(json!({"sub": {"enabled": true}, "other": false})),
        )
        .unwrap();
        assert_eq!(names(&top), ["sub"]);
    }

    #[test]
    fn tags_disable_only_when_none_is_true_and_conditions_override_tags() {
        let mut top = chart("top", json!({"tags": {"front": false, "back": true}}));
        top.metadata.dependencies = vec![
            Dependency {
                tags: vec!["front".into()],
                ..dep("a")
            },
            Dependency {
                tags: vec!["front".into(), "back".into()],
                ..dep("b")
            },
            Dependency {
                tags: vec!["front".into()],
                condition: "c.on".into(),
                ..dep("c")
            },
        ];
        top.dependencies = vec![
            chart("a", json!({})),
            chart("b", json!({})),
            chart("c", json!({"on": true})),
        ];
        process_dependencies(&mut top, &Map::new()).unwrap();
        assert_eq!(names(&top), ["b", "c"]);
    }

    #[test]
    fn aliases_make_renamed_copies_of_one_subchart() {
        let mut top = chart("top", json!({}));
        top.metadata.dependencies = vec![
            Dependency {
                alias: "first".into(),
                ..dep("sub")
            },
            Dependency {
                alias: "second".into(),
                ..dep("sub")
            },
        ];
        top.dependencies = vec![chart("sub", json!({"x": 1}))];
        process_dependencies(&mut top, &Map::new()).unwrap();
        assert_eq!(names(&top), ["first", "second"]);
        assert_eq!(top.metadata.dependencies[0].name, "first");
        let values = crate::chart::coalesce_values(&top, &Map::new()).unwrap();
        assert_eq!(values["second"]["x"], json!(1));
    }

    #[test]
    fn a_subchart_whose_version_does_not_match_is_kept_under_its_own_name() {
        let mut top = chart("top", json!({}));
        top.metadata.dependencies = vec![Dependency {
            version: "2.x".into(),
            alias: "renamed".into(),
            ..dep("sub")
        }];
        top.dependencies = vec![chart("sub", json!({}))];
        process_dependencies(&mut top, &Map::new()).unwrap();
        assert_eq!(names(&top), ["sub"]);
    }

    #[test]
    fn nested_conditions_are_read_below_the_subchart_path() {
        let mut inner = chart("sub", json!({"deep": {"enabled": true}}));
        inner.metadata.dependencies = vec![Dependency {
            condition: "deep.enabled".into(),
            ..dep("deep")
        }];
        inner.dependencies = vec![chart("deep", json!({}))];
        let mut top = chart("top", json!({}));
        top.metadata.dependencies = vec![dep("sub")];
        top.dependencies = vec![inner];
        process_dependencies(&mut top, &map(json!({"sub": {"deep": {"enabled": false}}}))).unwrap();
        assert!(top.dependencies[0].dependencies.is_empty());
    }

    #[test]
    fn import_values_copy_exports_and_child_tables_under_parent_values() {
        let mut top = chart("top", json!({"mine": {"keep": "parent"}}));
        top.metadata.dependencies = vec![Dependency {
            import_values: vec![
                json!("data"),
                json!({"child": "settings", "parent": "mine"}),
            ],
            ..dep("sub")
        }];
        top.dependencies = vec![chart(
            "sub",
            json!({"exports": {"data": {"shared": 1}}, "settings": {"keep": "child", "extra": 2}}),
        )];
        process_dependencies(&mut top, &Map::new()).unwrap();
        assert_eq!(top.values["shared"], json!(1));
        assert_eq!(top.values["mine"], json!({"keep": "parent", "extra": 2}));
        assert_eq!(
            top.metadata.dependencies[0].import_values,
            vec![
                json!({"child": "exports.data", "parent": "."}),
                json!({"child": "settings", "parent": "mine"})
            ]
        );
    }

    #[test]
    fn missing_subcharts_are_listed() {
        let mut top = chart("top", json!({}));
        top.metadata.dependencies = vec![dep("a"), dep("b")];
        top.dependencies = vec![chart("a", json!({}))];
        assert_eq!(
            check_dependencies(&top).unwrap_err().to_string(),
            "found in Chart.yaml, but missing in charts/ directory: b"
        );
    }

    #[test]
    fn path_value_ignores_tables() {
        let v = map(json!({"a": {"b": {"c": 1}}}));
        assert_eq!(path_value(&v, "a.b.c"), Some(&json!(1)));
        assert_eq!(path_value(&v, "a.b"), None);
        assert_eq!(path_value(&v, "x.y"), None);
    }
}
