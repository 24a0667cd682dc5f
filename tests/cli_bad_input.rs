//! Bad input: each case exits 1 with Helm's `Error: …` text on stderr and leaves no release
//! record half-written (never in a `pending-*` state). Texts are Helm 4.3's (pkg/cmd, pkg/action,
//! pkg/chart): `INSTALLATION FAILED: ` / `UPGRADE FAILED: ` prefixes, `release: not found`, …

use crate::common::*;

/// Helm's release-name rule (pkg/chart/common/util: validName and its error).
const INVALID_NAME: &str = "invalid release name, must match regex \
     ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ \
     and the length must not be longer than 53";

#[track_caller]
fn assert_no_records(ns: &str, release: &str) {
    // Invalid names may not be valid label values either: look at every record in `ns`.
    let records: Vec<_> = stored_releases(ns, "")
        .into_iter()
        .filter(|r| {
            r.object_name
                .starts_with(&format!("sh.helm.release.v1.{release}."))
        })
        .collect();
    assert!(
        records.is_empty(),
        "expected no release record, found {:?}",
        records.iter().map(|r| &r.object_name).collect::<Vec<_>>()
    );
}

fn install(ns: &str, name: &str) -> StoredRelease {
    rhelm(&["install", name, &guestbook_chart(), "-n", ns]).ok();
    stored_revision(ns, name, 1)
}

#[test]
fn install_of_a_missing_chart_path_names_the_path() {
    let ns = create_ns("missing-chart");
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-chart").display().to_string();
    let out = rhelm(&["install", "gone", &missing, "-n", &ns]).fails();
    assert_eq!(
        out.error_line(),
        format!("Error: INSTALLATION FAILED: path \"{missing}\" not found"),
        "\n{out}"
    );
    assert_no_records(&ns, "gone");
}

#[test]
fn install_of_a_chart_without_a_name_fails_chart_validation() {
    let ns = create_ns("nameless-chart");
    let chart = write_chart(&[
        ("Chart.yaml", "apiVersion: v2\nversion: 0.1.0\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
        ),
    ]);
    let out = rhelm(&[
        "install",
        "nameless",
        chart.path().to_str().expect("utf-8"),
        "-n",
        &ns,
    ])
    .fails()
    .stderr_has("chart.metadata.name is required");
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    assert_no_records(&ns, "nameless");
}

#[test]
fn install_of_a_chart_yaml_that_is_not_yaml_names_chart_yaml() {
    let ns = create_ns("broken-chart-yaml");
    let chart = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: [broken\nversion: 0.1.0\n",
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
        ),
    ]);
    let out = rhelm(&[
        "install",
        "broken",
        chart.path().to_str().expect("utf-8"),
        "-n",
        &ns,
    ])
    .fails()
    .stderr_has("Chart.yaml");
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    assert_no_records(&ns, "broken");
}

#[test]
fn an_unknown_function_is_a_parse_error_naming_file_and_line() {
    let ns = create_ns("unknown-function");
    let chart = guestbook_with(&[(
        "templates/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ nope .Values }}\n",
    )]);
    let path = chart.path().to_str().expect("utf-8");
    let expected = "parse error at (guestbook/templates/bad.yaml:4): function \"nope\" not defined";
    let out = rhelm(&["install", "parse", path, "-n", &ns])
        .fails()
        .stderr_has(expected);
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    assert_no_records(&ns, "parse");
    // The same error without a cluster.
    rhelm_offline(&["template", "parse", path])
        .fails()
        .stderr_has(expected);
}

#[test]
fn an_unexpected_end_is_a_parse_error_naming_file_and_line() {
    let chart = guestbook_with(&[(
        "templates/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{{ end }}\n",
    )]);
    rhelm_offline(&["template", "parse", chart.path().to_str().expect("utf-8")])
        .fails()
        .stderr_has("parse error at (guestbook/templates/bad.yaml:5): unexpected {{end}}");
}

#[test]
fn a_rendered_document_that_is_not_yaml_names_the_template() {
    let ns = create_ns("invalid-yaml");
    let chart = guestbook_with(&[(
        "templates/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-bad\n  labels: [unclosed\n",
    )]);
    let path = chart.path().to_str().expect("utf-8");
    let expected = "YAML parse error on guestbook/templates/bad.yaml";
    let out = rhelm(&["install", "yaml", path, "-n", &ns])
        .fails()
        .stderr_has(expected);
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    assert_no_records(&ns, "yaml");
    rhelm_offline(&["template", "yaml", path])
        .fails()
        .stderr_has(expected);
}

#[test]
fn commands_on_an_unknown_release_say_release_not_found() {
    let ns = create_ns("unknown-release");
    for args in [
        vec!["status", "nope"],
        vec!["history", "nope"],
        vec!["get", "manifest", "nope"],
        vec!["get", "values", "nope"],
        vec!["get", "notes", "nope"],
        vec!["get", "all", "nope"],
        vec!["rollback", "nope"],
        vec!["rollback", "nope", "1"],
    ] {
        let mut all = args.clone();
        all.extend(["-n", &ns]);
        let out = rhelm(&all).fails();
        assert_eq!(out.error_line(), "Error: release: not found", "\n{out}");
    }
    let out = rhelm(&["uninstall", "nope", "-n", &ns]).fails();
    assert_eq!(
        out.error_line(),
        "Error: uninstall: Release not loaded: nope: release: not found",
        "\n{out}"
    );
    assert_no_records(&ns, "nope");
}

#[test]
fn rollback_to_a_revision_that_does_not_exist_changes_nothing() {
    let ns = create_ns("rollback-missing");
    install(&ns, "gb");
    let out = rhelm(&["rollback", "gb", "9", "-n", &ns]).fails();
    assert_eq!(
        out.error_line(),
        "Error: release has no 9 version",
        "\n{out}"
    );
    let records = stored_releases(&ns, "gb");
    assert_eq!(records.len(), 1, "no new revision may be written");
    assert_eq!(records[0].status(), "deployed");
    // Revision 1 has no previous revision either.
    let out = rhelm(&["rollback", "gb", "-n", &ns]).fails();
    assert_eq!(
        out.error_line(),
        "Error: release has no 0 version",
        "\n{out}"
    );
    assert_eq!(stored_releases(&ns, "gb").len(), 1);
}

#[test]
fn installing_a_name_still_in_use_is_refused_and_leaves_the_release_alone() {
    let ns = create_ns("name-in-use");
    let first = install(&ns, "gb");
    let out = rhelm(&[
        "install",
        "gb",
        &guestbook_chart(),
        "-n",
        &ns,
        "--set",
        "replicaCount=5",
    ])
    .fails()
    .stderr_has("cannot reuse a name that is still in use");
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    let records = stored_releases(&ns, "gb");
    assert_eq!(
        records.len(),
        1,
        "the failed install must not write a record"
    );
    assert_eq!(
        records[0].release, first.release,
        "the existing record must be untouched"
    );
    assert_eq!(
        field(&ns, "deployment", "gb-guestbook", "{.spec.replicas}"),
        "2"
    );
}

#[test]
fn an_invalid_release_name_is_refused_with_helms_rule() {
    let ns = create_ns("invalid-name");
    let too_long = "a".repeat(54);
    for name in [
        "Bad_Name",
        "dots..twice",
        "UPPER",
        "trailing-dash-",
        too_long.as_str(),
    ] {
        let out = rhelm(&["install", name, &guestbook_chart(), "-n", &ns])
            .fails()
            .stderr_has(INVALID_NAME);
        assert!(
            out.error_line().starts_with("Error: INSTALLATION FAILED: "),
            "\n{out}"
        );
        let records = kubectl_json(&["get", "secrets", "-n", &ns, "-l", "owner=helm"]);
        assert_eq!(
            records["items"],
            serde_json::json!([]),
            "no release record may be written"
        );
    }
    // 53 characters, dots and inner dashes are fine.
    let longest = format!("{}.b-c", "a".repeat(49));
    assert_eq!(longest.len(), 53);
    rhelm_offline(&["template", &longest, &guestbook_chart()]).ok();
}

#[test]
fn upgrade_of_an_unknown_release_has_no_deployed_releases() {
    let ns = create_ns("upgrade-unknown");
    let out = rhelm(&["upgrade", "nope", &guestbook_chart(), "-n", &ns]).fails();
    assert_eq!(
        out.error_line(),
        "Error: UPGRADE FAILED: \"nope\" has no deployed releases",
        "\n{out}"
    );
    assert_no_records(&ns, "nope");
}

#[test]
fn upgrade_of_an_uninstalled_release_has_no_deployed_releases() {
    let ns = create_ns("upgrade-uninstalled");
    install(&ns, "gb");
    rhelm(&["uninstall", "gb", "-n", &ns, "--keep-history"]).ok();
    let out = rhelm(&["upgrade", "gb", &guestbook_chart(), "-n", &ns]).fails();
    assert_eq!(
        out.error_line(),
        "Error: UPGRADE FAILED: \"gb\" has no deployed releases",
        "\n{out}"
    );
    let records = stored_releases(&ns, "gb");
    assert_eq!(records.len(), 1, "no new revision may be written");
    assert_eq!(records[0].status(), "uninstalled");
}

#[test]
fn an_unreachable_api_server_fails_without_writing_anything() {
    let ns = create_ns("unreachable");
    let dir = tempfile::tempdir().expect("tempdir");
    let (kubeconfig, address) = unreachable_kubeconfig(dir.path());
    let out = rhelm_with_kubeconfig(
        &kubeconfig,
        &["install", "gb", &guestbook_chart(), "-n", &ns],
    )
    .fails()
    .stderr_has(&address);
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    for args in [
        vec!["list", "-n", &ns],
        vec!["history", "gb", "-n", &ns],
        vec!["uninstall", "gb", "-n", &ns],
    ] {
        rhelm_with_kubeconfig(&kubeconfig, &args)
            .fails()
            .stderr_has(&address);
    }
    assert_no_records(&ns, "gb");
}

#[test]
fn an_install_the_api_server_rejects_is_recorded_failed_not_pending() {
    let ns = create_ns("install-rejected");
    // Services apply; then the server rejects the Deployment (replicas must be >= 0).
    let out = rhelm(&[
        "install",
        "gb",
        &guestbook_chart(),
        "-n",
        &ns,
        "--set",
        "replicaCount=-1",
    ])
    .fails();
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    assert_nothing_pending(&ns, "gb");
    let records = stored_releases(&ns, "gb");
    assert_eq!(records.len(), 1, "Helm records the failed install");
    assert_eq!(records[0].status(), "failed");
    assert_eq!(
        records[0].labels.get("status").map(String::as_str),
        Some("failed")
    );
    assert!(
        records[0]
            .description()
            .starts_with("Release \"gb\" failed: "),
        "description: {}",
        records[0].description()
    );
}

#[test]
fn an_upgrade_the_api_server_rejects_is_recorded_failed_and_keeps_the_deployed_revision() {
    let ns = create_ns("upgrade-rejected");
    install(&ns, "gb");
    let out = rhelm(&[
        "upgrade",
        "gb",
        &guestbook_chart(),
        "-n",
        &ns,
        "--set",
        "replicaCount=-1",
    ])
    .fails();
    assert!(
        out.error_line().starts_with("Error: UPGRADE FAILED: "),
        "\n{out}"
    );
    assert_nothing_pending(&ns, "gb");
    let records = stored_releases(&ns, "gb");
    assert_eq!(
        records
            .iter()
            .map(|r| (r.revision(), r.status()))
            .collect::<Vec<_>>(),
        [(1, "deployed"), (2, "failed")]
    );
    assert!(
        records[1]
            .description()
            .starts_with("Upgrade \"gb\" failed: "),
        "description: {}",
        records[1].description()
    );
}

#[test]
fn rbac_forbidden_says_which_verb_on_which_resource() {
    let ns = create_ns("rbac");
    let token = service_account_token(&ns, "limited");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = kubeconfig_with_token(dir.path(), &token);

    // No permission at all: listing release records is forbidden.
    let out = rhelm_with_kubeconfig(&kubeconfig, &["list", "-n", &ns]).fails();
    assert!(
        out.stderr.contains("cannot list resource \"secrets\""),
        "\n{out}"
    );

    // Storage allowed, workloads not: the failure names the verb and the resource.
    kubectl(&[
        "create",
        "role",
        "release-records",
        "-n",
        &ns,
        "--verb=get,list,watch,create,update,patch,delete",
        "--resource=secrets",
    ])
    .ok();
    let subject = format!("--serviceaccount={ns}:limited");
    kubectl(&[
        "create",
        "rolebinding",
        "release-records",
        "-n",
        &ns,
        "--role=release-records",
        &subject,
    ])
    .ok();
    let out = rhelm_with_kubeconfig(
        &kubeconfig,
        &["install", "gb", &guestbook_chart(), "-n", &ns],
    )
    .fails();
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    let forbidden = regex::Regex::new(
        r#"cannot (get|list|create|patch|update) resource "(services|deployments)""#,
    )
    .expect("regex");
    assert!(
        forbidden.is_match(&out.stderr),
        "expected the forbidden verb and resource\n{out}"
    );
    assert_nothing_pending(&ns, "gb");
}

#[test]
fn an_object_owned_by_nobody_is_refused_with_invalid_ownership_metadata() {
    let ns = create_ns("unowned");
    // redis-master exists but was not created by any release.
    kubectl(&[
        "create",
        "service",
        "clusterip",
        "redis-master",
        "--tcp=6379:6379",
        "-n",
        &ns,
    ])
    .ok();
    let out = rhelm(&["install", "gb", &guestbook_chart(), "-n", &ns])
        .fails()
        .stderr_has("invalid ownership metadata")
        .stderr_has("\"redis-master\"");
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    assert_nothing_pending(&ns, "gb");
    let labels = field(&ns, "service", "redis-master", "{.metadata.labels}");
    assert!(
        !labels.contains("Helm"),
        "the object must not be adopted: labels {labels}"
    );
}

#[test]
fn an_object_owned_by_another_release_is_refused_naming_that_release() {
    let ns = create_ns("owned-elsewhere");
    install(&ns, "first");
    // The guestbook's Redis objects have fixed names: a second release collides with the first.
    let out = rhelm(&["install", "second", &guestbook_chart(), "-n", &ns])
        .fails()
        .stderr_has("invalid ownership metadata")
        .stderr_has("current value is \"first\"");
    assert!(
        out.error_line().starts_with("Error: INSTALLATION FAILED: "),
        "\n{out}"
    );
    assert_nothing_pending(&ns, "second");
    assert_eq!(
        field(
            &ns,
            "service",
            "redis-master",
            "{.metadata.annotations.meta\\.helm\\.sh/release-name}"
        ),
        "first",
        "the first release keeps its object"
    );
}
