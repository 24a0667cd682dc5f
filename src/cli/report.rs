//! Turning action results into Helm's output layouts (status block, history and list
//! tables, values documents). Builds text; `printer` writes it.
//!
//! Helm counterpart: the writers in `pkg/cmd/{status,history,list,get_*}.go`.
use anyhow::Result;
use serde::Serialize;
use serde_json::{Map, Value};

use super::args::OutputFormat;
use super::printer::{Printer, Table, format_ansic, format_go_time};
use crate::release::Release;

/// `--debug` lines for an action's notes.
pub fn debug_notes(printer: &Printer, notes: &[String]) {
    for note in notes {
        printer.debug(note);
    }
}

/// `CHART` column: `<name>-<version>`.
fn chart_name(release: &Release) -> String {
    let md = &release.chart.metadata;
    if md.name.is_empty() {
        return "MISSING".to_string();
    }
    format!("{}-{}", md.name, md.version)
}

/// Go-compatible YAML of JSON data (`sigs.k8s.io/yaml`), ending with a newline.
pub fn yaml_text(value: &Value) -> Result<String> {
    let text = crate::engine::funcs::yaml::to_yaml_string(&crate::engine::Value::from_json(value))
        .map_err(|e| anyhow::anyhow!("encoding YAML: {e}"))?;
    Ok(format!("{text}\n"))
}

fn write_structured<T: Serialize>(
    printer: &Printer,
    format: OutputFormat,
    value: &T,
    table: String,
) -> Result<()> {
    let text = match format {
        OutputFormat::Table => table,
        OutputFormat::Json => format!("{}\n", serde_json::to_string(value)?),
        OutputFormat::Yaml => yaml_text(&serde_json::to_value(value)?)?,
    };
    printer.out(&text)?;
    Ok(())
}

/// Helm's status block (install, upgrade, status), or the release as JSON/YAML.
pub fn status(
    printer: &Printer,
    release: &Release,
    format: OutputFormat,
    hide_notes: bool,
    debug: bool,
) -> Result<()> {
    // Helm strips the chart from status output; the rest keeps the record's field order.
    let json = ReleaseWithoutChart::from(release);
    let mut out = String::new();
    out.push_str(&format!("NAME: {}\n", release.name));
    if let Some(time) = &release.info.last_deployed {
        out.push_str(&format!("LAST DEPLOYED: {}\n", format_ansic(&time.0)));
    }
    out.push_str(&format!("NAMESPACE: {}\n", release.namespace));
    out.push_str(&format!("STATUS: {}\n", release.info.status.as_str()));
    out.push_str(&format!("REVISION: {}\n", release.revision));
    out.push_str(&format!("DESCRIPTION: {}\n", release.info.description));
    let tests: Vec<_> = release
        .hooks
        .iter()
        .filter(|h| h.fires_on(crate::release::HookEvent::Test))
        .collect();
    if tests.is_empty() {
        out.push_str("TEST SUITE: None\n");
    } else {
        for hook in tests {
            let (Some(started), completed) =
                (&hook.last_run.started_at, &hook.last_run.completed_at)
            else {
                continue;
            };
            out.push_str(&format!("TEST SUITE:     {}\n", hook.name));
            out.push_str(&format!("Last Started:   {}\n", format_ansic(&started.0)));
            out.push_str(&format!(
                "Last Completed: {}\n",
                completed.map(|c| format_ansic(&c.0)).unwrap_or_default()
            ));
            out.push_str(&format!(
                "Phase:          {}\n",
                hook.last_run
                    .phase
                    .map(|p| format!("{p:?}"))
                    .unwrap_or_default()
            ));
        }
    }
    if debug {
        out.push_str("USER-SUPPLIED VALUES:\n");
        out.push_str(&values_yaml(&release.config)?);
        out.push('\n');
        out.push_str("COMPUTED VALUES:\n");
        let computed = crate::chart::coalesce_values(&release.chart, &release.config)?;
        out.push_str(&values_yaml(&computed)?);
        out.push('\n');
    }
    if debug
        || release
            .info
            .description
            .eq_ignore_ascii_case("Dry run complete")
    {
        out.push_str("HOOKS:\n");
        for hook in &release.hooks {
            out.push_str(&format!(
                "---\n# Source: {}\n{}\n",
                hook.path, hook.manifest
            ));
        }
        out.push_str(&format!("MANIFEST:\n{}\n", release.manifest));
    }
    if !hide_notes && !release.info.notes.is_empty() {
        out.push_str(&format!("NOTES:\n{}\n", release.info.notes.trim()));
    }
    write_structured(printer, format, &json, out)
}

#[derive(Serialize)]
struct HistoryRow {
    revision: u32,
    updated: String,
    status: String,
    chart: String,
    app_version: String,
    description: String,
}

/// `history`: Helm's table, or rows as JSON/YAML.
pub fn history(printer: &Printer, revisions: &[Release], format: OutputFormat) -> Result<()> {
    let mut table = Table::with_header(&[
        "REVISION",
        "UPDATED",
        "STATUS",
        "CHART",
        "APP VERSION",
        "DESCRIPTION",
    ]);
    let mut rows = Vec::new();
    for r in revisions {
        let updated = r
            .info
            .last_deployed
            .map(|t| format_ansic(&t.0))
            .unwrap_or_default();
        table.row(vec![
            r.revision.to_string(),
            updated,
            r.info.status.as_str().to_string(),
            chart_name(r),
            r.chart.metadata.app_version.clone(),
            r.info.description.clone(),
        ]);
        rows.push(HistoryRow {
            revision: r.revision,
            updated: r
                .info
                .last_deployed
                .map(|t| t.to_string())
                .unwrap_or_default(),
            status: r.info.status.as_str().to_string(),
            chart: chart_name(r),
            app_version: r.chart.metadata.app_version.clone(),
            description: r.info.description.clone(),
        });
    }
    write_structured(printer, format, &rows, table.render())
}

#[derive(Serialize)]
struct ListRow {
    name: String,
    namespace: String,
    revision: String,
    updated: String,
    status: String,
    chart: String,
    app_version: String,
}

/// `list`: Helm's table (or names only with `-q`), or rows as JSON/YAML.
pub fn list(
    printer: &Printer,
    releases: &[Release],
    format: OutputFormat,
    short: bool,
    no_headers: bool,
) -> Result<()> {
    if short {
        let names: Vec<&str> = releases.iter().map(|r| r.name.as_str()).collect();
        let table = names.iter().map(|n| format!("{n}\n")).collect::<String>();
        return write_structured(printer, format, &names, table);
    }
    let rows: Vec<ListRow> = releases
        .iter()
        .map(|r| ListRow {
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            revision: r.revision.to_string(),
            updated: r
                .info
                .last_deployed
                .map(|t| format_go_time(&t.0))
                .unwrap_or_else(|| "-".to_string()),
            status: r.info.status.as_str().to_string(),
            chart: chart_name(r),
            app_version: r.chart.metadata.app_version.clone(),
        })
        .collect();
    let mut table = if no_headers {
        Table::new()
    } else {
        Table::with_header(&[
            "NAME",
            "NAMESPACE",
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
        ])
    };
    for r in &rows {
        table.row(vec![
            r.name.clone(),
            r.namespace.clone(),
            r.revision.clone(),
            r.updated.clone(),
            r.status.clone(),
            r.chart.clone(),
            r.app_version.clone(),
        ]);
    }
    write_structured(printer, format, &rows, table.render())
}

/// A release as `status -o json|yaml` prints it: the stored record without its chart.
#[derive(Serialize)]
struct ReleaseWithoutChart<'a> {
    name: &'a str,
    info: &'a crate::release::Info,
    #[serde(
        skip_serializing_if = "Map::is_empty",
        serialize_with = "crate::values::go_json::serialize"
    )]
    config: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "str::is_empty")]
    manifest: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    hooks: &'a [crate::release::Hook],
    version: u32,
    namespace: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    apply_method: Option<crate::release::ApplyMethod>,
}

impl<'a> From<&'a Release> for ReleaseWithoutChart<'a> {
    fn from(r: &'a Release) -> Self {
        ReleaseWithoutChart {
            name: &r.name,
            info: &r.info,
            config: &r.config,
            manifest: &r.manifest,
            hooks: &r.hooks,
            version: r.revision,
            namespace: &r.namespace,
            apply_method: r.apply_method,
        }
    }
}

/// `get values`: `USER-SUPPLIED VALUES:` (or `COMPUTED VALUES:`) and YAML, or JSON/YAML.
pub fn values(
    printer: &Printer,
    values: &Map<String, Value>,
    all: bool,
    format: OutputFormat,
) -> Result<()> {
    let value = crate::values::go_json::to_go_numbers(&Value::Object(values.clone()));
    let header = if all {
        "COMPUTED VALUES:"
    } else {
        "USER-SUPPLIED VALUES:"
    };
    let body = values_yaml(values)?;
    write_structured(printer, format, &value, format!("{header}\n{body}"))
}

/// `get hooks`: each hook framed with its source.
pub fn hooks_text(release: &Release) -> String {
    release
        .hooks
        .iter()
        .map(|h| format!("---\n# Source: {}\n{}\n", h.path, h.manifest))
        .collect()
}

/// `get all`: the status block as `--debug` shows it (values, hooks, manifest, notes).
pub fn get_all(printer: &Printer, release: &Release) -> Result<()> {
    status(printer, release, OutputFormat::Table, false, true)
}

/// A values map as Helm's `EncodeYAML` prints it (`null` when empty).
fn values_yaml(values: &Map<String, Value>) -> Result<String> {
    if values.is_empty() {
        return Ok("null\n".to_string());
    }
    yaml_text(&Value::Object(values.clone()))
}
