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

#[test]
fn set_string_gives_string_and_files_give_float64() {
    let chart = kinds_chart();
    let path = chart.path().to_str().expect("utf-8 path");
    let from_file = rhelm_offline(&["template", "k", path]).ok();
    assert!(
        from_file
            .stdout
            .contains("  kind: \"float64\"\n  value: \"12\"\n"),
        "\n{from_file}"
    );
    let from_set_string = rhelm_offline(&["template", "k", path, "--set-string", "x=12"]).ok();
    assert!(
        from_set_string
            .stdout
            .contains("  kind: \"string\"\n  value: \"12\"\n"),
        "\n{from_set_string}"
    );
}

#[test]
fn set_gives_int64() {
    let chart = kinds_chart();
    let path = chart.path().to_str().expect("utf-8 path");
    let from_set = rhelm_offline(&["template", "k", path, "--set", "x=12"]).ok();
    assert!(
        from_set
            .stdout
            .contains("  kind: \"int64\"\n  value: \"12\"\n"),
        "\n{from_set}"
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
    let path = chart.path().to_str().expect("utf-8 path");
    let from_set = rhelm_offline(&["template", "k", path, "--set", "count=3"]).ok();
    assert!(
        from_set
            .stdout
            .contains("  types: \"int64 int64 int int\"\n  same: \"true\"\n  short: \"abc\"\n"),
        "\n{from_set}"
    );
    let from_file = rhelm_offline(&["template", "k", path]).ok();
    assert!(
        from_file
            .stdout
            .contains("  types: \"float64 int64 int int\"\n"),
        "\n{from_file}"
    );
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
