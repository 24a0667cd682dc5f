//! Chart commands through the real CLI: `show`, `package`, `lint`, `create`, `dependency`,
//! dependency checks, the values flags' precedence, and the umbrella fixture
//! (tests/fixtures/umbrella: conditional, aliased and library subcharts, globals,
//! import-values in both forms, schemas) installed on the test cluster.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use crate::common::*;

fn umbrella() -> PathBuf {
    repo_root().join("tests/fixtures/umbrella")
}

fn umbrella_str() -> String {
    umbrella().display().to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Packages `chart` into a fresh directory; returns (that directory, the archive path).
fn package(chart: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().expect("tempdir");
    let dest = out.path().display().to_string();
    let mut args = vec!["package", chart, "-d", &dest];
    args.extend_from_slice(extra);
    let run = rhelm_offline(&args).ok();
    let line = run.stdout.trim_end();
    let path = line
        .strip_prefix("Successfully packaged chart and saved it to: ")
        .unwrap_or_else(|| panic!("unexpected package output\n{run}"));
    (out, PathBuf::from(path))
}

// ---------------------------------------------------------------------------------------------
// show

#[test]
fn show_prints_values_and_readme_as_written_and_chart_yaml_with_sorted_keys() {
    let chart = umbrella_str();
    let values = rhelm_offline(&["show", "values", &chart]).ok();
    assert_text(
        &values.stdout,
        &format!("{}\n", read(&umbrella().join("values.yaml"))),
        &values,
    );
    let readme = rhelm_offline(&["show", "readme", &chart]).ok();
    assert_text(
        &readme.stdout,
        &format!("{}\n", read(&umbrella().join("README.md"))),
        &readme,
    );
    let def = rhelm_offline(&["show", "chart", &chart]).ok();
    assert!(
        def.stdout
            .starts_with("apiVersion: v2\nappVersion: \"3.1\"\ndependencies:\n"),
        "{def}"
    );
    assert!(
        def.stdout
            .ends_with("name: umbrella\ntype: application\nversion: 1.0.0\n\n"),
        "{def}"
    );
    // Helm writes a dependency's repository even when empty (no omitempty).
    assert_eq!(
        def.stdout.matches("  repository: \"\"\n").count(),
        4,
        "{def}"
    );
    assert_in_order(
        &def.stdout,
        &[
            "- alias: frontWorker\n  name: worker\n",
            "- alias: backWorker\n",
            "- name: common\n",
        ],
    );
    let all = rhelm_offline(&["show", "all", &chart]).ok();
    assert_text(
        &all.stdout,
        &format!("{}---\n{}---\n{}", def.stdout, values.stdout, readme.stdout),
        &all,
    );
}

#[test]
fn show_reads_a_packaged_chart_like_its_directory() {
    let chart = umbrella_str();
    let (_dir, tgz) = package(&chart, &[]);
    let tgz = tgz.display().to_string();
    for what in ["chart", "values", "readme", "all"] {
        let from_dir = rhelm_offline(&["show", what, &chart]).ok();
        let from_tgz = rhelm_offline(&["show", what, &tgz]).ok();
        assert_text(&from_tgz.stdout, &from_dir.stdout, &from_tgz);
    }
}

#[test]
fn show_crds_prints_the_crds_of_the_chart_then_of_its_subcharts() {
    let crd_a = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: as.example.com\n";
    let crd_b = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: bs.example.com\n";
    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: withcrds\nversion: 0.1.0\n",
        ),
        ("crds/a.yaml", crd_a),
        ("crds/README.txt", "not a manifest"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        ("charts/sub/crds/b.yaml", crd_b),
    ]);
    let path = dir.path().display().to_string();
    let out = rhelm_offline(&["show", "crds", &path]).ok();
    assert_text(&out.stdout, &format!("{crd_a}\n{crd_b}\n"), &out);
    let all = rhelm_offline(&["show", "all", &path]).ok();
    assert!(
        all.stdout.ends_with(&format!("---\n{crd_a}\n{crd_b}\n")),
        "{all}"
    );
    assert!(!all.stdout.contains("not a manifest"), "{all}");
}

// ---------------------------------------------------------------------------------------------
// package

#[test]
fn package_writes_name_version_tgz_with_the_version_flags_applied() {
    let (dir, tgz) = package(
        &umbrella_str(),
        &["--version", "2.0.0", "--app-version", "9.9"],
    );
    assert_eq!(tgz, dir.path().join("umbrella-2.0.0.tgz"));
    assert!(tgz.is_file());
    let tgz = tgz.display().to_string();
    let def = rhelm_offline(&["show", "chart", &tgz]).ok();
    assert!(def.stdout.contains("\nappVersion: \"9.9\"\n"), "{def}");
    assert!(def.stdout.ends_with("\nversion: 2.0.0\n\n"), "{def}");
    // The archive keeps every subchart: it renders exactly as the directory.
    let from_dir = rhelm_offline(&["template", "demo", &umbrella_str()]).ok();
    let from_tgz = rhelm_offline(&["template", "demo", &tgz]).ok();
    assert_text(&from_tgz.stdout, &from_dir.stdout, &from_tgz);
}

#[test]
fn package_refuses_an_invalid_version_and_a_missing_directory() {
    let out = tempfile::tempdir().expect("tempdir");
    let dest = out.path().display().to_string();
    rhelm_offline(&["package", &umbrella_str(), "-d", &dest, "--version", "one"])
        .fails()
        .stderr_has("Invalid Semantic Version");
    rhelm_offline(&["package", "/nonexistent/chart", "-d", &dest])
        .fails()
        .stderr_has("/nonexistent/chart is not a directory");
    assert_eq!(std::fs::read_dir(out.path()).expect("read_dir").count(), 0);
}

// ---------------------------------------------------------------------------------------------
// lint

#[test]
fn lint_of_the_umbrella_fixture_only_recommends_an_icon() {
    let chart = umbrella_str();
    let out = rhelm_offline(&["lint", &chart, "--strict"]).ok();
    assert_text(
        &out.stdout,
        &format!(
            "==> Linting {chart}\n[INFO] Chart.yaml: icon is recommended\n\n1 chart(s) linted, 0 chart(s) failed\n"
        ),
        &out,
    );
}

#[test]
fn lint_renders_in_helms_lint_mode_where_required_and_fail_do_not_fail() {
    // As real Helm 4.3 lints the opentelemetry-collector conformance chart: clean, although
    // its templates `fail` without `mode` and `image.repository`.
    let chart = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: strict\nversion: 0.1.0\nicon: https://example.com/i.png\n",
        ),
        (
            "templates/cm.yaml",
            "{{- if not .Values.mode }}{{ fail \"'mode' must be set\" }}{{ end }}\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\ndata:\n\
             \x20 image: {{ required \"image is required\" .Values.image | quote }}\n",
        ),
    ]);
    let path = chart.path().to_str().unwrap();
    let out = rhelm_offline(&["lint", path, "--strict"]).ok();
    assert!(
        out.stdout
            .ends_with("1 chart(s) linted, 0 chart(s) failed\n"),
        "{out}"
    );
    // Rendering for real still fails on them.
    rhelm_offline(&["template", "r", path])
        .fails()
        .stderr_has("'mode' must be set");
    rhelm_offline(&["template", "r", path, "--set", "mode=x"])
        .fails()
        .stderr_has("image is required");
}

#[test]
fn lint_of_a_packaged_chart_reads_the_archive() {
    let (_dir, tgz) = package(&umbrella_str(), &[]);
    let tgz = tgz.display().to_string();
    let out = rhelm_offline(&["lint", "--strict", &tgz]).ok();
    assert_text(
        &out.stdout,
        &format!(
            "==> Linting {tgz}\n[INFO] Chart.yaml: icon is recommended\n\n1 chart(s) linted, 0 chart(s) failed\n"
        ),
        &out,
    );
}

#[test]
fn lint_reports_chart_yaml_errors_and_exits_1_with_the_summary() {
    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v3\nname: broken\nicon: not-a-url\nmaintainers:\n- email: x@example.com\n",
        ),
        ("values.yaml", "a: 1\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
        ),
    ]);
    let path = dir.path().display().to_string();
    let out = rhelm_offline(&["lint", &path]).fails();
    assert_eq!(
        out.error_line(),
        "Error: 1 chart(s) linted, 1 chart(s) failed",
        "{out}"
    );
    assert!(
        out.stdout.starts_with(&format!("==> Linting {path}\n")),
        "{out}"
    );
    for line in [
        "[ERROR] Chart.yaml: apiVersion 'v3' is not valid. The value must be either \"v1\" or \"v2\"",
        "[ERROR] Chart.yaml: version is required",
        "[ERROR] Chart.yaml: each maintainer requires a name",
        "[ERROR] Chart.yaml: invalid icon URL 'not-a-url'",
    ] {
        assert!(
            out.stdout.contains(&format!("{line}\n")),
            "missing {line:?}\n{out}"
        );
    }
    assert!(out.stdout.contains("\n[ERROR] templates/: "), "{out}");
}

#[test]
fn lint_flags_invalid_yaml_render_errors_and_selectorless_deployments() {
    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: yamlbad\nversion: 0.1.0\n",
        ),
        ("values.yaml", "a: 1\n"),
        (
            "templates/bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n",
        ),
    ]);
    let path = dir.path().display().to_string();
    let out = rhelm_offline(&["lint", &path]).fails();
    assert!(
        out.stdout
            .contains("[ERROR] templates/bad.yaml: unable to parse YAML: "),
        "{out}"
    );

    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: renderbad\nversion: 0.1.0\n",
        ),
        ("values.yaml", "a: 1\n"),
        ("templates/cm.yaml", "{{ .Values.a | nosuchfunc }}\n"),
    ]);
    let path = dir.path().display().to_string();
    let out = rhelm_offline(&["lint", &path]).fails();
    assert!(out.stdout.contains("[ERROR] templates/: "), "{out}");
    assert!(out.stdout.contains("nosuchfunc"), "{out}");

    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: noselector\nversion: 0.1.0\n",
        ),
        ("values.yaml", "a: 1\n"),
        (
            "templates/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec: {}\n",
        ),
    ]);
    let path = dir.path().display().to_string();
    let out = rhelm_offline(&["lint", &path]).fails();
    assert!(
        out.stdout.contains("[ERROR] templates/d.yaml: a Deployment must contain matchLabels or matchExpressions, and \"web\" does not\n"),
        "{out}"
    );
}

#[test]
fn lint_warns_on_deprecated_apis_and_strict_turns_warnings_into_failure() {
    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: old\nversion: 0.1.0\nicon: https://example.com/i.png\n",
        ),
        ("values.yaml", "a: 1\n"),
        (
            "templates/cron.yaml",
            "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n",
        ),
    ]);
    let path = dir.path().display().to_string();
    let warning = "[WARNING] templates/cron.yaml: batch/v1beta1 CronJob is deprecated in v1.21+, unavailable in v1.25+; use batch/v1 CronJob\n";
    let out = rhelm_offline(&["lint", &path]).ok();
    assert_text(
        &out.stdout,
        &format!("==> Linting {path}\n{warning}\n1 chart(s) linted, 0 chart(s) failed\n"),
        &out,
    );
    let strict = rhelm_offline(&["lint", "--strict", &path]).fails();
    assert!(strict.stdout.contains(warning), "{strict}");
    assert_eq!(
        strict.error_line(),
        "Error: 1 chart(s) linted, 1 chart(s) failed"
    );
    // On a cluster version before the deprecation there is nothing to say.
    rhelm_offline(&["lint", "--strict", "--kube-version", "v1.20.0", &path]).ok();
}

#[test]
fn lint_checks_values_flags_against_every_schema() {
    let chart = umbrella_str();
    let out = rhelm_offline(&[
        "lint",
        &chart,
        "--set",
        "global.env=qa,backWorker.replicas=0",
    ])
    .fails();
    assert!(out.stdout.contains("[ERROR] values.yaml: "), "{out}");
    assert!(out.stdout.contains("- at '/global/env'"), "{out}");
    // The render-time check covers the subcharts' schemas too.
    assert!(out.stdout.contains("[ERROR] templates/: "), "{out}");
    assert!(
        out.stdout
            .contains("- at '/replicas': 0 is less than the minimum of 1"),
        "{out}"
    );
    let ok = rhelm_offline(&["lint", &chart, "--set", "global.env=dev"]).ok();
    assert!(
        ok.stdout
            .ends_with("1 chart(s) linted, 0 chart(s) failed\n"),
        "{ok}"
    );
}

#[test]
fn lint_counts_every_chart_and_fails_if_one_fails() {
    let missing = "/nonexistent/lint-target";
    let chart = umbrella_str();
    let out = rhelm_offline(&["lint", &chart, missing]).fails();
    assert!(
        out.stdout.contains(&format!(
            "==> Linting {missing}\nError unable to check Chart.yaml file in chart: "
        )),
        "{out}"
    );
    assert_eq!(
        out.error_line(),
        "Error: 2 chart(s) linted, 1 chart(s) failed"
    );
}

// ---------------------------------------------------------------------------------------------
// create

#[test]
fn create_writes_a_starter_chart_that_lints_clean_and_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shop").display().to_string();
    let out = rhelm_offline(&["create", &path]).ok();
    assert_eq!(out.stdout, format!("Creating {path}\n"));
    let lint = rhelm_offline(&["lint", "--strict", &path]).ok();
    assert!(
        lint.stdout
            .ends_with("1 chart(s) linted, 0 chart(s) failed\n"),
        "{lint}"
    );
    assert!(
        !lint.stdout.contains("[WARNING]") && !lint.stdout.contains("[ERROR]"),
        "{lint}"
    );
    let rendered = rhelm_offline(&["template", "web", &path]).ok();
    for needle in [
        "# Source: shop/templates/deployment.yaml\n",
        "# Source: shop/templates/service.yaml\n",
        "# Source: shop/templates/configmap.yaml\n",
        "  name: web-shop\n",
        "image: \"nginx:1.27.0\"",
    ] {
        assert!(
            rendered.stdout.contains(needle),
            "missing {needle:?}\n{rendered}"
        );
    }
    // Its schema guards its values.
    rhelm_offline(&["template", "web", &path, "--set", "service.port=0"])
        .fails()
        .stderr_has("- at '/service/port'");
}

#[test]
fn create_refuses_a_path_that_is_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("taken");
    std::fs::write(&file, "x").expect("write");
    rhelm_offline(&["create", &file.display().to_string()])
        .fails()
        .stderr_has("already exists and is not a directory");
}

// ---------------------------------------------------------------------------------------------
// dependency

/// A parent chart with a `file://` dependency on a sibling `db` chart.
fn parent_with_local_dependency() -> tempfile::TempDir {
    write_chart(&[
        (
            "db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 1.4.2\n",
        ),
        (
            "db/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-db\n",
        ),
        (
            "app/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: db\n  version: ~1.4.0\n  repository: file://../db\n",
        ),
        (
            "app/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-app\n",
        ),
    ])
}

#[test]
fn dependency_list_update_build_vendor_file_repositories_with_a_lock() {
    let root = parent_with_local_dependency();
    let app = root.path().join("app");
    let app_s = app.display().to_string();
    let table = |status: &str| {
        helm_table(&[
            vec![
                "NAME".into(),
                "VERSION".into(),
                "REPOSITORY".into(),
                "STATUS".into(),
            ],
            vec![
                "db".into(),
                "~1.4.0".into(),
                "file://../db".into(),
                status.into(),
            ],
        ])
    };
    let list = rhelm_offline(&["dependency", "list", &app_s]).ok();
    assert_text(&list.stdout, &format!("{}\n", table("missing")), &list);
    // Missing: install/template refuse with Helm's message.
    let refused = rhelm_offline(&["template", "x", &app_s]).fails();
    assert_eq!(
        refused.error_line(),
        "Error: found in Chart.yaml, but missing in charts/ directory: db"
    );

    let update = rhelm_offline(&["dependency", "update", &app_s]).ok();
    assert_eq!(
        update.stdout, "Saving 1 charts\nDeleting outdated charts\n",
        "{update}"
    );
    assert!(app.join("charts/db-1.4.2.tgz").is_file());
    let lock = read(&app.join("Chart.lock"));
    assert!(lock.contains("version: 1.4.2"), "{lock}");
    assert!(lock.contains("digest: sha256:"), "{lock}");
    let list = rhelm_offline(&["dep", "list", &app_s]).ok();
    assert_text(&list.stdout, &format!("{}\n", table("ok")), &list);
    let rendered = rhelm_offline(&["template", "x", &app_s]).ok();
    assert!(rendered.stdout.contains("  name: x-db\n"), "{rendered}");

    // build restores charts/ from the lock.
    std::fs::remove_file(app.join("charts/db-1.4.2.tgz")).expect("rm");
    rhelm_offline(&["dependency", "build", &app_s]).ok();
    assert!(app.join("charts/db-1.4.2.tgz").is_file());

    // A Chart.yaml edited after the lock: build refuses until update.
    let chart_yaml = read(&app.join("Chart.yaml")).replace("~1.4.0", "^1.4.0");
    std::fs::write(app.join("Chart.yaml"), chart_yaml).expect("write");
    rhelm_offline(&["dependency", "build", &app_s])
        .fails()
        .stderr_has("out of sync");
}

#[test]
fn dependency_commands_say_remote_repositories_are_not_supported_yet() {
    let dir = write_chart(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: remote\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 18.x.x\n  repository: https://charts.example.com/stable\n",
    )]);
    let path = dir.path().display().to_string();
    for verb in ["update", "build"] {
        let out = rhelm_offline(&["dependency", verb, &path]).fails();
        assert!(out.error_line().contains("not supported yet"), "{out}");
        assert!(
            out.error_line()
                .contains("redis (https://charts.example.com/stable)"),
            "{out}"
        );
    }
    assert!(!dir.path().join("Chart.lock").exists());
    let list = rhelm_offline(&["dependency", "list", &path]).ok();
    assert!(list.stdout.contains("missing"), "{list}");
}

#[test]
fn a_vendored_subchart_not_in_chart_yaml_is_listed_with_a_warning() {
    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n- name: a\n  version: 0.1.0\n",
        ),
        (
            "charts/a/Chart.yaml",
            "apiVersion: v2\nname: a\nversion: 0.1.0\n",
        ),
        (
            "charts/stray/Chart.yaml",
            "apiVersion: v2\nname: stray\nversion: 0.1.0\n",
        ),
    ]);
    let out = rhelm_offline(&["dependency", "list", &dir.path().display().to_string()]).ok();
    assert!(
        out.stdout
            .contains("\nWARNING: \"stray\" is not in Chart.yaml.\n"),
        "{out}"
    );
    assert!(out.stdout.contains("unpacked"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// values flags through template

/// A chart that renders its whole `.Values` as JSON into one ConfigMap key.
fn values_echo_chart() -> tempfile::TempDir {
    write_chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: echo\nversion: 0.1.0\n"),
        ("values.yaml", "fromChart: yes\nshared: chart\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: echo\ndata:\n  values: {{ toJson .Values | quote }}\n",
        ),
    ])
}

fn rendered_values(run: &Run) -> Json {
    let line = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("  values: "))
        .unwrap_or_else(|| panic!("no values line\n{run}"));
    let json: String = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}\n{run}"));
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}\n{run}"))
}

fn template_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let missing = std::env::temp_dir().join("rhelm-tests-no-such-kubeconfig");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rhelm"))
        .args(args)
        .env("KUBECONFIG", &missing)
        .env_remove("HELM_NAMESPACE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn rhelm");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    Run {
        cmd: format!("rhelm {}", args.join(" ")),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn values_flags_apply_in_helms_order_files_json_set_string_file_literal() {
    let chart = values_echo_chart();
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first.yaml");
    let second = dir.path().join("second.yaml");
    let file_value = dir.path().join("value.txt");
    std::fs::write(
        &first,
        "order: file1\nmap:\n  kept: 1\n  replaced: file1\nlist: [1, 2]\n",
    )
    .expect("write");
    std::fs::write(
        &second,
        "order: file2\nmap:\n  replaced: file2\nlist: [3]\n",
    )
    .expect("write");
    std::fs::write(&file_value, "from a file\n").expect("write");
    let chart_path = chart.path().display().to_string();
    let args = [
        "template",
        "x",
        &chart_path,
        "-f",
        &first.display().to_string(),
        "-f",
        "-",
        "-f",
        &second.display().to_string(),
        "--set-json",
        r#"order="json",json={"n":1.5,"t":true},viaJson="json""#,
        "--set",
        "order=set,int=10,zero=010,bool=TRUE,null=null,shared=null,list[1]=x",
        "--set-string",
        "order=string,str=10",
        "--set-file",
        &format!(
            "order={},file={}",
            file_value.display(),
            file_value.display()
        ),
        "--set-literal",
        "literal=a,b=c{d}",
        "--set-literal",
        "order=literal",
    ]
    .map(String::from);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = template_stdin(&args, b"fromStdin: true\norder: stdin\n").ok();
    let values = rendered_values(&out);
    assert_eq!(
        values,
        json!({
            "fromChart": true,
            "fromStdin": true,
            "order": "literal",
            "map": {"kept": 1, "replaced": "file2"},
            "list": [3, "x"],
            "json": {"n": 1.5, "t": true},
            "viaJson": "json",
            "int": 10,
            "zero": "010",
            "bool": true,
            // null deletes only keys the chart defines (`shared`); others stay null.
            "null": null,
            "str": "10",
            "file": "from a file\n",
            "literal": "a,b=c{d}",
        }),
        "{out}"
    );
}

#[test]
fn bad_values_flags_fail_with_helms_message() {
    let chart = values_echo_chart();
    let path = chart.path().display().to_string();
    let out = rhelm_offline(&["template", "x", &path, "--set", "a=b,c"]).fails();
    assert_eq!(
        out.error_line(),
        "Error: failed parsing --set data: key \"c\" has no value"
    );
    // Helm's text, then where the parser stopped.
    assert!(
        out.stderr.contains(
            "\nhint: in --set \"a=b,c\", parsing stopped at character 5:\n  a=b,c\n      ^\n"
        ),
        "{out}"
    );
    let out = rhelm_offline(&["template", "x", &path, "--set", "a[x]=1"]).fails();
    assert!(out.error_line().contains("error parsing index"), "{out}");
    let out = rhelm_offline(&["template", "x", &path, "--set", "a[70000]=1"]).fails();
    assert!(
        out.error_line()
            .contains("greater than maximum supported index of 65536"),
        "{out}"
    );
    let out = rhelm_offline(&["template", "x", &path, "--set-json", "a={"]).fails();
    assert!(
        out.error_line()
            .starts_with("Error: failed parsing --set-json data"),
        "{out}"
    );
    let out = rhelm_offline(&[
        "template",
        "x",
        &path,
        "--set-file",
        "a=/nonexistent/value.txt",
    ])
    .fails();
    assert!(out.error_line().contains("/nonexistent/value.txt"), "{out}");
    let out = rhelm_offline(&["template", "x", &path, "-f", "/nonexistent/values.yaml"]).fails();
    assert!(
        out.error_line().contains("/nonexistent/values.yaml"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// the umbrella, offline

#[test]
fn the_umbrella_renders_conditions_aliases_globals_and_imports() {
    let chart = umbrella_str();
    let out = rhelm_offline(&["template", "u", &chart]).ok();
    assert_in_order(
        &out.stdout,
        &[
            "# Source: umbrella/charts/backWorker/templates/configmap.yaml\n",
            "  name: u-backworker\n",
            "  role: \"back\"\n  replicas: \"3\"\n  env: \"prod\"\n  team: \"core\"\n",
            "# Source: umbrella/charts/cache/templates/configmap.yaml\n",
            "  size: \"64\"\n  port: \"6379\"\n",
            "# Source: umbrella/charts/frontWorker/templates/configmap.yaml\n",
            "  role: \"front\"\n  replicas: \"1\"\n",
            "# Source: umbrella/templates/configmap.yaml\n",
            // The parent's own cacheMaxMemory wins over the imported one.
            "  cacheMaxMemory: \"128mb\"\n  cachePolicy: \"allkeys-lru\"\n  cachePort: \"6379\"\n",
        ],
    );
    // The library chart renders nothing of its own.
    assert!(!out.stdout.contains("charts/common/"), "{out}");

    let off = rhelm_offline(&[
        "template",
        "u",
        &chart,
        "--set",
        "cache.enabled=false,global.env=dev",
    ])
    .ok();
    assert!(!off.stdout.contains("u-cache"), "{off}");
    assert!(
        off.stdout
            .contains("  cachePolicy: \"none\"\n  cachePort: \"none\"\n"),
        "{off}"
    );
    assert_eq!(off.stdout.matches("environment: dev\n").count(), 3, "{off}");
}

#[test]
fn the_umbrella_schema_errors_list_every_failing_path_of_every_chart() {
    let out = rhelm_offline(&[
        "template",
        "u",
        &umbrella_str(),
        "--set",
        "global.env=qa,cache.size=0,backWorker.replicas=0",
    ])
    .fails();
    assert_eq!(
        out.error_line(),
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):"
    );
    for needle in [
        "\numbrella:\n",
        "- at '/global/env'",
        "- at '/cache/size'",
        "\nbackWorker:\n- at '/replicas': 0 is less than the minimum of 1",
    ] {
        assert!(out.stderr.contains(needle), "missing {needle:?}\n{out}");
    }
}

// ---------------------------------------------------------------------------------------------
// bad charts

#[test]
fn a_kube_version_constraint_the_target_does_not_meet_is_refused() {
    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: modern\nversion: 0.1.0\nkubeVersion: \">=1.25.0-0\"\n",
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n",
        ),
    ]);
    let path = dir.path().display().to_string();
    let out = rhelm_offline(&["template", "x", &path, "--kube-version", "1.20.2"]).fails();
    assert_eq!(
        out.error_line(),
        "Error: chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.20.2"
    );
    rhelm_offline(&["template", "x", &path, "--kube-version", "1.30.0"]).ok();
}

#[test]
fn a_tgz_that_is_not_a_chart_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("text.tgz");
    std::fs::write(&text, "just text").expect("write");
    let out = rhelm_offline(&["show", "chart", &text.display().to_string()]).fails();
    assert!(
        out.error_line()
            .contains("does not appear to be a gzipped archive"),
        "{out}"
    );

    // A real gzipped tar, without Chart.yaml.
    let tgz = dir.path().join("nochart.tgz");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "thing/values.yaml", &b"a: 1\n"[..])
        .expect("append");
    let data = builder.into_inner().expect("tar").finish().expect("gzip");
    std::fs::write(&tgz, data).expect("write");
    let out = rhelm_offline(&["template", "x", &tgz.display().to_string()]).fails();
    assert!(
        out.error_line().contains("Chart.yaml file is missing"),
        "{out}"
    );
}

/// A gzipped tar whose entry names are written raw (the tar crate refuses `..`).
fn hostile_archive(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = Vec::new();
    for (name, body) in entries {
        let mut header = tar::Header::new_old();
        {
            let raw = header.as_old_mut();
            raw.name[..name.len()].copy_from_slice(name.as_bytes());
        }
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        tar.extend_from_slice(header.as_bytes());
        tar.extend_from_slice(body.as_bytes());
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).expect("gzip");
    gz.finish().expect("gzip")
}

#[test]
fn a_tgz_with_paths_escaping_its_folder_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let escape = format!("evil/../../{}-escaped.yaml", uuid::Uuid::new_v4().simple());
    let escaped_target = dir
        .path()
        .parent()
        .expect("parent")
        .join(escape.trim_start_matches("evil/../../"));
    let tgz = dir.path().join("evil.tgz");
    std::fs::write(
        &tgz,
        hostile_archive(&[
            (
                "evil/Chart.yaml",
                "apiVersion: v2\nname: evil\nversion: 0.1.0\n",
            ),
            (&escape, "pwned: true\n"),
        ]),
    )
    .expect("write");
    let tgz_s = tgz.display().to_string();
    for args in [
        vec!["show", "chart", &tgz_s],
        vec!["template", "x", &tgz_s],
        vec!["lint", &tgz_s],
    ] {
        let out = rhelm_offline(&args).fails();
        assert!(
            [&out.stderr, &out.stdout].iter().any(|t| {
                t.contains("outside the base directory")
                    || t.contains("illegally references parent directory")
            }),
            "{out}"
        );
    }
    assert!(
        !escaped_target.exists(),
        "{} was written",
        escaped_target.display()
    );
}

#[test]
fn a_deeply_nested_values_file_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = dir.path().join("deep.yaml");
    let depth = 100_000;
    std::fs::write(
        &deep,
        format!("a: {}1{}\n", "{a: ".repeat(depth), "}".repeat(depth)),
    )
    .expect("write");
    let chart = values_echo_chart();
    let out = rhelm_offline(&[
        "template",
        "x",
        &chart.path().display().to_string(),
        "-f",
        &deep.display().to_string(),
    ])
    .fails();
    assert!(out.error_line().contains("deep.yaml"), "{out}");
    // Indentation-nested too (a few thousand levels).
    let mut text = String::new();
    for level in 0..3000 {
        text.push_str(&" ".repeat(level));
        text.push_str("k:\n");
    }
    std::fs::write(&deep, text).expect("write");
    let out = rhelm_offline(&[
        "template",
        "x",
        &chart.path().display().to_string(),
        "-f",
        &deep.display().to_string(),
    ]);
    assert!(matches!(out.code, Some(0 | 1)), "{out}");
}

// ---------------------------------------------------------------------------------------------
// on the cluster

fn configmap_data(ns: &str, name: &str, key: &str) -> String {
    field(ns, "configmap", name, &format!("{{.data.{key}}}"))
}

#[test]
fn the_umbrella_installs_and_a_disabled_subchart_is_removed_on_upgrade() {
    let ns = create_ns("umbrella-install");
    let chart = umbrella_str();
    rhelm(&["install", "u", &chart, "-n", &ns]).ok();
    for name in ["u-umbrella", "u-cache", "u-frontworker", "u-backworker"] {
        assert!(exists(&ns, "configmap", name), "{name} missing");
    }
    assert_eq!(
        configmap_data(&ns, "u-umbrella", "cachePolicy"),
        "allkeys-lru"
    );
    assert_eq!(configmap_data(&ns, "u-umbrella", "cacheMaxMemory"), "128mb");
    assert_eq!(configmap_data(&ns, "u-backworker", "replicas"), "3");
    assert_eq!(configmap_data(&ns, "u-frontworker", "role"), "front");
    assert_eq!(configmap_data(&ns, "u-cache", "env"), "prod");
    assert_eq!(
        field(
            &ns,
            "configmap",
            "u-cache",
            "{.metadata.labels.app\\.kubernetes\\.io/part-of}"
        ),
        "umbrella"
    );

    rhelm(&[
        "upgrade",
        "u",
        &chart,
        "-n",
        &ns,
        "--set",
        "cache.enabled=false",
    ])
    .ok();
    assert_gone(&ns, "configmap", "u-cache");
    assert_eq!(configmap_data(&ns, "u-umbrella", "cachePolicy"), "none");
    assert_eq!(configmap_data(&ns, "u-umbrella", "cacheEnabled"), "false");
    assert!(exists(&ns, "configmap", "u-backworker"));
}

#[test]
fn a_packaged_chart_installs() {
    let ns = create_ns("packaged-install");
    let (_dir, tgz) = package(&umbrella_str(), &["--version", "1.0.1"]);
    rhelm(&["install", "p", &tgz.display().to_string(), "-n", &ns]).ok();
    assert_eq!(configmap_data(&ns, "p-backworker", "role"), "back");
    let stored = stored_revision(&ns, "p", 1);
    assert_eq!(stored.chart(), "umbrella-1.0.1");
}

#[test]
fn install_refuses_a_chart_with_a_missing_dependency_and_records_nothing() {
    let ns = create_ns("missing-dependency");
    let root = parent_with_local_dependency();
    let app = root.path().join("app").display().to_string();
    let out = rhelm(&["install", "m", &app, "-n", &ns]).fails();
    assert_eq!(
        out.error_line(),
        "Error: INSTALLATION FAILED: found in Chart.yaml, but missing in charts/ directory: db"
    );
    assert!(stored_releases(&ns, "m").is_empty());
}

#[test]
fn install_refuses_a_kube_version_the_cluster_does_not_meet() {
    let ns = create_ns("kube-version");
    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: modern\nversion: 0.1.0\nkubeVersion: \">=1.25.0-0\"\n",
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n",
        ),
    ]);
    let out = rhelm(&["install", "k", &dir.path().display().to_string(), "-n", &ns]).fails();
    assert!(
        out.error_line()
            .starts_with("Error: INSTALLATION FAILED: chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.20"),
        "{out}"
    );
    assert!(stored_releases(&ns, "k").is_empty());
}

#[test]
fn the_created_chart_installs_and_upgrades() {
    let ns = create_ns("created-chart");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("site").display().to_string();
    rhelm_offline(&["create", &path]).ok();
    rhelm(&["install", "web", &path, "-n", &ns]).ok();
    assert_eq!(
        field(&ns, "deployment", "web-site", "{.spec.replicas}"),
        "1"
    );
    assert_eq!(
        field(&ns, "service", "web-site", "{.spec.ports[0].port}"),
        "80"
    );
    rhelm(&[
        "upgrade",
        "web",
        &path,
        "-n",
        &ns,
        "--set",
        "replicaCount=2,page.title=Shop",
    ])
    .ok();
    assert_eq!(
        field(&ns, "deployment", "web-site", "{.spec.replicas}"),
        "2"
    );
    assert!(configmap_data(&ns, "web-site-page", "index\\.html").contains("<title>Shop</title>"));
    assert_eq!(stored_revision(&ns, "web", 2).status(), "deployed");
}

/// A chart at `version` whose defaults are `greeting`/`color`, echoing both into a ConfigMap.
fn colors_chart(version: &str, greeting: &str, color: &str) -> tempfile::TempDir {
    write_chart(&[
        (
            "Chart.yaml",
            &format!("apiVersion: v2\nname: colors\nversion: {version}\n"),
        ),
        (
            "values.yaml",
            &format!("greeting: {greeting}\ncolor: {color}\n"),
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  color: {{ .Values.color | quote }}\n",
        ),
    ])
}

#[test]
fn upgrade_values_policies_follow_helm_4() {
    let ns = create_ns("values-policies");
    let v1 = colors_chart("1.0.0", "hello", "red");
    let v2 = colors_chart("2.0.0", "howdy", "blue");
    let v1 = v1.path().display().to_string();
    let v2 = v2.path().display().to_string();
    let seen = || {
        (
            configmap_data(&ns, "c", "greeting"),
            configmap_data(&ns, "c", "color"),
        )
    };
    let pair = |g: &str, c: &str| (g.to_string(), c.to_string());
    let upgrade = |extra: &[&str]| {
        let mut args = vec!["upgrade", "c", &v2, "-n", &ns];
        args.extend_from_slice(extra);
        rhelm(&args).ok();
    };

    rhelm(&["install", "c", &v1, "-n", &ns, "--set", "color=green"]).ok();
    assert_eq!(seen(), pair("hello", "green"));
    // --reuse-values: the previous release's values AND its chart's defaults.
    upgrade(&["--reuse-values"]);
    assert_eq!(seen(), pair("hello", "green"));
    // --reset-then-reuse-values: the new chart's defaults, then the previous user values.
    upgrade(&["--reset-then-reuse-values"]);
    assert_eq!(seen(), pair("howdy", "green"));
    // No values given: the previous user values are reused.
    upgrade(&[]);
    assert_eq!(seen(), pair("howdy", "green"));
    // Values given without a flag: only they count.
    upgrade(&["--set", "greeting=yo"]);
    assert_eq!(seen(), pair("yo", "blue"));
    // --reuse-values merges new values over the previous ones.
    upgrade(&["--reuse-values", "--set", "color=black"]);
    assert_eq!(seen(), pair("yo", "black"));
    // --reset-values: the chart's defaults only.
    upgrade(&["--reset-values"]);
    assert_eq!(seen(), pair("howdy", "blue"));
    let values = rhelm(&["get", "values", "c", "-n", &ns, "-o", "json"]).ok();
    assert!(!values.stdout.contains("color"), "{values}");
}

#[test]
fn package_with_dependency_update_vendors_file_dependencies_first() {
    let root = parent_with_local_dependency();
    let app = root.path().join("app").display().to_string();
    let out = tempfile::tempdir().expect("tempdir");
    let dest = out.path().display().to_string();
    let run = rhelm_offline(&["package", &app, "-u", "-d", &dest]).ok();
    let tgz = out.path().join("app-0.1.0.tgz");
    assert_eq!(
        run.stdout,
        format!(
            "Saving 1 charts\nDeleting outdated charts\nSuccessfully packaged chart and saved it to: {}\n",
            tgz.display()
        )
    );
    let rendered = rhelm_offline(&["template", "x", &tgz.display().to_string()]).ok();
    assert!(rendered.stdout.contains("  name: x-db\n"), "{rendered}");
}

#[test]
fn lint_with_subcharts_lints_each_vendored_chart_on_its_own() {
    let chart = umbrella_str();
    let out = rhelm_offline(&["lint", "--with-subcharts", &chart]).fails();
    assert_in_order(
        &out.stdout,
        &[
            &format!("==> Linting {chart}\n"),
            &format!("==> Linting {chart}/charts/cache\n"),
            &format!("==> Linting {chart}/charts/common\n"),
            &format!("==> Linting {chart}/charts/worker\n"),
        ],
    );
    // Alone, cache and worker miss the parent's library chart, as with Helm.
    assert_eq!(
        out.error_line(),
        "Error: 4 chart(s) linted, 2 chart(s) failed"
    );
    assert_eq!(
        out.stdout.matches("no template \"common.labels\"").count(),
        2,
        "{out}"
    );
}

#[test]
fn dependency_update_keeps_vendored_charts_without_a_repository() {
    let dir = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n- name: db\n  version: 1.x\n",
        ),
        (
            "charts/db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 1.2.0\n",
        ),
        (
            "charts/db/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-db\n",
        ),
    ]);
    let path = dir.path().display().to_string();
    let out = rhelm_offline(&["dependency", "update", &path]).ok();
    assert_eq!(
        out.stdout,
        "Saving 1 charts\nDependency db did not declare a repository. Assuming it exists in the charts directory\nDeleting outdated charts\n"
    );
    assert!(
        read(&dir.path().join("Chart.lock"))
            .contains("- name: db\n  repository: \"\"\n  version: 1.x\n")
    );
    rhelm_offline(&["dependency", "build", &path]).ok();
    let list = rhelm_offline(&["dependency", "list", &path]).ok();
    assert!(list.stdout.contains("unpacked"), "{list}");
    let rendered = rhelm_offline(&["template", "v", &path]).ok();
    assert!(rendered.stdout.contains("  name: v-db\n"), "{rendered}");
}

#[test]
fn conflicting_or_malformed_aliases_are_refused() {
    let twin = "apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n- name: w\n  version: 0.1.0\n  alias: twin\n- name: w\n  version: 0.1.0\n  alias: twin\n";
    let sub = (
        "charts/w/Chart.yaml",
        "apiVersion: v2\nname: w\nversion: 0.1.0\n",
    );
    let dir = write_chart(&[("Chart.yaml", twin), sub]);
    let out = rhelm_offline(&["template", "x", &dir.path().display().to_string()]).fails();
    assert_eq!(
        out.error_line(),
        "Error: validation: more than one dependency with name or alias \"twin\""
    );
    let dir = write_chart(&[
        (
            "Chart.yaml",
            &twin.replacen("alias: twin", "alias: tw.in", 1),
        ),
        sub,
    ]);
    let out = rhelm_offline(&["template", "x", &dir.path().display().to_string()]).fails();
    assert_eq!(
        out.error_line(),
        "Error: validation: dependency \"w\" has disallowed characters in the alias"
    );
}

#[test]
fn lint_quiet_prints_only_charts_with_warnings_or_errors() {
    let chart = umbrella_str();
    let out = rhelm_offline(&["lint", "--quiet", &chart]).ok();
    assert_eq!(out.stdout, "", "{out}");
    let dir = write_chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: old\nversion: 0.1.0\n"),
        ("values.yaml", "a: 1\n"),
        (
            "templates/pdb.yaml",
            "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\n",
        ),
    ]);
    let path = dir.path().display().to_string();
    let out = rhelm_offline(&["lint", "--quiet", &chart, &path]).ok();
    assert_text(
        &out.stdout,
        &format!(
            "==> Linting {path}\n[WARNING] templates/pdb.yaml: policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+; use policy/v1 PodDisruptionBudget\n\n2 chart(s) linted, 0 chart(s) failed\n"
        ),
        &out,
    );
}
