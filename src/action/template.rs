//! `template`: render a chart locally, without a cluster, as `helm template` prints it.
//!
//! Helm counterpart: `pkg/cmd/template.go` plus a client-only install. `lookup` returns
//! empty maps; `.Capabilities` come from flags.
use serde_json::{Map, Value};

use super::Error;
use super::render::{HELM_VERSION, RenderRequest, render_chart};
use crate::chart::Chart;
use crate::engine::{Capabilities, ReleaseInfo};
use crate::release::HookEvent;
use crate::release::manifest;

/// The Kubernetes version `template` assumes without `--kube-version`.
pub const DEFAULT_KUBE_VERSION: &str = "v1.34.0";

/// Group/versions every Kubernetes client of Helm's vintage knows; `template` assumes them
/// unless `--no-default-api-versions`.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "apps/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "networking.k8s.io/v1",
    "node.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "resource.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
];

/// Options of [`template`].
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions {
    /// Release name (`release-name` by default, as Helm).
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// User-supplied values.
    pub values: Map<String, Value>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// `--api-versions`.
    pub api_versions: Vec<String>,
    /// `--no-default-api-versions`.
    pub no_default_api_versions: bool,
    /// `--is-upgrade`.
    pub is_upgrade: bool,
    /// `--show-only` template paths (relative to the chart's parent, e.g. `mychart/templates/x.yaml`).
    pub show_only: Vec<String>,
    /// Include hooks (not `--no-hooks`).
    pub include_hooks: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--include-crds`.
    pub include_crds: bool,
}

/// Renders `chart` and returns the text `helm template` prints.
pub fn template(chart: &Chart, options: &TemplateOptions) -> Result<String, Error> {
    let mut api_versions = options.api_versions.clone();
    if !options.no_default_api_versions {
        api_versions.extend(DEFAULT_API_VERSIONS.iter().map(|v| (*v).to_string()));
    }
    let kube_version = normalize_kube_version(
        options
            .kube_version
            .as_deref()
            .unwrap_or(DEFAULT_KUBE_VERSION),
    )?;
    crate::chart::check_kube_version(chart, &kube_version)?;
    let rendered = render_chart(
        chart,
        &options.values,
        RenderRequest {
            release: ReleaseInfo {
                name: options.name.clone(),
                namespace: options.namespace.clone(),
                revision: 1,
                is_install: !options.is_upgrade,
                is_upgrade: options.is_upgrade,
                service: "Helm".to_string(),
            },
            capabilities: Capabilities {
                kube_version,
                api_versions,
                helm_version: HELM_VERSION.to_string(),
            },
            cluster: None,
        },
    )?;
    let mut out = String::new();
    if options.include_crds {
        for crd in crd_files(&rendered.chart) {
            out.push_str(&format!("---\n# Source: {}\n{}\n", crd.0, crd.1));
        }
    }
    if options.show_only.is_empty() {
        let body = manifest::template_output(rendered.manifest, &rendered.hooks, |h| {
            options.include_hooks && !(options.skip_tests && h.fires_on(HookEvent::Test))
        });
        if out.is_empty() {
            return Ok(body);
        }
        out.push_str(&body);
        return Ok(out);
    }
    // --show-only: only documents and hooks from the named templates, framed alike.
    let wanted = |path: &str| options.show_only.iter().any(|s| s == path);
    let documents: Vec<_> = rendered
        .documents
        .into_iter()
        .filter(|d| wanted(&d.path))
        .collect();
    let hooks: Vec<_> = rendered
        .hooks
        .into_iter()
        .filter(|h| options.include_hooks && wanted(&h.path))
        .collect();
    if documents.is_empty() && hooks.is_empty() {
        return Err(Error::InvalidOption(format!(
            "could not find template {} in chart",
            options.show_only.join(", ")
        )));
    }
    out.push_str(&manifest::frame_documents(&documents));
    for hook in &hooks {
        out.push_str(&format!(
            "---\n# Source: {}\n{}\n",
            hook.path, hook.manifest
        ));
    }
    Ok(out)
}

/// `1.20.2` → `v1.20.2`; rejects what is not a version.
fn normalize_kube_version(text: &str) -> Result<String, Error> {
    let trimmed = text.trim().trim_start_matches('v');
    let parts: Vec<&str> = trimmed.split('.').collect();
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if parts.len() < 2 || !numeric(parts[0]) || !numeric(parts[1]) {
        return Err(Error::InvalidOption(format!(
            "invalid kube version {text:?}: expected a version like v1.20.2"
        )));
    }
    Ok(format!("v{trimmed}"))
}

/// CRD files of the chart and its subcharts (`crds/`), as `(path, text)`.
fn crd_files(chart: &Chart) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_crds(chart, &chart.metadata.name, &mut out);
    out
}

fn collect_crds(chart: &Chart, prefix: &str, out: &mut Vec<(String, String)>) {
    for file in &chart.files {
        if file.name.starts_with("crds/") {
            let text = String::from_utf8_lossy(&file.data).trim_end().to_string();
            out.push((format!("{prefix}/{}", file.name), text));
        }
    }
    for sub in &chart.dependencies {
        collect_crds(sub, &format!("{prefix}/charts/{}", sub.metadata.name), out);
    }
}
