//! Rendering conformance: every case of `shared/conformance/` (real charts + what real Helm 4.3
//! rendered for them) through `rhelm template`, compared byte for byte.
//!
//! Expected output is what `helm template` prints for the recorded release:
//! `TrimSpace(manifest)` + "\n", then each hook of `expected/release.json`, in stored order, as
//! `---\n# Source: <path>\n<manifest>\n`. Lines listed in `expected/unstable-lines.txt` (1-based
//! line numbers of manifest.yaml) are masked on both sides, except those the case's NOTE.txt
//! shows to be reproducible in the same namespace ("... they hash content that contains the
//! namespace: [n, ...]"): the test renders in that very namespace, so they must match. No NOTE
//! in the corpus lists varying hook or notes lines; hooks are compared whole.
//! Notes (`info.notes`) are compared by a second test through the library's render path
//! (`template` does not print them).
//!
//! A case whose `chart/charts/` lacks a dependency is rendered from a temporary copy of the chart
//! when meta.json names that dependency's source as `<dir> @ <commit>`: `git archive <commit>` of
//! `<dir>` when `<dir>` lies in a git repository holding that commit, else a copy of `<dir>`.
//! `RHELM_CONFORMANCE_MIRROR` replaces the sources' `/work/.mirror` prefix. A case with a source
//! that cannot be found stays "not reproducible", and rhelm must refuse its directory as Helm does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value as Json;

use crate::common::*;

const MASK: &str = "\u{0}<unstable line: value Helm randomises>";

/// The mirror prefix meta.json's dependency sources are written with.
const MIRROR_PREFIX: &str = "/work/.mirror";

struct Case {
    name: String,
    dir: PathBuf,
}

fn cases() -> Vec<Case> {
    let root = shared_dir().join("conformance");
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("meta.json").is_file())
        .map(|dir| Case {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            dir,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn read_json(path: &Path) -> Json {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What `helm template` printed for the case.
fn expected_output(case: &Case) -> String {
    let manifest =
        std::fs::read_to_string(case.dir.join("expected/manifest.yaml")).expect("manifest.yaml");
    let release = read_json(&case.dir.join("expected/release.json"));
    let mut out = format!("{}\n", manifest.trim());
    for hook in release["hooks"].as_array().cloned().unwrap_or_default() {
        out.push_str(&format!(
            "---\n# Source: {}\n{}\n",
            hook["path"].as_str().unwrap_or(""),
            hook["manifest"].as_str().unwrap_or("")
        ));
    }
    out
}

/// 1-based manifest lines to mask: unstable-lines.txt minus the namespace-only ones of NOTE.txt.
fn masked_lines(case: &Case) -> BTreeSet<usize> {
    let unstable =
        std::fs::read_to_string(case.dir.join("expected/unstable-lines.txt")).unwrap_or_default();
    let mut lines: BTreeSet<usize> = unstable
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let note = std::fs::read_to_string(case.dir.join("NOTE.txt")).unwrap_or_default();
    let reproducible = regex::Regex::new(r"contains the namespace: \[([0-9, ]*)\]").expect("regex");
    for cap in reproducible.captures_iter(&note) {
        for n in cap[1]
            .split(',')
            .filter_map(|n| n.trim().parse::<usize>().ok())
        {
            lines.remove(&n);
        }
    }
    lines
}

fn mask(text: &str, lines: &BTreeSet<usize>) -> String {
    let mut out: Vec<&str> = text.split('\n').collect();
    for n in lines {
        if let Some(line) = out.get_mut(n - 1) {
            *line = MASK;
        }
    }
    out.join("\n")
}

fn template_args(case: &Case, chart: &Path, capabilities: &[String]) -> Vec<String> {
    let meta = read_json(&case.dir.join("meta.json"));
    let namespace = meta["namespace"]
        .as_str()
        .expect("meta.json namespace")
        .to_string();
    let kube_version = meta["kube_version"]
        .as_str()
        .unwrap_or("v1.20.2")
        .to_string();
    let mut args = vec![
        "template".to_string(),
        meta["release"].as_str().unwrap_or("conf").to_string(),
        chart.display().to_string(),
        "-n".to_string(),
        namespace,
        "-f".to_string(),
        case.dir.join("values.yaml").display().to_string(),
        "--kube-version".to_string(),
        kube_version,
        "--no-default-api-versions".to_string(),
    ];
    for api in capabilities
        .iter()
        .chain(strings(&meta["crd_api_versions"]).iter())
    {
        args.push("--api-versions".to_string());
        args.push(api.clone());
    }
    args
}

fn first_differences(expected: &str, actual: &str, limit: usize) -> String {
    let diff = similar::TextDiff::from_lines(expected, actual);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header("helm (expected)", "rhelm")
        .to_string();
    let mut shown = Vec::new();
    let mut changed = 0;
    for line in text.lines() {
        if (line.starts_with('+') || line.starts_with('-'))
            && !line.starts_with("+++")
            && !line.starts_with("---")
        {
            changed += 1;
        }
        if changed > limit {
            shown.push("... (more differences)");
            break;
        }
        shown.push(line);
    }
    shown.join("\n").replace(MASK, "<masked>")
}

/// Dependencies the case's root chart declares (per meta.json) that are neither a folder nor a
/// `.tgz` under its `charts/`.
fn missing_dependencies(case: &Case) -> Vec<String> {
    let meta = read_json(&case.dir.join("meta.json"));
    let root = read_json_yaml_name(&case.dir.join("chart/Chart.yaml"));
    let charts = case.dir.join("chart/charts");
    let vendored: Vec<String> = std::fs::read_dir(&charts)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    meta["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["parent"].as_str() == Some(root.as_str()))
        .filter_map(|d| d["name"].as_str())
        .filter(|name| {
            !vendored
                .iter()
                .any(|f| f == name || (f.starts_with(&format!("{name}-")) && f.ends_with(".tgz")))
        })
        .map(str::to_string)
        .collect()
}

/// The `name:` of a Chart.yaml (a line-level read is enough for the corpus's files).
fn read_json_yaml_name(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("name:"))
        .map(|n| n.trim().trim_matches('"').to_string())
        .unwrap_or_default()
}

/// The chart directory a case renders from.
struct Prepared {
    /// The corpus's `chart/`, or the assembled temporary copy.
    chart: PathBuf,
    /// Dependencies that are neither vendored nor found at their meta.json source.
    missing: Vec<String>,
    /// Keeps the assembled copy alive while the case runs.
    _temp: Option<tempfile::TempDir>,
}

/// The root chart's dependencies as meta.json lists them: (name, source).
fn dependency_sources(case: &Case) -> Vec<(String, String)> {
    let meta = read_json(&case.dir.join("meta.json"));
    let root = read_json_yaml_name(&case.dir.join("chart/Chart.yaml"));
    meta["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["parent"].as_str() == Some(root.as_str()))
        .filter_map(|d| {
            Some((
                d["name"].as_str()?.to_string(),
                d["source"].as_str().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// `<dir> @ <commit>` with the mirror prefix replaced by `RHELM_CONFORMANCE_MIRROR`.
fn parse_source(source: &str) -> Option<(PathBuf, String)> {
    let (dir, commit) = source.split_once(" @ ")?;
    let mirror =
        std::env::var("RHELM_CONFORMANCE_MIRROR").unwrap_or_else(|_| MIRROR_PREFIX.to_string());
    let dir = match dir.trim().strip_prefix(MIRROR_PREFIX) {
        Some(rest) => format!("{}{rest}", mirror.trim_end_matches('/')),
        None => dir.trim().to_string(),
    };
    Some((PathBuf::from(dir), commit.trim().to_string()))
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Writes `dir` as of `commit` to `dest` when `dir` lies in a git repository holding that
/// commit; false when it does not (or git is missing).
fn git_archive(dir: &Path, commit: &str, dest: &Path) -> bool {
    if !dir.is_dir() {
        return false;
    }
    let (Some(top), Some(prefix)) = (
        git(dir, &["rev-parse", "--show-toplevel"]),
        git(dir, &["rev-parse", "--show-prefix"]),
    ) else {
        return false;
    };
    let top = PathBuf::from(top);
    let prefix = prefix.trim_end_matches('/').to_string();
    if prefix.is_empty()
        || git(&top, &["cat-file", "-e", &format!("{commit}^{{commit}}")]).is_none()
    {
        return false;
    }
    let Ok(out) = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["archive", "--format=tar", commit, "--", &prefix])
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    if !out.status.success() {
        return false;
    }
    let staging = tempfile::tempdir().expect("tempdir");
    tar::Archive::new(out.stdout.as_slice())
        .unpack(staging.path())
        .unwrap_or_else(|e| panic!("unpacking git archive of {}: {e}", dir.display()));
    let tree = staging.path().join(&prefix);
    if !tree.is_dir() {
        return false;
    }
    copy_dir(&tree, dest);
    true
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display()));
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target)
                .unwrap_or_else(|e| panic!("copying {}: {e}", path.display()));
        }
    }
}

/// The case's chart, with each dependency missing from `charts/` taken from its meta.json
/// source when that source exists (see the module docs).
fn prepare_chart(case: &Case) -> Prepared {
    let corpus = case.dir.join("chart");
    let missing = missing_dependencies(case);
    if missing.is_empty() {
        return Prepared {
            chart: corpus,
            missing,
            _temp: None,
        };
    }
    let sources = dependency_sources(case);
    let temp = tempfile::tempdir().expect("tempdir");
    let chart = temp.path().join(
        corpus
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "chart".into()),
    );
    copy_dir(&corpus, &chart);
    let mut unresolved = Vec::new();
    for name in &missing {
        let dest = chart.join("charts").join(name);
        let found = sources
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, source)| parse_source(source))
            .any(|(dir, commit)| {
                git_archive(&dir, &commit, &dest) || {
                    dir.is_dir() && {
                        copy_dir(&dir, &dest);
                        true
                    }
                }
            });
        if !found {
            unresolved.push(name.clone());
        }
    }
    if unresolved.is_empty() {
        Prepared {
            chart,
            missing: unresolved,
            _temp: Some(temp),
        }
    } else {
        Prepared {
            chart: corpus,
            missing: unresolved,
            _temp: None,
        }
    }
}

#[test]
fn every_conformance_chart_renders_byte_identical_to_helm() {
    let capabilities =
        strings(&read_json(&shared_dir().join("conformance/capabilities.json"))["apiVersions"]);
    let cases = cases();
    assert!(
        !cases.is_empty(),
        "no cases under {}",
        shared_dir().join("conformance").display()
    );
    let mut failures = Vec::new();
    let mut unreproducible = Vec::new();
    for case in &cases {
        let prepared = prepare_chart(case);
        let args = template_args(case, &prepared.chart, &capabilities);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = rhelm_offline(&argv);
        let missing = &prepared.missing;
        if !missing.is_empty() {
            // Helm itself cannot render this chart directory: the corpus lacks subcharts
            // Helm had when it recorded the case. rhelm must refuse it as Helm would.
            assert_eq!(
                out.code,
                Some(1),
                "{}: expected a refusal\n{out}",
                case.name
            );
            assert!(
                out.stderr
                    .contains("found in Chart.yaml, but missing in charts/ directory"),
                "{}: expected Helm's missing-dependency error\n{out}",
                case.name
            );
            unreproducible.push(format!(
                "{}: not reproducible from the shared data (dependencies not vendored in charts/: {}; \
                 their meta.json sources are not under {})",
                case.name,
                missing.join(", "),
                std::env::var("RHELM_CONFORMANCE_MIRROR").unwrap_or_else(|_| MIRROR_PREFIX.into())
            ));
            continue;
        }
        if out.code != Some(0) {
            failures.push(format!(
                "{}: rhelm template failed ({:?}):\n{}",
                case.name,
                out.code,
                out.stderr.trim_end()
            ));
            continue;
        }
        let lines = masked_lines(case);
        let expected = mask(&expected_output(case), &lines);
        let actual = mask(&out.stdout, &lines);
        if expected != actual {
            failures.push(format!(
                "{}: output differs\n{}",
                case.name,
                first_differences(&expected, &actual, 40)
            ));
        }
    }
    let identical = cases.len() - failures.len() - unreproducible.len();
    println!("conformance: {identical}/{} identical", cases.len());
    for u in &unreproducible {
        println!("  {u}");
    }
    for f in &failures {
        println!("\n=== {f}");
    }
    let failing: Vec<&str> = failures
        .iter()
        .filter_map(|f| f.split(':').next())
        .collect();
    assert!(
        failures.is_empty(),
        "conformance: {identical}/{} identical; failing: {} (diffs above)",
        cases.len(),
        failing.join(", ")
    );
}

#[test]
fn namespace_reproducible_lines_are_compared_not_masked() {
    // The harness must not mask more than Helm's randomness: for every case, the masked set is
    // exactly unstable-lines.txt minus the lines NOTE.txt proves reproducible.
    for case in cases() {
        let unstable = std::fs::read_to_string(case.dir.join("expected/unstable-lines.txt"))
            .unwrap_or_default();
        let listed: BTreeSet<usize> = unstable
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let masked = masked_lines(&case);
        assert!(
            masked.is_subset(&listed),
            "{}: masks lines not listed as unstable",
            case.name
        );
        let note = std::fs::read_to_string(case.dir.join("NOTE.txt")).unwrap_or_default();
        if note.contains("contains the namespace: [") {
            assert!(
                masked.len() < listed.len(),
                "{}: NOTE.txt names reproducible lines, none unmasked",
                case.name
            );
        }
    }
}

/// The release notes (`info.notes` of release.json) as rhelm renders them for an install:
/// the root chart's NOTES.txt, through the same render path `install` uses.
#[test]
fn every_reproducible_conformance_chart_renders_helms_notes() {
    use rhelm::action::render::{HELM_VERSION, RenderRequest, render_chart};
    use rhelm::engine::{Capabilities, ReleaseInfo};

    let capabilities =
        strings(&read_json(&shared_dir().join("conformance/capabilities.json"))["apiVersions"]);
    let mut compared = 0;
    let mut failures = Vec::new();
    for case in cases() {
        let prepared = prepare_chart(&case);
        if !prepared.missing.is_empty() {
            continue;
        }
        let meta = read_json(&case.dir.join("meta.json"));
        let expected = read_json(&case.dir.join("expected/release.json"))["info"]["notes"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let chart = rhelm::chart::load_chart(&prepared.chart).expect("chart loads");
        let values = rhelm::values::merge_sources(&rhelm::values::ValueSources {
            files: vec![case.dir.join("values.yaml")],
            ..Default::default()
        })
        .expect("values load");
        let mut api_versions = capabilities.clone();
        api_versions.extend(strings(&meta["crd_api_versions"]));
        let rendered = render_chart(
            chart,
            &values,
            RenderRequest {
                release: ReleaseInfo {
                    name: "conf".into(),
                    namespace: meta["namespace"].as_str().unwrap_or("").to_string(),
                    revision: 1,
                    is_install: true,
                    is_upgrade: false,
                    service: "Helm".into(),
                },
                capabilities: Capabilities {
                    kube_version: "v1.20.2".into(),
                    api_versions,
                    helm_version: HELM_VERSION.into(),
                },
                cluster: None,
                flags: Default::default(),
                preparse: None,
            },
        )
        .unwrap_or_else(|e| panic!("{}: render failed: {e}", case.name));
        compared += 1;
        if rendered.notes != expected {
            failures.push(format!(
                "{}: notes differ\n{}",
                case.name,
                first_differences(&expected, &rendered.notes, 20)
            ));
        }
    }
    println!(
        "notes conformance: {}/{compared} identical",
        compared - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The mirror lookup of [`prepare_chart`]: a source inside a git repository is read at the
/// recorded commit (later edits do not leak in), an unknown commit is not found there, and a
/// plain directory is copied.
#[test]
fn dependency_sources_are_read_at_their_commit_from_git_or_copied() {
    let repo = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    run(&["init", "-q"]);
    let chart = repo.path().join("charts/sub");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(chart.join("Chart.yaml"), "name: sub\nversion: 1.0.0\n").expect("write");
    std::fs::write(chart.join("templates/a.yaml"), "a: 1\n").expect("write");
    run(&["add", "."]);
    run(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "-m",
        "v1",
    ]);
    let commit = run(&["rev-parse", "HEAD"]);
    std::fs::write(chart.join("templates/a.yaml"), "a: 2\n").expect("write");

    let dest = tempfile::tempdir().expect("tempdir");
    let at_commit = dest.path().join("git");
    assert!(git_archive(&chart, &commit, &at_commit));
    assert_eq!(
        std::fs::read_to_string(at_commit.join("templates/a.yaml")).expect("read"),
        "a: 1\n"
    );
    assert!(!git_archive(
        &chart,
        "0000000000000000000000000000000000000000",
        &dest.path().join("none")
    ));

    let copied = dest.path().join("copy");
    copy_dir(&chart, &copied);
    assert_eq!(
        std::fs::read_to_string(copied.join("templates/a.yaml")).expect("read"),
        "a: 2\n"
    );
}
