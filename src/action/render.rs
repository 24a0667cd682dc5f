//! Turning a chart and user values into a release's manifest, hooks and notes.
//!
//! Helm counterpart: `pkg/action/action.go` (`renderResources`) and
//! `pkg/chart/common/util` (`ToRenderValues`). Shared by install, upgrade and template.
use std::collections::BTreeMap;

use serde_json::{Map, Value};
use tokio::runtime::Handle;

use super::Error;
use crate::chart::Chart;
use crate::engine::{self, Capabilities, Lookup, Preparse, ReleaseInfo, RenderOptions};
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
    /// The chart's templates parsed ahead by [`load_chart`], if they were.
    pub preparse: Option<&'a Preparse>,
}

/// Loads the chart at `path` (a directory or an archive) to render it with `flags`, and
/// starts parsing its templates while its values files load (see [`Preparse`]).
pub fn load_chart(
    path: &std::path::Path,
    flags: RenderFlags,
) -> Result<(Chart, Option<Preparse>), crate::chart::Error> {
    let mut preparse = None;
    let chart = crate::chart::load_chart_then(path, |files| {
        let Some(root) = crate::chart::top_chart_name(files) else {
            return;
        };
        // Named as a render names them when each subchart's folder bears its name (the
        // usual case); the render parses any other template itself.
        let templates = (files.iter())
            .filter(|f| crate::chart::path_in_own_chart(&f.name).starts_with("templates/"))
            .map(|f| (format!("{root}/{}", f.name), f.data.clone()))
            .collect();
        preparse = Some(Preparse::start(templates, flags.enable_dns));
    })?;
    Ok((chart, preparse))
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
        preparse: request.preparse,
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
    crate::threads::drop_detached(values);
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::action::template::{TemplateOptions, template};

    use crate::test_support::write_file as write;

    /// A parent chart with a subchart folder `sub` (chart `sub`, required as `requirement`)
    /// whose `define` the parent overrides.
    fn chart_dir(requirement: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "Chart.yaml",
            &format!("apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n{requirement}"),
        );
        write(
            root,
            "values.yaml",
            "greeting: hello\nsub:\n  enabled: true\n",
        );
        write(
            root,
            "templates/_helpers.tpl",
            "{{- define \"sub.label\" }}from-parent{{ end }}",
        );
        write(
            root,
            "templates/cm.yaml",
            "kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  g: {{ .Values.greeting | quote }}\n",
        );
        write(
            root,
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        );
        write(root, "charts/sub/values.yaml", "count: 2\n");
        write(
            root,
            "charts/sub/templates/_helpers.tpl",
            "{{- define \"sub.label\" }}from-sub{{ end }}",
        );
        write(
            root,
            "charts/sub/templates/svc.yaml",
            "kind: Service\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Values.count }}\n  labels:\n    l: {{ include \"sub.label\" . }}\n",
        );
        dir
    }

    const PLAIN: &str = "- name: sub\n  version: 0.1.0\n  condition: sub.enabled\n";

    fn options(preparse: Option<Preparse>) -> TemplateOptions {
        TemplateOptions {
            name: "rel".into(),
            namespace: "ns".into(),
            include_hooks: true,
            preparse: preparse.map(Arc::new),
            ..TemplateOptions::default()
        }
    }

    /// `template` of the chart at `dir`, with its templates parsed ahead and without.
    fn both_ways(
        dir: &Path,
    ) -> (
        Result<String, String>,
        Result<String, String>,
        Arc<Preparse>,
    ) {
        let (chart, preparse) = load_chart(dir, RenderFlags::default()).unwrap();
        let preparse = preparse.expect("templates are parsed ahead");
        let options = options(None);
        let ahead_options = TemplateOptions {
            preparse: Some(Arc::new(preparse)),
            ..options.clone()
        };
        let ahead = template(chart, &ahead_options).map_err(|e| e.to_string());
        let plain =
            template(crate::chart::load_chart(dir).unwrap(), &options).map_err(|e| e.to_string());
        (ahead, plain, ahead_options.preparse.unwrap())
    }

    #[test]
    fn templates_parsed_ahead_render_exactly_as_templates_parsed_by_the_render() {
        let dir = chart_dir(PLAIN);
        let (ahead, plain, preparse) = both_ways(dir.path());
        let text = ahead.unwrap();
        assert_eq!(Ok(text.clone()), plain);
        assert!(
            text.contains("name: sub-2\n  labels:\n    l: from-parent"),
            "{text}"
        );
        // The render took every template from the parse ahead.
        assert!(preparse.finish(["parent/templates/cm.yaml"]).is_empty());
    }

    #[test]
    fn a_packaged_chart_is_parsed_ahead_as_its_folder_is() {
        let dir = chart_dir(PLAIN);
        let chart = crate::chart::load_chart(dir.path()).unwrap();
        let packaged = crate::chart::package_chart(&chart, dir.path()).unwrap();
        let (ahead, plain, preparse) = both_ways(&packaged);
        let text = ahead.unwrap();
        assert_eq!(Ok(text.clone()), plain);
        assert!(text.contains("l: from-parent"), "{text}");
        assert!(preparse.finish(["parent/templates/cm.yaml"]).is_empty());
    }

    #[test]
    fn a_template_that_is_not_utf8_renders_the_same_parsed_ahead() {
        let dir = chart_dir(PLAIN);
        std::fs::write(
            dir.path().join("templates/latin1.yaml"),
            b"kind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
        )
        .unwrap();
        let (ahead, plain, _) = both_ways(dir.path());
        let text = ahead.unwrap();
        assert_eq!(Ok(text.clone()), plain);
        assert!(text.contains("name: caf\u{fffd}\n"), "{text}");
    }

    #[test]
    fn an_aliased_subchart_is_parsed_by_the_render_under_its_alias() {
        let dir = chart_dir("- name: sub\n  version: 0.1.0\n  alias: other\n");
        let (ahead, plain, _) = both_ways(dir.path());
        let text = ahead.unwrap();
        assert_eq!(Ok(text.clone()), plain);
        assert!(
            text.contains("# Source: parent/charts/other/templates/svc.yaml\nkind: Service\nmetadata:\n  name: other-2"),
            "{text}"
        );
    }

    #[test]
    fn a_parse_error_is_the_same_whether_the_template_was_parsed_ahead_or_not() {
        let dir = chart_dir(PLAIN);
        write(
            dir.path(),
            "charts/sub/templates/bad.yaml",
            "a: {{ .Values.x\n",
        );
        write(dir.path(), "templates/worse.yaml", "b: {{ nosuchfunc }}\n");
        let (ahead, plain, _) = both_ways(dir.path());
        let error = ahead.unwrap_err();
        assert_eq!(Err(error.clone()), plain);
        assert!(
            error.contains("parent/charts/sub/templates/bad.yaml"),
            "{error}"
        );
    }

    #[test]
    fn a_disabled_subchart_that_does_not_parse_fails_no_render_parsed_ahead() {
        let dir = chart_dir(PLAIN);
        write(
            dir.path(),
            "values.yaml",
            "greeting: hi\nsub:\n  enabled: false\n",
        );
        write(
            dir.path(),
            "charts/sub/templates/bad.yaml",
            "a: {{ end }}\n",
        );
        let (ahead, plain, _) = both_ways(dir.path());
        let text = ahead.unwrap();
        assert_eq!(Ok(text.clone()), plain);
        assert!(!text.contains("kind: Service"), "{text}");
    }

    #[test]
    fn templates_parsed_ahead_for_another_function_table_are_left_alone() {
        let dir = chart_dir(PLAIN);
        let (chart, preparse) = load_chart(dir.path(), RenderFlags::default()).unwrap();
        let preparse = Arc::new(preparse.unwrap());
        let options = TemplateOptions {
            render: RenderFlags {
                enable_dns: true,
                ..RenderFlags::default()
            },
            preparse: Some(Arc::clone(&preparse)),
            ..options(None)
        };
        let text = template(chart, &options).unwrap();
        assert!(text.contains("l: from-parent"), "{text}");
        // Parsed without `--enable-dns`, so the render parsed every template itself.
        let left = preparse.finish(["parent/templates/cm.yaml"]);
        assert!(left.contains_key("parent/templates/cm.yaml"));
    }
}
