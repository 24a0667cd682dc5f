//! Turning a chart and user values into a release's manifest, hooks and notes.
//!
//! Helm counterpart: `pkg/action/action.go` (`renderResources`) and
//! `pkg/chart/common/util` (`ToRenderValues`). Shared by install, upgrade and template.
use std::collections::BTreeMap;

use serde_json::{Map, Value};
use tokio::runtime::Handle;

use super::Error;
use crate::chart::Chart;
use crate::engine::{self, Capabilities, Lookup, ReleaseInfo, RenderOptions};
use crate::kube::{Client, Discovery};
use crate::release::manifest::{self, Document, SkippedHook};
use crate::release::{Hook, KindOrder};

/// Helm's version as templates see it in `.Capabilities.HelmVersion`.
pub const HELM_VERSION: &str = "v4.3.0";

/// What rendering produced, ready to store and apply.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The chart as processed (dependencies resolved), to store in the release.
    pub chart: Chart,
    /// The non-hook documents in install order.
    pub documents: Vec<Document>,
    /// Hooks, in Helm's stored order.
    pub hooks: Vec<Hook>,
    /// The root chart's rendered NOTES.txt.
    pub notes: String,
    /// Hooks with unknown events, which Helm skips (a warning each).
    pub skipped_hooks: Vec<SkippedHook>,
}

impl Rendered {
    /// Helm's manifest string: the non-hook documents in install order, `# Source:` framed.
    /// Built on demand: `template` prints the documents without it.
    pub fn manifest(&self) -> String {
        manifest::frame_documents(&self.documents)
    }
}

/// Rendering switches of install, upgrade and template (Helm's flags of the same names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderFlags {
    /// `--enable-dns`: `getHostByName` resolves names (otherwise it returns `""`).
    pub enable_dns: bool,
    /// `--skip-schema-validation`: values are not checked against `values.schema.json`.
    pub skip_schema_validation: bool,
}

/// Everything a render needs besides the chart and values.
pub struct RenderRequest<'a> {
    /// `.Release`.
    pub release: ReleaseInfo,
    /// `.Capabilities`.
    pub capabilities: Capabilities,
    /// The cluster, for `lookup` (absent for `template`).
    pub cluster: Option<(&'a Client, &'a Discovery)>,
    /// `--enable-dns`, `--skip-schema-validation`.
    pub flags: RenderFlags,
}

/// Refuses a chart whose declared dependencies are missing from `charts/` (Helm's
/// `CheckDependencies`), then resolves dependencies, coalesces values, validates them
/// against the schemas, renders every template and sorts the result into manifest, hooks
/// and notes.
pub fn render_chart(
    mut chart: Chart,
    user_values: &Map<String, Value>,
    request: RenderRequest<'_>,
) -> Result<Rendered, Error> {
    crate::chart::check_dependencies(&chart)?;
    crate::chart::process_dependencies(&mut chart, user_values)?;
    let values = if request.flags.skip_schema_validation {
        crate::chart::coalesce_values(&chart, user_values)?
    } else {
        crate::chart::to_render_values(&chart, user_values)?
    };

    let lookup = request.cluster.map(|(client, discovery)| ClusterLookup {
        client,
        discovery,
        handle: Handle::try_current().ok(),
    });
    let options = RenderOptions {
        release: request.release,
        capabilities: request.capabilities,
        lookup: lookup.as_ref().map(|l| l as &(dyn Lookup + Sync)),
        enable_dns: request.flags.enable_dns,
        lint_mode: false,
    };
    // The engine renders on its own thread; `lookup` drives its requests from there with
    // the runtime handle, whose worker threads (not the caller's) run the I/O. This thread
    // parses each rendered file meanwhile, and sorts them while the render thread frees its
    // parsed templates.
    let (notes, sorted) = engine::render::render_with(&chart, &values, &options, |rendered| {
        // Only the notes are needed as text afterwards: the rest is freed once parsed.
        let (mut notes, mut parsed) = (BTreeMap::new(), BTreeMap::new());
        for (path, text) in rendered {
            if let Some(documents) = manifest::parse_file(&path, &text) {
                parsed.insert(path.clone(), documents);
            }
            if manifest::is_notes(&path) {
                notes.insert(path, text);
            }
        }
        (notes, manifest::sort_parsed(parsed, KindOrder::Install))
    })?;
    let sorted = sorted?;
    let notes = manifest::collect_notes(&notes, &chart.metadata.name, false, false);
    Ok(Rendered {
        documents: sorted.documents,
        hooks: sorted.hooks,
        skipped_hooks: sorted.skipped_hooks,
        notes,
        chart,
    })
}

/// `.Capabilities` of a live cluster.
pub fn cluster_capabilities(client: &Client, discovery: &Discovery) -> Capabilities {
    Capabilities {
        kube_version: client.server_version().git_version.clone(),
        api_versions: discovery.api_versions().to_vec(),
        helm_version: HELM_VERSION.to_string(),
    }
}

/// `lookup` against the cluster, called from the engine's render thread.
struct ClusterLookup<'a> {
    client: &'a Client,
    discovery: &'a Discovery,
    handle: Option<Handle>,
}

impl Lookup for ClusterLookup<'_> {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, String> {
        let Some(handle) = &self.handle else {
            return Ok(Value::Object(Map::new()));
        };
        handle
            .block_on(crate::kube::lookup(
                self.client,
                self.discovery,
                api_version,
                kind,
                namespace,
                name,
            ))
            .map(Value::Object)
            .map_err(|e| e.to_string())
    }
}
