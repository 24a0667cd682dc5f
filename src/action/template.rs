//! `template`: render a chart locally, without a cluster, as `helm template` prints it.
//!
//! Helm counterpart: `pkg/cmd/template.go` plus a client-only install. `lookup` returns
//! empty maps; `.Capabilities` come from flags.
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::Error;
use super::render::{HELM_VERSION, RenderFlags, RenderRequest, render_chart};
use crate::chart::Chart;
use crate::engine::{Capabilities, Preparse, ReleaseInfo};
use crate::release::HookEvent;
use crate::release::manifest::framed;

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
    /// `--show-only` globs over template paths relative to the chart (`templates/x.yaml`).
    pub show_only: Vec<String>,
    /// Include hooks (not `--no-hooks`).
    pub include_hooks: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--enable-dns`, `--skip-schema-validation`.
    pub render: RenderFlags,
    /// The chart's templates parsed ahead by [`super::render::load_chart`], if they were.
    pub preparse: Option<std::sync::Arc<Preparse>>,
}

/// One framed block of `helm template` output: where it came from and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The source path, `<chart>/templates/x.yaml` (`<chart>/crds/x.yaml` for a CRD).
    pub path: String,
    /// The document (or the CRD file, as it is on disk).
    pub content: String,
    /// A CRD file from a `crds/` folder (`--include-crds`).
    pub crd: bool,
}

/// What `helm template` shows, before it is printed or written to `--output-dir`.
#[derive(Debug, Clone, Default)]
pub struct TemplateOutput {
    /// CRD files (with `--include-crds`), then the non-hook documents in install order.
    pub manifest: Vec<Block>,
    /// The hooks to show (none with `--no-hooks`; no test hooks with `--skip-tests`).
    pub hooks: Vec<Block>,
}

impl TemplateOutput {
    /// The text `helm template` prints: the trimmed manifest plus a newline, then each hook
    /// framed as `---\n# Source: <path>\n<manifest>\n`.
    pub fn to_text(&self) -> String {
        let size: usize = (self.manifest.iter().chain(&self.hooks))
            .map(|b| b.path.len() + b.content.len() + 16)
            .sum();
        let mut out = Vec::with_capacity(size + 1);
        // Writing to a `Vec` cannot fail, and only `str`s are written.
        let _ = self.write_text(&mut out);
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Writes [`TemplateOutput::to_text`] to `out` without building it first (it can be
    /// megabytes).
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        // TrimSpace of the manifest part: every block starts with its `---` frame, so
        // only the end of the last one can have space to trim, and never past its frame.
        if let Some((last, blocks)) = self.manifest.split_last() {
            for block in blocks {
                write_block(out, block)?;
            }
            let mut tail = String::with_capacity(last.path.len() + last.content.len() + 16);
            push_block(&mut tail, last);
            out.write_all(tail.trim_end().as_bytes())?;
        }
        out.write_all(b"\n")?;
        for hook in &self.hooks {
            write_block(out, hook)?;
        }
        Ok(())
    }
}

fn write_block(out: &mut impl std::io::Write, block: &Block) -> std::io::Result<()> {
    framed(&block.path, &block.content)
        .iter()
        .try_for_each(|piece| out.write_all(piece.as_bytes()))
}

fn push_block(out: &mut String, block: &Block) {
    framed(&block.path, &block.content)
        .iter()
        .for_each(|piece| out.push_str(piece));
}

/// Renders `chart` and returns the text `helm template` prints (after `--show-only`).
pub fn template(chart: Chart, options: &TemplateOptions) -> Result<String, Error> {
    let text = render_template(chart, options)?.to_text();
    if options.show_only.is_empty() {
        Ok(text)
    } else {
        show_only(&text, &options.show_only)
    }
}

/// Renders `chart` into the blocks `helm template` shows.
pub fn render_template(chart: Chart, options: &TemplateOptions) -> Result<TemplateOutput, Error> {
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
    crate::chart::check_kube_version(&chart, &kube_version)?;
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
            flags: options.render,
            preparse: options.preparse.as_deref(),
        },
    )?;
    let mut output = TemplateOutput::default();
    if options.include_crds {
        // As Helm's `CRDObjects`: full path, text exactly as on disk.
        output.manifest = (rendered.chart.crd_objects().into_iter())
            .map(|crd| Block {
                path: crd.path,
                content: String::from_utf8_lossy(crd.data).into_owned(),
                crd: true,
            })
            .collect();
    }
    crate::threads::drop_detached(rendered.chart);
    output
        .manifest
        .extend(rendered.documents.into_iter().map(|d| Block {
            path: d.path,
            content: d.content,
            crd: false,
        }));
    if options.include_hooks {
        output.hooks = rendered
            .hooks
            .into_iter()
            .filter(|h| !(options.skip_tests && h.fires_on(HookEvent::Test)))
            .map(|h| Block {
                path: h.path,
                content: h.manifest,
                crd: false,
            })
            .collect();
    }
    Ok(output)
}

/// A document separator as Helm's `releaseutil.SplitManifests` sees one.
static SPLIT_SEPARATOR: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:^|\s*\n)---\s*").ok());
/// The chart-relative template path of a framed block.
static SOURCE_PATH: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"# Source: [^/]+/(.+)").ok());

/// `--show-only`: keeps the blocks of `text` whose source path, relative to the chart
/// (`templates/x.yaml`, `charts/sub/templates/y.yaml`), matches one of `patterns` (Go
/// `filepath.Match` globs), pattern by pattern, each framed as `---\n<block>\n`. A pattern
/// matching nothing is Helm's error `could not find template <pattern> in chart`.
pub fn show_only(text: &str, patterns: &[String]) -> Result<String, Error> {
    let (Some(separator), Some(source)) = (SPLIT_SEPARATOR.as_ref(), SOURCE_PATH.as_ref()) else {
        return Ok(String::new());
    };
    let parts: Vec<&str> = separator
        .split(text.trim())
        .filter(|part| !part.is_empty())
        .map(str::trim)
        .collect();
    let mut out = String::new();
    for pattern in patterns {
        let pattern = pattern.replace('\\', "/");
        let matcher = globset::GlobBuilder::new(&pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()
            .map(|glob| glob.compile_matcher());
        let mut missing = true;
        for part in &parts {
            let Some(path) = source.captures(part).and_then(|c| c.get(1)) else {
                continue;
            };
            if matcher.as_ref().is_some_and(|m| m.is_match(path.as_str())) {
                out.push_str("---\n");
                out.push_str(part);
                out.push('\n');
                missing = false;
            }
        }
        if missing {
            return Err(Error::InvalidOption(format!(
                "could not find template {pattern} in chart"
            )));
        }
    }
    Ok(out)
}

/// `--output-dir DIR`: writes each block to `DIR/<source path>` (under `DIR/<release>/` with
/// `--release-name`, except CRDs, as Helm does), framed as on stdout; a second block from
/// the same file is appended. Returns the path of every write, in order (Helm prints
/// `wrote <path>` for each).
///
/// Helm appends a hook to a file that already exists on disk even from an earlier run, so
/// re-running into the same directory duplicates hooks; rhelm appends only within one run.
pub fn write_output_dir(
    output: &TemplateOutput,
    dir: &Path,
    release_dir: Option<&str>,
) -> Result<Vec<PathBuf>, Error> {
    let mut written: Vec<PathBuf> = Vec::new();
    for block in output.manifest.iter().chain(&output.hooks) {
        let base = match release_dir {
            Some(release) if !block.crd => dir.join(release),
            _ => dir.to_path_buf(),
        };
        let target = base.join(&block.path);
        let append = written.contains(&target);
        let mut framed = String::new();
        push_block(&mut framed, block);
        write_file(&target, &framed, append)?;
        written.push(target);
    }
    Ok(written)
}

fn write_file(target: &Path, text: &str, append: bool) -> Result<(), Error> {
    let failed =
        |e: std::io::Error| Error::InvalidOption(format!("writing {}: {e}", target.display()));
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .open(target)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn block(path: &str, content: &str) -> Block {
        Block {
            path: path.into(),
            content: content.into(),
            crd: false,
        }
    }

    #[test]
    fn the_manifest_part_is_trimmed_and_hooks_follow_framed() {
        let output = TemplateOutput {
            manifest: vec![block("c/templates/x.yaml", "kind: X\n\n")],
            hooks: vec![block("c/templates/a.yaml", "kind: Job\n")],
        };
        assert_eq!(
            output.to_text(),
            "---\n# Source: c/templates/x.yaml\nkind: X\n---\n# Source: c/templates/a.yaml\nkind: Job\n\n"
        );
    }

    #[test]
    fn a_blank_last_document_is_trimmed_up_to_its_source_line() {
        let output = TemplateOutput {
            manifest: vec![
                block("c/templates/x.yaml", "kind: X\n"),
                block("c/templates/y.yaml", " \n\n"),
            ],
            hooks: vec![],
        };
        assert_eq!(
            output.to_text(),
            "---\n# Source: c/templates/x.yaml\nkind: X\n\n---\n# Source: c/templates/y.yaml\n"
        );
    }

    #[test]
    fn without_documents_the_manifest_part_is_one_empty_line() {
        let output = TemplateOutput {
            manifest: vec![],
            hooks: vec![block("c/templates/a.yaml", "kind: Job")],
        };
        assert_eq!(
            output.to_text(),
            "\n---\n# Source: c/templates/a.yaml\nkind: Job\n"
        );
    }

    #[test]
    fn show_only_errors_name_the_pattern_that_matched_nothing() {
        let text = "---\n# Source: c/templates/a.yaml\nkind: A\n";
        assert_eq!(
            show_only(text, &["templates/*.yaml".into()]).unwrap(),
            "---\n# Source: c/templates/a.yaml\nkind: A\n"
        );
        let err = show_only(text, &["templates/a.yaml".into(), "x.yaml".into()]).unwrap_err();
        assert_eq!(err.to_string(), "could not find template x.yaml in chart");
    }
}
