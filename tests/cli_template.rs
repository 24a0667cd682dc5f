//! `rhelm template` and `rhelm version`: no cluster involved. Expected manifests are goldens that
//! real Helm 4.3 rendered from charts/guestbook (tests/golden/guestbook/README.md).

use crate::common::*;

fn golden_manifest(case: &str) -> String {
    golden(&format!("guestbook/{case}.manifest.yaml"))
}

#[test]
fn template_renders_the_guestbook_byte_for_byte_as_helm_does() {
    let out = rhelm_offline(&[
        "template",
        LAB_RELEASE,
        &guestbook_chart(),
        "-n",
        "helm-demo",
    ])
    .ok();
    assert_text(&out.stdout, &golden_manifest("default"), &out);
}

#[test]
fn template_applies_the_labs_set_flags() {
    let out = rhelm_offline(&[
        "template",
        LAB_RELEASE,
        &guestbook_chart(),
        "-n",
        "helm-demo",
        "--set",
        "redis.slaveEnabled=false,service.type=NodePort",
    ])
    .ok();
    assert_text(&out.stdout, &golden_manifest("nodeport-no-slaves"), &out);
    assert!(
        !out.stdout.contains("redis-slave"),
        "slave objects must not render\n{out}"
    );
}

#[test]
fn template_never_contacts_a_cluster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (kubeconfig, _) = unreachable_kubeconfig(dir.path());
    let out = rhelm_with_kubeconfig(
        &kubeconfig,
        &[
            "template",
            LAB_RELEASE,
            &guestbook_chart(),
            "-n",
            "helm-demo",
        ],
    )
    .ok();
    assert_text(&out.stdout, &golden_manifest("default"), &out);
}

#[test]
fn template_defaults_the_release_name_to_release_name() {
    let chart = guestbook_chart();
    let unnamed = rhelm_offline(&["template", &chart]).ok();
    let named = rhelm_offline(&["template", "release-name", &chart]).ok();
    assert_eq!(unnamed.stdout, named.stdout, "\n{unnamed}\n{named}");
    assert!(
        unnamed
            .stdout
            .contains("\n    app.kubernetes.io/instance: release-name\n"),
        "\n{unnamed}"
    );
    // "release-name" does not contain the chart name, so fullname is "<release>-<chart>".
    assert!(
        unnamed
            .stdout
            .contains("\n  name: release-name-guestbook\n"),
        "\n{unnamed}"
    );
}

#[test]
fn later_values_files_and_set_flags_take_precedence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first.yaml");
    let second = dir.path().join("second.yaml");
    std::fs::write(&first, "service:\n  type: NodePort\nreplicaCount: 5\n").expect("write");
    std::fs::write(&second, "service:\n  type: ClusterIP\n").expect("write");
    let out = rhelm_offline(&[
        "template",
        LAB_RELEASE,
        &guestbook_chart(),
        "-n",
        "helm-demo",
        "-f",
        first.to_str().expect("utf-8 path"),
        "--values",
        second.to_str().expect("utf-8 path"),
        "--set",
        "replicaCount=3",
    ])
    .ok();
    assert_text(&out.stdout, &golden_manifest("clusterip-3-replicas"), &out);
}

fn kinds_chart() -> tempfile::TempDir {
    write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: kinds\nversion: 0.1.0\n",
        ),
        ("values.yaml", "x: 12\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kinds\ndata:\n  kind: {{ kindOf .Values.x | quote }}\n  value: {{ .Values.x | quote }}\n",
        ),
    ])
}

/// Asserts that `rhelm template k CHART EXTRA…` succeeds and prints `needle`.
#[track_caller]
fn assert_renders(chart: &tempfile::TempDir, extra: &[&str], needle: &str) {
    let path = chart.path().to_str().expect("utf-8 path");
    let out = rhelm_offline(&[&["template", "k", path][..], extra].concat()).ok();
    assert!(out.stdout.contains(needle), "expected {needle:?}\n{out}");
}

#[test]
fn set_string_gives_string_and_files_give_float64() {
    let chart = kinds_chart();
    assert_renders(&chart, &[], "  kind: \"float64\"\n  value: \"12\"\n");
    assert_renders(
        &chart,
        &["--set-string", "x=12"],
        "  kind: \"string\"\n  value: \"12\"\n",
    );
}

#[test]
fn set_gives_int64() {
    let chart = kinds_chart();
    assert_renders(
        &chart,
        &["--set", "x=12"],
        "  kind: \"int64\"\n  value: \"12\"\n",
    );
}

fn int_typing_chart() -> tempfile::TempDir {
    write_chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: ints\nversion: 0.1.0\n"),
        ("values.yaml", "count: 3\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ints\ndata:\n  types: {{ printf \"%T %T %T %T\" .Values.count (add .Values.count 1) (len \"ab\") (int .Values.count) | quote }}\n  same: {{ eq (add .Values.count 0) (int64 3) | quote }}\n  short: {{ trunc (int .Values.count) \"abcdef\" | quote }}\n{{- if .Values.strict }}\n  strict: {{ trunc .Values.count \"abcdef\" | quote }}\n{{- end }}\n",
        ),
    ])
}

#[test]
fn set_integers_keep_gos_int64_through_functions() {
    let chart = int_typing_chart();
    assert_renders(
        &chart,
        &["--set", "count=3"],
        "  types: \"int64 int64 int int\"\n  same: \"true\"\n  short: \"abc\"\n",
    );
    assert_renders(&chart, &[], "  types: \"float64 int64 int int\"\n");
}

#[test]
fn set_integers_are_refused_by_int_parameters_as_helm_refuses_them() {
    let chart = int_typing_chart();
    let path = chart.path().to_str().expect("utf-8 path");
    // Sprig's `trunc` takes a Go `int`; Helm 4.3 rejects an int64 from --set.
    let out = rhelm_offline(&["template", "k", path, "--set", "count=3,strict=true"]).fails();
    assert!(
        out.stderr
            .contains("wrong type for value; expected int; got int64"),
        "\n{out}"
    );
}

#[test]
fn template_frames_each_document_with_its_source_path() {
    let out = rhelm_offline(&["template", LAB_RELEASE, &guestbook_chart()]).ok();
    let sources: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("# Source: "))
        .collect();
    // Helm's install order: Services before Deployments; same kind keeps file order.
    assert_eq!(
        sources,
        [
            "# Source: guestbook/templates/guestbook-service.yaml",
            "# Source: guestbook/templates/redis-master-service.yaml",
            "# Source: guestbook/templates/redis-slave-service.yaml",
            "# Source: guestbook/templates/guestbook-deployment.yaml",
            "# Source: guestbook/templates/redis-master-deployment.yaml",
            "# Source: guestbook/templates/redis-slave-deployment.yaml",
        ],
        "\n{out}"
    );
}

#[test]
fn version_prints_rhelms_version_without_a_cluster() {
    let out = rhelm_offline(&["version"]).ok();
    assert!(out.stdout.contains(env!("CARGO_PKG_VERSION")), "\n{out}");
    assert!(
        out.stderr.is_empty(),
        "version writes nothing to stderr\n{out}"
    );
}

#[test]
fn the_guestbook_goldens_were_rendered_from_this_very_chart() {
    // tests/golden/guestbook/chart.sha256 is `sha256sum` of the chart's files when real Helm
    // rendered the goldens. A chart edit must come with goldens regenerated by real Helm
    // (tests/golden/guestbook/README.md); otherwise the template tests would blame rhelm.
    use sha2::Digest as _;
    let root = std::path::PathBuf::from(guestbook_chart());
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("read_dir")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut lines: Vec<String> = files
        .iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&root)
                .expect("inside the chart")
                .display()
                .to_string();
            let digest = sha2::Sha256::digest(std::fs::read(f).expect("read"));
            format!("{}  ./{rel}", hex::encode(digest))
        })
        .collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    assert_eq!(
        format!("{}\n", lines.join("\n")),
        golden("guestbook/chart.sha256"),
        "charts/guestbook changed since real Helm rendered tests/golden/guestbook: regenerate them"
    );
}

const THING_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\n";

/// A chart with a two-document template, a hook, a CRD (and a non-manifest file beside it)
/// and a subchart: every kind of block `helm template` frames.
fn blocks_chart() -> tempfile::TempDir {
    write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: multi\nversion: 0.1.0\n",
        ),
        (
            "templates/a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n",
        ),
        (
            "templates/hook.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n",
        ),
        ("crds/crd.yaml", THING_CRD),
        ("crds/README.md", "not a manifest\n"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        (
            "charts/sub/templates/s.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\n",
        ),
    ])
}

/// `(source path, trimmed text)` of each `---\n# Source: ` block of `text`, in order.
fn source_blocks(text: &str) -> Vec<(String, String)> {
    text.split("---\n# Source: ")
        .skip(1)
        .map(|block| {
            let (path, body) = block.split_once('\n').unwrap_or((block, ""));
            (path.to_string(), body.trim().to_string())
        })
        .collect()
}

#[test]
fn show_only_selects_templates_by_chart_relative_path_or_glob() {
    let chart = blocks_chart();
    let chart = chart.path().to_str().unwrap();
    let show = |pattern: &str| rhelm_offline(&["template", "r", chart, "-s", pattern]);

    let hook = show("templates/hook.yaml").ok();
    assert_eq!(
        hook.stdout,
        "---\n# Source: multi/templates/hook.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n",
        "{hook}"
    );
    let both = show("templates/a.yaml").ok();
    let kinds: Vec<_> = source_blocks(&both.stdout)
        .into_iter()
        .map(|(path, body)| (path, body.lines().nth(1).unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "multi/templates/a.yaml".to_string(),
                "kind: Secret".to_string()
            ),
            (
                "multi/templates/a.yaml".to_string(),
                "kind: ConfigMap".to_string()
            ),
        ],
        "install order within the template\n{both}"
    );
    let sub = show("charts/*/templates/*.yaml").ok();
    assert_eq!(
        sub.stdout,
        "---\n# Source: multi/charts/sub/templates/s.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\n",
        "{sub}"
    );
    // `*` does not cross a `/` (Go's filepath.Match), and paths start below the chart.
    for missing in ["templates/nope.yaml", "*.yaml", "multi/templates/a.yaml"] {
        let out = show(missing).fails();
        assert_eq!(
            out.error_line(),
            format!("Error: could not find template {missing} in chart"),
            "{out}"
        );
    }
}

#[test]
fn include_crds_prints_each_crd_file_as_it_is_on_disk_first() {
    let chart = blocks_chart();
    let out = rhelm_offline(&[
        "template",
        "r",
        chart.path().to_str().unwrap(),
        "--include-crds",
    ])
    .ok();
    // The file's own trailing newline plus the framing one leave a blank line, as in Helm.
    let expected_start =
        format!("---\n# Source: multi/crds/crd.yaml\n{THING_CRD}\n---\n# Source: ");
    assert!(out.stdout.starts_with(&expected_start), "{out}");
    assert!(
        !out.stdout.contains("not a manifest"),
        "only .yaml/.yml/.json CRD files\n{out}"
    );
}

#[test]
fn output_dir_writes_each_block_to_its_template_file_and_says_so() {
    let chart = blocks_chart();
    let chart = chart.path().to_str().unwrap();
    let printed = rhelm_offline(&["template", "r", chart, "--include-crds"]).ok();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let dir = out_dir.path().to_str().unwrap();
    let run = rhelm_offline(&[
        "template",
        "r",
        chart,
        "--include-crds",
        "--output-dir",
        dir,
    ])
    .ok();

    // One `wrote` line per block, in the order stdout would have shown them, then an empty line.
    let blocks = source_blocks(&printed.stdout);
    let expected: String = blocks
        .iter()
        .map(|(path, _)| format!("wrote {dir}/{path}\n"))
        .collect::<String>()
        + "\n";
    assert_eq!(run.stdout, expected, "{run}");

    // Each file holds its blocks, appended in order.
    let crd = std::fs::read_to_string(out_dir.path().join("multi/crds/crd.yaml")).unwrap();
    assert_eq!(
        crd,
        format!("---\n# Source: multi/crds/crd.yaml\n{THING_CRD}\n")
    );
    let mut paths: Vec<&String> = blocks.iter().map(|(path, _)| path).collect();
    paths.dedup();
    for path in paths {
        let written = std::fs::read_to_string(out_dir.path().join(path)).unwrap();
        let expected: Vec<_> = blocks.iter().filter(|(p, _)| p == path).cloned().collect();
        assert_eq!(source_blocks(&written), expected, "{path}");
    }
    assert!(!out_dir.path().join("multi/crds/README.md").exists());

    // --release-name puts templates (not CRDs, as in Helm) under a folder named after the release.
    let named = tempfile::tempdir().expect("tempdir");
    let dir = named.path().to_str().unwrap();
    rhelm_offline(&[
        "template",
        "r",
        chart,
        "--include-crds",
        "--output-dir",
        dir,
        "--release-name",
    ])
    .ok();
    assert!(named.path().join("r/multi/templates/a.yaml").is_file());
    assert!(named.path().join("r/multi/templates/hook.yaml").is_file());
    assert!(named.path().join("multi/crds/crd.yaml").is_file());
}

#[test]
fn get_host_by_name_resolves_only_with_enable_dns() {
    let chart = write_chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: dns\nversion: 0.1.0\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dns\ndata:\n  ip: {{ getHostByName \"localhost\" | quote }}\n",
        ),
    ]);
    let path = chart.path().to_str().expect("utf-8 path");
    let off = rhelm_offline(&["template", "d", path]).ok();
    assert!(
        off.stdout.contains("  ip: \"\"\n"),
        "Helm resolves nothing by default\n{off}"
    );
    let on = rhelm_offline(&["template", "d", path, "--enable-dns"]).ok();
    assert!(
        on.stdout.contains("  ip: \"127.0.0.1\"\n") || on.stdout.contains("  ip: \"::1\"\n"),
        "{on}"
    );
}

#[test]
fn skip_schema_validation_renders_values_the_schema_refuses() {
    let chart = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: typed\nversion: 0.1.0\n",
        ),
        ("values.yaml", "port: 80\n"),
        (
            "values.schema.json",
            r#"{"type":"object","properties":{"port":{"type":"integer"}}}"#,
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typed\ndata:\n  port: {{ .Values.port | quote }}\n",
        ),
    ]);
    let path = chart.path().to_str().expect("utf-8 path");
    let refused = rhelm_offline(&["template", "t", path, "--set", "port=http"]).fails();
    assert!(refused.stderr.contains("port"), "{refused}");
    let skipped = rhelm_offline(&[
        "template",
        "t",
        path,
        "--set",
        "port=http",
        "--skip-schema-validation",
    ])
    .ok();
    assert!(skipped.stdout.contains("  port: \"http\"\n"), "{skipped}");
}

/// A parent chart with a subchart, both printing `.Values` as JSON; nulls everywhere.
fn null_values_chart() -> tempfile::TempDir {
    let json_cm = |name: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  values: {{{{ toJson .Values | quote }}}}\n"
        )
    };
    write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: nulls\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n",
        ),
        (
            "values.yaml",
            "x: null\nl: [1, null]\nm:\n  z: null\n  w: 1\nsub:\n  key: null\n  other: null\n  m:\n    a: null\nglobal:\n  g: null\n",
        ),
        ("templates/cm.yaml", &json_cm("parent")),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        (
            "charts/sub/values.yaml",
            "key: 1\nother: 2\nm:\n  a: 3\n  b: 4\nown: null\n",
        ),
        ("charts/sub/templates/cm.yaml", &json_cm("sub")),
    ])
}

// Expected texts are what real Helm 4.3 rendered for the same chart and values.
#[test]
fn null_defaults_are_left_out_and_do_not_shadow_subchart_defaults() {
    let chart = null_values_chart();
    assert_renders(
        &chart,
        &[],
        r#"values: "{\"global\":{},\"l\":[1,null],\"m\":{\"w\":1},\"sub\":{\"global\":{},\"key\":1,\"m\":{\"a\":3,\"b\":4},\"other\":2}}""#,
    );
    assert_renders(
        &chart,
        &[],
        r#"values: "{\"global\":{},\"key\":1,\"m\":{\"a\":3,\"b\":4},\"other\":2}""#,
    );
}

#[test]
fn user_nulls_delete_defaults_and_survive_where_there_is_none() {
    let chart = null_values_chart();
    let dir = tempfile::tempdir().expect("tempdir");
    let user = dir.path().join("user.json");
    std::fs::write(
        &user,
        r#"{"u": null, "m": {"q": null, "w": null}, "sub": {"other": 5, "m": {"b": null}}}"#,
    )
    .expect("write");
    let user = user.to_str().expect("utf-8 path");
    assert_renders(
        &chart,
        &["-f", user],
        r#"values: "{\"global\":{},\"l\":[1,null],\"m\":{\"q\":null},\"sub\":{\"global\":{\"g\":null},\"m\":{},\"other\":5},\"u\":null}""#,
    );
    assert_renders(
        &chart,
        &["-f", user],
        r#"values: "{\"global\":{\"g\":null},\"m\":{},\"other\":5}""#,
    );
}

#[test]
fn a_repeated_top_level_key_renders_as_helm_renders_it() {
    // Helm 4.3 keeps the text and reads the head with the last value of a repeated key.
    let manifest = "apiVersion: v1\nkind: Secret\nkind: ConfigMap\nmetadata:\n  name: first\n  name: second\ndata:\n  x: \"1\"\n";
    let chart = write_chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: dup\nversion: 0.1.0\n"),
        ("templates/cm.yaml", manifest),
    ]);
    let path = chart.path().to_str().expect("utf-8 path");
    let out = rhelm_offline(&["template", "r", path]).ok();
    assert_eq!(
        out.stdout,
        format!("---\n# Source: dup/templates/cm.yaml\n{manifest}")
    );
}
