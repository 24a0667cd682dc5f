//! Custom resource definitions from the `crds/` directories of a chart and its subcharts.
//!
//! Helm counterpart: `pkg/action/install.go` (`installCRDs`). On install, CRDs that do not
//! exist yet are created before anything is rendered, then waited for until Established and
//! served by discovery, so templates can use their kinds. Existing CRDs are skipped and CRDs
//! are never deleted. Beyond Helm, `upgrade --upgrade-crds` applies the chart's CRDs again
//! and reports those the server actually changed.
use std::time::Duration;

use super::Error;
use crate::chart::Chart;
use crate::kube::{ApplyMethod, ApplyOptions, Client, Discovery, Resource};
use crate::release::manifest::split_manifests;

/// What installing or upgrading CRDs did.
#[derive(Debug, Default)]
pub struct CrdReport {
    /// CRDs created (install) or changed (upgrade), by name.
    pub changed: Vec<String>,
    /// `(apiVersion, kind)` of every CRD's served versions, for re-discovery.
    pub kinds: Vec<(String, String)>,
}

/// The CRD documents of `chart` and its subcharts, as `(file, text)`, in chart order.
pub fn crd_documents(chart: &Chart) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for crd in chart.crd_objects() {
        let text = String::from_utf8_lossy(crd.data);
        for doc in split_manifests(&text) {
            if !doc.trim().is_empty() {
                out.push((crd.path.clone(), doc.to_string()));
            }
        }
    }
    out
}

fn build(discovery: &Discovery, chart: &Chart) -> Result<Vec<Resource>, Error> {
    let docs = crd_documents(chart);
    Ok(crate::kube::build_resources(
        docs.iter().map(|(_, text)| text.as_str()),
        discovery,
        "",
    )?)
}

/// The `(apiVersion, kind)` pairs a CRD serves.
fn served_kinds(resource: &Resource) -> Vec<(String, String)> {
    let json = resource.to_json();
    let spec = &json["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let kind = spec["names"]["kind"].as_str().unwrap_or_default();
    let mut versions: Vec<String> = spec["versions"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter(|v| v["served"].as_bool().unwrap_or(true))
                .filter_map(|v| v["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(v) = spec["version"].as_str() {
        versions.push(v.to_string());
    }
    versions
        .into_iter()
        .map(|v| (format!("{group}/{v}"), kind.to_string()))
        .collect()
}

/// Creates the chart's CRDs that do not exist yet, waits until they are Established, and
/// returns what it did. Existing CRDs are left untouched (Helm's rule).
pub async fn install_crds(
    client: &Client,
    discovery: &Discovery,
    chart: &Chart,
    timeout: Duration,
) -> Result<CrdReport, Error> {
    let resources = build(discovery, chart)?;
    let mut missing = Vec::new();
    for resource in resources {
        if crate::kube::get(client, &resource).await?.is_none() {
            missing.push(resource);
        }
    }
    apply_and_settle(client, missing, timeout).await
}

/// `--upgrade-crds`: applies every CRD of the chart (server-side) and reports those whose
/// stored object changed (a new `resourceVersion`).
pub async fn upgrade_crds(
    client: &Client,
    discovery: &Discovery,
    chart: &Chart,
    timeout: Duration,
) -> Result<CrdReport, Error> {
    let resources = build(discovery, chart)?;
    let mut changed = Vec::new();
    for resource in resources {
        let before = crate::kube::get(client, &resource).await?;
        let version = |v: &Option<serde_json::Value>| {
            v.as_ref().and_then(|o| {
                o["metadata"]["resourceVersion"]
                    .as_str()
                    .map(str::to_string)
            })
        };
        let old = version(&before);
        apply(client, std::slice::from_ref(&resource)).await?;
        let after = crate::kube::get(client, &resource).await?;
        if old != version(&after) {
            changed.push(resource);
        }
    }
    let mut report = CrdReport {
        changed: changed.iter().map(|r| r.name().to_string()).collect(),
        kinds: changed.iter().flat_map(served_kinds).collect(),
    };
    if !changed.is_empty() {
        crate::kube::wait_ready(client, &changed, timeout, None).await?;
    } else {
        report.kinds.clear();
    }
    Ok(report)
}

async fn apply(client: &Client, resources: &[Resource]) -> Result<(), Error> {
    let options = ApplyOptions {
        method: ApplyMethod::ServerSide,
        force_conflicts: true,
        dry_run: false,
    };
    crate::kube::apply(client, resources, &[], &options).await?;
    Ok(())
}

async fn apply_and_settle(
    client: &Client,
    resources: Vec<Resource>,
    timeout: Duration,
) -> Result<CrdReport, Error> {
    if resources.is_empty() {
        return Ok(CrdReport::default());
    }
    apply(client, &resources).await?;
    // Established: the API server serves the new kinds.
    crate::kube::wait_ready(client, &resources, timeout, None).await?;
    Ok(CrdReport {
        changed: resources.iter().map(|r| r.name().to_string()).collect(),
        kinds: resources.iter().flat_map(served_kinds).collect(),
    })
}

/// Re-runs discovery until every kind of `report` is served (at most `timeout`).
pub async fn rediscover(
    client: &Client,
    report: &CrdReport,
    timeout: Duration,
) -> Result<Discovery, Error> {
    let kinds: Vec<(&str, &str)> = report
        .kinds
        .iter()
        .map(|(v, k)| (v.as_str(), k.as_str()))
        .collect();
    Ok(Discovery::wait_for(client, &kinds, timeout).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::ChartFile;

    fn chart(name: &str, files: &[(&str, &str)]) -> Chart {
        let mut chart = Chart::default();
        chart.metadata.name = name.to_string();
        chart.files = files
            .iter()
            .map(|(n, d)| ChartFile::new((*n).to_string(), d.as_bytes().to_vec()))
            .collect();
        chart
    }

    #[test]
    fn crd_documents_come_from_crds_dirs_of_chart_and_subcharts() {
        let mut parent = chart(
            "app",
            &[
                ("crds/a.yaml", "kind: A\n---\nkind: B\n"),
                ("files/c.yaml", "kind: C\n"),
                ("crds/README.md", "not yaml"),
            ],
        );
        parent
            .dependencies
            .push(chart("sub", &[("crds/d.yml", "kind: D\n")]));
        let docs: Vec<String> = crd_documents(&parent).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            docs,
            [
                "app/crds/a.yaml",
                "app/crds/a.yaml",
                "app/charts/sub/crds/d.yml"
            ]
        );
    }
}
