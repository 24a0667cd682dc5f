//! Rendering speed on real charts from the conformance corpus (`../shared/conformance`):
//! load the chart, merge the case's values, render and sort exactly as `rhelm template`
//! does. Whole-process figures (start-up included) come from `scripts/bench.sh`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use rhelm::action::template::{TemplateOptions, template};
use rhelm::release::KindOrder;
use rhelm::release::manifest::sort_manifests;

fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("RHELM_SHARED") {
        return PathBuf::from(dir);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if beside.is_dir() {
        beside
    } else {
        PathBuf::from("/work/shared")
    }
}

fn case_options(case: &Path) -> Option<TemplateOptions> {
    let read_json = |p: PathBuf| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
    };
    let meta = read_json(case.join("meta.json"))?;
    let caps = read_json(case.join("../capabilities.json"))?;
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let mut api_versions = strings(&caps["apiVersions"]);
    api_versions.extend(strings(&meta["crd_api_versions"]));
    let sources = rhelm::values::ValueSources {
        files: vec![case.join("values.yaml")],
        ..Default::default()
    };
    Some(TemplateOptions {
        name: "conf".into(),
        namespace: meta["namespace"].as_str()?.to_string(),
        values: rhelm::values::merge_sources(&sources).ok()?,
        kube_version: Some("v1.20.2".into()),
        api_versions,
        no_default_api_versions: true,
        include_hooks: true,
        ..Default::default()
    })
}

fn render_corpus(c: &mut Criterion) {
    for name in ["wordpress", "argo-cd", "ingress-nginx", "prometheus"] {
        let case = shared_dir().join("conformance").join(name);
        let Some(options) = case_options(&case) else {
            eprintln!("skipping {name}: no conformance case at {}", case.display());
            continue;
        };
        c.bench_function(&format!("load+render {name}"), |b| {
            b.iter(|| {
                let chart = rhelm::chart::load_chart(case.join("chart")).ok();
                chart.and_then(|chart| template(chart, &options).ok())
            })
        });
    }
}

/// The rendered files of a case, rebuilt from Helm's manifest: each `# Source:` block's
/// documents joined by `---` under its path.
fn rendered_files(case: &Path) -> Option<BTreeMap<String, String>> {
    let manifest = std::fs::read_to_string(case.join("expected/manifest.yaml")).ok()?;
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for block in manifest.split("---\n# Source: ").skip(1) {
        let (path, content) = block.split_once('\n')?;
        let file = files.entry(path.to_string()).or_default();
        if !file.is_empty() {
            file.push_str("\n---\n");
        }
        file.push_str(content);
    }
    Some(files)
}

/// Splitting, reading the heads of and sorting the rendered documents (the YAML side of
/// `rhelm template`, which `template` overlaps with rendering).
fn sort_corpus(c: &mut Criterion) {
    for name in ["argo-cd", "kube-prometheus-stack", "prometheus"] {
        let case = shared_dir().join("conformance").join(name);
        let Some(files) = rendered_files(&case) else {
            eprintln!("skipping {name}: no conformance case at {}", case.display());
            continue;
        };
        c.bench_function(&format!("sort manifests {name}"), |b| {
            b.iter(|| sort_manifests(&files, KindOrder::Install).ok())
        });
    }
}

criterion_group!(benches, render_corpus, sort_corpus);
criterion_main!(benches);
