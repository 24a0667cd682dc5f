//! Dev-only conformance check of the renderer against real Helm output.
//!
//! Loads each case of `shared/conformance/`, coalesces values with a minimal stand-in for
//! the values module (defaults, subchart scoping, globals, conditions, aliases), renders,
//! and checks that every document Helm put in the manifest (and every hook) appears in the
//! rendered text of its source template, ignoring the case's unstable lines.
//! Run: `cargo test --lib engine::conformance -- --ignored --nocapture`.
#![cfg(test)]
#![allow(clippy::print_stderr)] // A dev harness reporting per-case results.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::render::{Capabilities, ReleaseInfo, RenderOptions, render};
use crate::chart::{Chart, load_chart};
use crate::test_support::shared_dir;
use crate::values::parse_values;

fn deep_merge(dst: &mut Map<String, Json>, src: &Map<String, Json>) {
    for (k, v) in src {
        match (dst.get_mut(k), v) {
            (Some(Json::Object(d)), Json::Object(s)) => deep_merge(d, s),
            (_, Json::Null) => {
                dst.remove(k);
            }
            _ => {
                dst.insert(k.clone(), v.clone());
            }
        }
    }
}

fn path_value<'v>(values: &'v Map<String, Json>, path: &str) -> Option<&'v Json> {
    let mut parts = path.split('.');
    let mut cur = values.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

/// Minimal coalescing: chart defaults under user values, subcharts scoped by name with
/// parent globals, disabled dependencies removed, aliases applied.
fn coalesce(chart: &mut Chart, user: &Map<String, Json>) -> Map<String, Json> {
    let mut values = chart.values.clone();
    deep_merge(&mut values, user);
    let deps = std::mem::take(&mut chart.dependencies);
    let mut kept = Vec::new();
    for mut sub in deps {
        let decl = chart
            .metadata
            .dependencies
            .iter()
            .find(|d| d.name == sub.metadata.name)
            .cloned();
        if let Some(d) = &decl {
            if !d.alias.is_empty() {
                sub.metadata.name = d.alias.clone();
            }
            let mut enabled = true;
            for cond in d
                .condition
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                if let Some(Json::Bool(b)) = path_value(&values, cond) {
                    enabled = *b;
                    break;
                }
            }
            if !enabled {
                continue;
            }
        }
        let mut sub_user = match values.get(&sub.metadata.name) {
            Some(Json::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        if let Some(Json::Object(global)) = values.get("global") {
            let mut g = match sub_user.get("global") {
                Some(Json::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            deep_merge(&mut g, global);
            sub_user.insert("global".into(), Json::Object(g));
        }
        let sub_values = coalesce(&mut sub, &sub_user);
        values.insert(sub.metadata.name.clone(), Json::Object(sub_values));
        kept.push(sub);
    }
    chart.dependencies = kept;
    values
}

/// Helm's `releaseutil.SplitManifests` followed by trimming, in order.
fn split_docs(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"(?:^|\s*\n)---\s*").unwrap_or_else(|_| unreachable!());
    re.split(text)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

struct Expected {
    source: String,
    body: String,
    /// 0-based line indexes within `body` to ignore.
    unstable: Vec<usize>,
}

fn expected_docs(manifest: &str, unstable: &[usize]) -> Vec<Expected> {
    let mut docs = Vec::new();
    let lines: Vec<&str> = manifest.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == "---"
            && lines
                .get(i + 1)
                .is_some_and(|l| l.starts_with("# Source: "))
        {
            let source = lines[i + 1]["# Source: ".len()..].to_string();
            let start = i + 2;
            let mut end = start;
            while end < lines.len()
                && !(lines[end] == "---"
                    && lines
                        .get(end + 1)
                        .is_some_and(|l| l.starts_with("# Source: ")))
            {
                end += 1;
            }
            let body = lines[start..end].join("\n").trim().to_string();
            let skip = unstable
                .iter()
                .filter(|n| **n > start && **n <= end)
                .map(|n| n - 1 - start)
                .collect();
            docs.push(Expected {
                source,
                body,
                unstable: skip,
            });
            i = end;
        } else {
            i += 1;
        }
    }
    docs
}

fn same(expected: &Expected, got: &str) -> bool {
    if expected.unstable.is_empty() {
        return expected.body == got;
    }
    let a: Vec<&str> = expected.body.lines().collect();
    let b: Vec<&str> = got.lines().collect();
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .enumerate()
            .all(|(i, (x, y))| x == y || expected.unstable.contains(&i))
}

fn first_diff(expected: &str, got: &str) -> String {
    for (i, (a, b)) in expected.lines().zip(got.lines()).enumerate() {
        if a != b {
            return format!("line {}: expected {a:?}\n           got      {b:?}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} lines, got {}",
        expected.lines().count(),
        got.lines().count()
    )
}

fn run_case(case: &str) -> Result<(usize, usize, Vec<String>), String> {
    run_case_with(case, "")
}

/// Runs a case; `extra_values` (YAML) is merged over the case's values.
fn run_case_with(case: &str, extra_values: &str) -> Result<(usize, usize, Vec<String>), String> {
    let dir = shared_dir().join("conformance").join(case);
    let mut chart = load_chart(dir.join("chart")).map_err(|e| format!("load: {e}"))?;
    let user_text = std::fs::read_to_string(dir.join("values.yaml")).map_err(|e| e.to_string())?;
    let mut user = parse_values(&user_text).map_err(|e| format!("values: {e}"))?;
    let extra = parse_values(extra_values).map_err(|e| format!("values: {e}"))?;
    deep_merge(&mut user, &extra);
    let declared: Vec<(String, String)> = chart
        .metadata
        .dependencies
        .iter()
        .map(|d| (d.name.clone(), d.condition.clone()))
        .collect();
    let values = coalesce(&mut chart, &user);
    let missing: Vec<&str> = declared
        .iter()
        .filter(|(name, condition)| {
            let enabled = condition
                .split(',')
                .map(str::trim)
                .find_map(|c| path_value(&values, c).and_then(Json::as_bool))
                .unwrap_or(true);
            enabled && !chart.dependencies.iter().any(|d| &d.metadata.name == name)
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "SKIP: enabled dependencies not vendored in the corpus: {}",
            missing.join(", ")
        ));
    }
    let meta: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("meta.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let caps: Json = serde_json::from_str(
        &std::fs::read_to_string(shared_dir().join("conformance/capabilities.json"))
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mut api_versions: Vec<String> = caps["apiVersions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(extra) = meta["crd_api_versions"].as_array() {
        api_versions.extend(extra.iter().filter_map(|v| v.as_str().map(str::to_string)));
    }
    let opts = RenderOptions {
        release: ReleaseInfo {
            name: "conf".into(),
            namespace: meta["namespace"].as_str().unwrap_or_default().into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
            service: "Helm".into(),
        },
        capabilities: Capabilities {
            kube_version: "v1.20.2".into(),
            api_versions,
            helm_version: "v4.3.0".into(),
        },
        lookup: None,
        enable_dns: false,
        lint_mode: false,
        preparse: None,
    };
    let started = std::time::Instant::now();
    let rendered = render(&chart, &values, &opts).map_err(|e| format!("render: {e}"))?;
    let elapsed = started.elapsed();

    let manifest =
        std::fs::read_to_string(dir.join("expected/manifest.yaml")).map_err(|e| e.to_string())?;
    let unstable: Vec<usize> = std::fs::read_to_string(dir.join("expected/unstable-lines.txt"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let mut expected = expected_docs(&manifest, &unstable);
    let release: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected/release.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    for hook in release["hooks"].as_array().cloned().unwrap_or_default() {
        expected.push(Expected {
            source: hook["path"].as_str().unwrap_or_default().to_string(),
            body: hook["manifest"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .to_string(),
            unstable: Vec::new(),
        });
    }
    let docs: BTreeMap<&str, Vec<String>> = rendered
        .iter()
        .map(|(k, v)| (k.as_str(), split_docs(v)))
        .collect();
    let mut ok = 0;
    let mut problems = vec![format!("render took {elapsed:?}")];
    for e in &expected {
        let candidates = docs.get(e.source.as_str()).cloned().unwrap_or_default();
        if candidates.iter().any(|c| same(e, c)) {
            ok += 1;
        } else if candidates.is_empty() {
            problems.push(format!("{}: not rendered", e.source));
        } else {
            // Show the diff against the candidate with the longest common prefix.
            let best = candidates
                .iter()
                .max_by_key(|c| {
                    e.body
                        .lines()
                        .zip(c.lines())
                        .take_while(|(a, b)| a == b)
                        .count()
                })
                .cloned()
                .unwrap_or_default();
            problems.push(format!("{}: {}", e.source, first_diff(&e.body, &best)));
        }
    }
    let notes = release["info"]["notes"].as_str().unwrap_or_default();
    if !notes.is_empty() {
        let got = rendered
            .iter()
            .find(|(k, _)| k.ends_with("/templates/NOTES.txt") && k.matches('/').count() == 2)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        if got == notes.trim() {
            ok += 1;
        } else {
            problems.push(format!("NOTES.txt: {}", first_diff(notes.trim(), &got)));
        }
        return Ok((ok, expected.len() + 1, problems));
    }
    Ok((ok, expected.len(), problems))
}

#[test]
#[ignore = "dev harness over shared/conformance; run with --ignored --nocapture"]
fn conformance_documents_match_helm() {
    let cases = [
        "guestbook",
        "nginx",
        "redis",
        "postgresql",
        "wordpress",
        "argo-cd",
        "ingress-nginx",
        "kube-prometheus-stack",
        "opentelemetry-collector",
        "prometheus",
        "traefik",
        "vault",
    ];
    let only = std::env::var("CASE").ok();
    let mut failed = 0;
    for case in cases {
        if only.as_deref().is_some_and(|o| o != case) {
            continue;
        }
        match run_case(case) {
            Ok((ok, total, problems)) => {
                eprintln!("{case}: {ok}/{total} documents match");
                for p in problems.iter().take(12) {
                    eprintln!("    {p}");
                }
                if ok != total {
                    failed += 1;
                }
            }
            Err(e) if e.starts_with("SKIP: ") => eprintln!("{case}: {e}"),
            Err(e) => {
                eprintln!("{case}: ERROR {e}");
                failed += 1;
            }
        }
    }
    assert_eq!(failed, 0, "cases with differences");
}

#[test]
#[ignore = "dev timing of the largest chart; run with --ignored --nocapture (optimized)"]
fn kube_prometheus_stack_renders_without_its_missing_subcharts() {
    // The corpus lacks this chart's vendored subcharts, so only time the parent's own
    // templates (its rules and dashboards dominate) with those subcharts disabled.
    let disable = "grafana: {enabled: false}\nkubeStateMetrics: {enabled: false}\nnodeExporter: {enabled: false}\n";
    let result = run_case_with("kube-prometheus-stack", disable);
    let (ok, total, problems) = match result {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    eprintln!(
        "kube-prometheus-stack (subcharts off): {ok}/{total}; {}",
        problems[0]
    );
    assert!(ok > 0);
}
