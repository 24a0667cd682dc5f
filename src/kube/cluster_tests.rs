//! Tests against a real API server: `scripts/test-cluster.sh start DIR`, then
//! `RHELM_TEST_KUBECONFIG=DIR/kubeconfig cargo test --lib kube:: -- --ignored`.
//! Each test works in its own namespace.

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service};
use serde_json::json;

use super::*;
use crate::test_support::{shared_dir, test_kubeconfig};

/// A connected client and a fresh namespace for one test.
async fn setup(test: &str) -> (Client, Discovery, String) {
    let client = connect(Some(&test_kubeconfig()), None).await.unwrap();
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let namespace = format!("kube-{test}-{suffix}");
    let api: ::kube::Api<Namespace> = ::kube::Api::all(client.kube().clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap();
    api.create(&Default::default(), &ns).await.unwrap();
    let discovery = Discovery::run(&client).await.unwrap();
    (client, discovery, namespace)
}

async fn kubectl(args: &[&str], stdin: &str) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(test_kubeconfig())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}

fn config_map(name: &str, data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n{data}")
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: REPLICAS
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      nodeSelector: null
      containers:
      - name: web
        image: nginx:1.25
        resources: null
";

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn capabilities_equal_the_list_helm_built_from_the_same_server() {
    let client = connect(Some(&test_kubeconfig()), None).await.unwrap();
    let discovery = Discovery::run(&client).await.unwrap();
    let text = std::fs::read_to_string(shared_dir().join("conformance/capabilities.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut want: Vec<String> = serde_json::from_value(expected["apiVersions"].clone()).unwrap();
    want.sort();
    // Helm's list came from a fresh server; leave out the groups of CRDs that tests (this
    // run's or earlier ones') installed, and any `*.rhelm.test` group being added right now.
    let crds = lookup(
        &client,
        &discovery,
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "",
        "",
    )
    .await
    .unwrap();
    let crd_groups: Vec<&str> = crds["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|crd| crd["spec"]["group"].as_str())
        .collect();
    let got: Vec<String> = discovery
        .api_versions()
        .iter()
        .filter(|v| {
            let group = v.split('/').next().unwrap_or_default();
            !group.ends_with(".rhelm.test") && !crd_groups.contains(&group)
        })
        .cloned()
        .collect();
    let missing: Vec<&String> = want.iter().filter(|v| !got.contains(v)).collect();
    let extra: Vec<&String> = got.iter().filter(|v| !want.contains(v)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(client.server_version().git_version, expected["kubeVersion"]);
    assert_eq!(client.server_version().major, "1");
    assert_eq!(client.server_version().minor, "20");
    assert!(discovery.failed_groups().is_empty());
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn server_side_apply_creates_updates_and_delete_removes() {
    let (client, discovery, ns) = setup("ssa").await;
    let docs = [
        config_map("settings", "  mode: one\n  stale: x\n"),
        DEPLOYMENT.replace("REPLICAS", "1"),
    ];
    let mut first = build_resources(&docs, &discovery, &ns).unwrap();
    add_ownership_metadata(&mut first, "rel", &ns);
    let report = apply(&client, &first, &[], &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 2);
    assert!(report.notes.is_empty());

    let cm: ::kube::Api<ConfigMap> = ::kube::Api::namespaced(client.kube().clone(), &ns);
    let live = cm.get("settings").await.unwrap();
    assert_eq!(live.data.as_ref().unwrap()["mode"], "one");
    assert_eq!(
        live.metadata.labels.as_ref().unwrap()[MANAGED_BY_LABEL],
        "Helm"
    );
    let managers: Vec<String> = live
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert_eq!(managers, [FIELD_MANAGER]);

    // Upgrade: change one key, drop another, scale the deployment.
    let docs = [
        config_map("settings", "  mode: two\n"),
        DEPLOYMENT.replace("REPLICAS", "3"),
    ];
    let mut second = build_resources(&docs, &discovery, &ns).unwrap();
    add_ownership_metadata(&mut second, "rel", &ns);
    apply(&client, &second, &first, &ApplyOptions::default())
        .await
        .unwrap();
    let data = cm.get("settings").await.unwrap().data.unwrap();
    assert_eq!(data.get("mode").map(String::as_str), Some("two"));
    assert!(
        !data.contains_key("stale"),
        "server-side apply drops fields the manager no longer sets"
    );
    let live = get(&client, &second[1]).await.unwrap().unwrap();
    assert_eq!(live["spec"]["replicas"], 3);

    let report = delete(&client, &second, &DeleteOptions::default()).await;
    assert_eq!(report.deleted.len(), 2);
    assert!(report.failed.is_empty());
    assert_eq!(
        report.deleted[0].kind, "Deployment",
        "deleted in reverse order"
    );
    assert!(get(&client, &second[0]).await.unwrap().is_none());
    // A second delete finds nothing, which is fine.
    let again = delete(&client, &second, &DeleteOptions::default()).await;
    assert_eq!(again.missing.len(), 2);
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn delete_keeps_objects_with_the_keep_policy() {
    let (client, discovery, ns) = setup("keep").await;
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations:\n    helm.sh/resource-policy: keep\n";
    let resources = build_resources([doc], &discovery, &ns).unwrap();
    apply(&client, &resources, &[], &ApplyOptions::default())
        .await
        .unwrap();
    let report = delete(&client, &resources, &DeleteOptions::default()).await;
    assert_eq!(report.kept.len(), 1);
    assert!(get(&client, &resources[0]).await.unwrap().is_some());
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn a_service_without_protocol_falls_back_to_client_side_and_one_with_protocol_does_not() {
    let (client, discovery, ns) = setup("svc").await;
    let svc = |name: &str, protocol: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: web}}\n  ports:\n  - port: 80\n    targetPort: 8080\n{protocol}"
        )
    };
    let docs = [svc("plain", ""), svc("tcp", "    protocol: TCP\n")];
    let resources = build_resources(&docs, &discovery, &ns).unwrap();
    let report = apply(&client, &resources, &[], &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(report.applied[0].method, ApplyMethod::ClientSide);
    assert_eq!(report.applied[0].outcome, ApplyOutcome::Created);
    assert_eq!(report.applied[1].method, ApplyMethod::ServerSide);
    assert_eq!(report.notes.len(), 1);
    assert!(
        report.notes[0].contains("Service \"plain\""),
        "{}",
        report.notes[0]
    );

    // Upgrading the protocol-less Service again works too (patch this time).
    let docs = [svc("plain", "").replace("8080", "9090")];
    let updated = build_resources(&docs, &discovery, &ns).unwrap();
    let report = apply(&client, &updated, &resources, &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(report.applied[0].outcome, ApplyOutcome::Configured);
    let api: ::kube::Api<Service> = ::kube::Api::namespaced(client.kube().clone(), &ns);
    let live = api.get("plain").await.unwrap();
    let port = &live.spec.unwrap().ports.unwrap()[0];
    assert_eq!(
        port.target_port,
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(9090))
    );
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn a_crd_becomes_ready_and_its_custom_resources_apply_after_rediscovery() {
    let (client, discovery, ns) = setup("crd").await;
    let group = format!("{}.rhelm.test", &ns);
    let crd = format!(
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.{group}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {{type: integer}}
"
    );
    let widget =
        format!("apiVersion: {group}/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n");

    let err = build_resources([&widget], &discovery, &ns).unwrap_err();
    assert!(
        err.to_string().contains("ensure CRDs are installed first"),
        "{err}"
    );

    let crds = build_resources([&crd], &discovery, &ns).unwrap();
    apply(&client, &crds, &[], &ApplyOptions::default())
        .await
        .unwrap();
    wait_ready(&client, &crds, Duration::from_secs(30), None)
        .await
        .unwrap();

    let api_version = format!("{group}/v1");
    let discovery = Discovery::wait_for(
        &client,
        &[(&api_version, "Widget")],
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert!(
        discovery
            .api_versions()
            .contains(&format!("{group}/v1/Widget"))
    );
    let widgets = build_resources([&widget], &discovery, &ns).unwrap();
    apply(&client, &widgets, &[], &ApplyOptions::default())
        .await
        .unwrap();
    let found = lookup(
        &client,
        &discovery,
        &format!("{group}/v1"),
        "Widget",
        &ns,
        "w",
    )
    .await
    .unwrap();
    assert_eq!(found["spec"]["size"], 3);
    delete(&client, &crds, &DeleteOptions::default()).await;
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn a_field_owned_by_another_manager_conflicts_until_forced() {
    let (client, discovery, ns) = setup("conflict").await;
    let theirs = format!(
        "{}  namespace: {ns}\n",
        config_map("shared", "  key: theirs\n").replace("data:\n  key: theirs\n", "")
    ) + "data:\n  key: theirs\n";
    let out = kubectl(
        &[
            "apply",
            "--server-side",
            "--field-manager",
            "other",
            "-f",
            "-",
        ],
        &theirs,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let ours = build_resources([config_map("shared", "  key: ours\n")], &discovery, &ns).unwrap();
    let err = apply(&client, &ours, &[], &ApplyOptions::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Conflict { .. }), "{text}");
    assert!(
        text.contains("\"other\"") && text.contains(".data.key"),
        "{text}"
    );
    assert!(
        text.starts_with(&format!("conflict occurred while applying object {ns}/shared /v1, Kind=ConfigMap: Apply failed with 1 conflict: conflict with \"other\"")),
        "{text}"
    );
    assert!(err.hint().unwrap().contains("--force-conflicts"));

    let forced = ApplyOptions {
        force_conflicts: true,
        ..ApplyOptions::default()
    };
    apply(&client, &ours, &[], &forced).await.unwrap();
    let live = get(&client, &ours[0]).await.unwrap().unwrap();
    assert_eq!(live["data"]["key"], "ours");
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn ownership_check_refuses_foreign_objects_unless_taking_ownership() {
    let (client, discovery, ns) = setup("owner").await;
    let out = kubectl(&["-n", &ns, "create", "configmap", "foreign"], "").await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut ours = build_resources(
        [
            config_map("foreign", "  a: b\n"),
            config_map("fresh", "  a: b\n"),
        ],
        &discovery,
        &ns,
    )
    .unwrap();
    add_ownership_metadata(&mut ours, "rel", &ns);
    let err = check_ownership(
        &client,
        &ours,
        "rel",
        &ns,
        Adoption::Install,
        OwnershipPolicy::Check,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "unable to continue with install: ConfigMap \"foreign\" in namespace \"{ns}\" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key \"app.kubernetes.io/managed-by\": must be set to \"Helm\"; annotation validation error: missing key \"meta.helm.sh/release-name\": must be set to \"rel\"; annotation validation error: missing key \"meta.helm.sh/release-namespace\": must be set to \"{ns}\""
        )
    );

    let existing = check_ownership(
        &client,
        &ours,
        "rel",
        &ns,
        Adoption::Install,
        OwnershipPolicy::Take,
    )
    .await
    .unwrap();
    assert_eq!(existing, [ours[0].key()]);
    apply(&client, &ours, &[], &ApplyOptions::default())
        .await
        .unwrap();
    let existing = check_ownership(
        &client,
        &ours,
        "rel",
        &ns,
        Adoption::Update,
        OwnershipPolicy::Check,
    )
    .await
    .unwrap();
    assert_eq!(existing.len(), 2);
    let err = check_ownership(
        &client,
        &ours,
        "other",
        &ns,
        Adoption::Update,
        OwnershipPolicy::Check,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unable to continue with update: "),
        "{err}"
    );
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn client_side_apply_creates_then_patches_removed_fields_away() {
    let (client, discovery, ns) = setup("csa").await;
    let csa = ApplyOptions {
        method: ApplyMethod::ClientSide,
        ..ApplyOptions::default()
    };
    let first = build_resources(
        [config_map("c", "  a: \"1\"\n  b: \"2\"\n")],
        &discovery,
        &ns,
    )
    .unwrap();
    let report = apply(&client, &first, &[], &csa).await.unwrap();
    assert_eq!(report.applied[0].outcome, ApplyOutcome::Created);
    let report = apply(&client, &first, &first, &csa).await.unwrap();
    assert_eq!(report.applied[0].outcome, ApplyOutcome::Unchanged);

    let second = build_resources([config_map("c", "  a: \"3\"\n")], &discovery, &ns).unwrap();
    let report = apply(&client, &second, &first, &csa).await.unwrap();
    assert_eq!(report.applied[0].outcome, ApplyOutcome::Configured);
    let live = get(&client, &second[0]).await.unwrap().unwrap();
    assert_eq!(live["data"], json!({"a": "3"}));
    let managers: Vec<&str> = live["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(managers, [FIELD_MANAGER]);
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn dry_run_applies_nothing() {
    let (client, discovery, ns) = setup("dry").await;
    let resources = build_resources([config_map("c", "  a: b\n")], &discovery, &ns).unwrap();
    for method in [ApplyMethod::ServerSide, ApplyMethod::ClientSide] {
        let options = ApplyOptions {
            method,
            dry_run: true,
            ..ApplyOptions::default()
        };
        apply(&client, &resources, &[], &options).await.unwrap();
        assert!(get(&client, &resources[0]).await.unwrap().is_none());
    }
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn lookup_gets_lists_and_returns_empty_for_missing() {
    let (client, discovery, ns) = setup("lookup").await;
    let resources = build_resources(
        [config_map("one", "  a: b\n"), config_map("two", "  c: d\n")],
        &discovery,
        &ns,
    )
    .unwrap();
    apply(&client, &resources, &[], &ApplyOptions::default())
        .await
        .unwrap();

    let one = lookup(&client, &discovery, "v1", "ConfigMap", &ns, "one")
        .await
        .unwrap();
    assert_eq!(one["data"]["a"], "b");
    assert_eq!(one["kind"], "ConfigMap");
    let list = lookup(&client, &discovery, "v1", "ConfigMap", &ns, "")
        .await
        .unwrap();
    assert_eq!(list["kind"], "ConfigMapList");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "ConfigMap");
    let missing = lookup(&client, &discovery, "v1", "ConfigMap", &ns, "nope")
        .await
        .unwrap();
    assert!(missing.is_empty());
    let namespace = lookup(&client, &discovery, "v1", "Namespace", "", &ns)
        .await
        .unwrap();
    assert_eq!(namespace["metadata"]["name"], ns.as_str());
    assert!(
        lookup(&client, &discovery, "nope.example/v1", "X", &ns, "x")
            .await
            .is_err()
    );
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn a_forbidden_request_keeps_the_servers_message() {
    let (_admin, discovery, ns) = setup("rbac").await;
    // The same credentials, impersonating a user without any role.
    let text = std::fs::read_to_string(test_kubeconfig()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let impersonating = text.replace("    token:", "    as: nobody\n    token:");
    std::fs::write(&path, impersonating).unwrap();
    let client = connect(Some(&path), None).await.unwrap();
    let resources = build_resources([config_map("c", "  a: b\n")], &discovery, &ns).unwrap();
    let err = apply(&client, &resources, &[], &ApplyOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("\"nobody\"") && text.contains("configmaps"),
        "{text}"
    );
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn waiting_ends_when_a_deployment_status_says_ready_and_times_out_otherwise() {
    let (client, discovery, ns) = setup("wait").await;
    let resources =
        build_resources([DEPLOYMENT.replace("REPLICAS", "1")], &discovery, &ns).unwrap();
    apply(&client, &resources, &[], &ApplyOptions::default())
        .await
        .unwrap();

    let err = wait_ready(&client, &resources, Duration::from_secs(1), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "resource Deployment/{ns}/web not ready. status: InProgress, message: observed generation 0 is older than generation 1\ncontext deadline exceeded"
        )
    );

    // Play the controller: write the status subresource.
    let api = resources[0].api(client.kube());
    let waiter = {
        let client = client.clone();
        let resources = resources.clone();
        tokio::spawn(
            async move { wait_ready(&client, &resources, Duration::from_secs(30), None).await },
        )
    };
    let status = json!({"status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}});
    api.patch_status(
        "web",
        &Default::default(),
        &::kube::api::Patch::Merge(&status),
    )
    .await
    .unwrap();
    waiter.await.unwrap().unwrap();
}

/// CRDs a case's chart ships in `crds/` directories (Helm installs them before rendering).
fn chart_crds(case: &std::path::Path) -> Vec<String> {
    let mut docs = Vec::new();
    let mut dirs = vec![case.join("chart")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                if path.file_name() != Some("templates".as_ref()) {
                    dirs.push(path);
                }
            } else if path.parent().and_then(|p| p.file_name()) == Some("crds".as_ref())
                && path.extension() == Some("yaml".as_ref())
                && path.file_name() != Some("Chart.yaml".as_ref())
            {
                let text = std::fs::read_to_string(&path).unwrap();
                if text.contains("kind: CustomResourceDefinition") {
                    docs.push(text);
                }
            }
        }
    }
    docs
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn every_conformance_manifest_builds_and_server_side_dry_runs() {
    let client = connect(Some(&test_kubeconfig()), None).await.unwrap();
    let root = shared_dir().join("conformance");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("expected/manifest.yaml").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "conformance cases under {}",
        root.display()
    );
    let namespaces: ::kube::Api<Namespace> = ::kube::Api::all(client.kube().clone());
    let mut failures = Vec::new();
    for case in &cases {
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("meta.json")).unwrap())
                .unwrap();
        let ns = meta["namespace"].as_str().unwrap().to_owned();
        let ns_obj: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap();
        if let Err(err) = namespaces.create(&Default::default(), &ns_obj).await {
            assert_eq!(error::status_code(&err), Some(409), "{err}");
        }

        let mut discovery = Discovery::run(&client).await.unwrap();
        let crd_docs = chart_crds(case);
        if !crd_docs.is_empty() {
            let crds = build_resources(&crd_docs, &discovery, &ns).unwrap();
            apply(&client, &crds, &[], &ApplyOptions::default())
                .await
                .unwrap();
            wait_ready(&client, &crds, Duration::from_secs(60), None)
                .await
                .unwrap();
            let wanted: Vec<(String, String)> = meta["crd_api_versions"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|v| v.as_str())
                .filter_map(|v| v.rsplit_once('/'))
                .filter(|(gv, kind)| gv.contains('/') && *kind != "Scale")
                .map(|(gv, kind)| (gv.to_owned(), kind.to_owned()))
                .collect();
            let wanted: Vec<(&str, &str)> = wanted
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            discovery = Discovery::wait_for(&client, &wanted, Duration::from_secs(30))
                .await
                .unwrap();
            for v in meta["crd_api_versions"].as_array().unwrap() {
                let v = v.as_str().unwrap().to_owned();
                assert!(
                    discovery.api_versions().contains(&v),
                    "{v} after installing CRDs"
                );
            }
        }

        let manifest = std::fs::read_to_string(case.join("expected/manifest.yaml")).unwrap();
        let mut resources = match build_resources([&manifest], &discovery, &ns) {
            Ok(r) => r,
            Err(err) => {
                failures.push(format!("{}: build: {err}", case.display()));
                continue;
            }
        };
        assert_eq!(
            resources.len() as u64,
            meta["documents"].as_u64().unwrap(),
            "{}",
            case.display()
        );
        add_ownership_metadata(&mut resources, "conf", &ns);
        let dry_run = ApplyOptions {
            dry_run: true,
            ..ApplyOptions::default()
        };
        match apply(&client, &resources, &[], &dry_run).await {
            Ok(report) => assert_eq!(report.applied.len(), resources.len()),
            Err(err) => failures.push(format!("{}: apply: {err}", case.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn waiting_for_deletion_ends_when_objects_are_gone() {
    let (client, discovery, ns) = setup("gone").await;
    let resources = build_resources([config_map("c", "  a: b\n")], &discovery, &ns).unwrap();
    apply(&client, &resources, &[], &ApplyOptions::default())
        .await
        .unwrap();
    let err = wait_deleted(&client, &resources, Duration::from_millis(300), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ConfigMap/"), "{err}");
    delete(&client, &resources, &DeleteOptions::default()).await;
    wait_deleted(&client, &resources, Duration::from_secs(30), None)
        .await
        .unwrap();
}

/// The action layer may spawn these futures onto the runtime: they must be `Send`.
#[allow(dead_code)]
fn public_futures_are_send(client: &Client, discovery: &Discovery, resources: &[Resource]) {
    fn send<T: Send>(_: T) {}
    send(connect(None, None));
    send(Discovery::run(client));
    send(check_ownership(
        client,
        resources,
        "r",
        "n",
        Adoption::Install,
        OwnershipPolicy::Check,
    ));
    send(apply(
        client,
        resources,
        resources,
        &ApplyOptions::default(),
    ));
    send(delete(client, resources, &DeleteOptions::default()));
    send(lookup(client, discovery, "v1", "Pod", "n", "p"));
    send(get(client, &resources[0]));
    send(wait_ready(client, resources, Duration::from_secs(1), None));
    send(wait_deleted(
        client,
        resources,
        Duration::from_secs(1),
        None,
    ));
    send(wait_completed(
        client,
        resources,
        Duration::from_secs(1),
        None,
    ));
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn a_hook_job_is_waited_for_until_it_completes_or_fails() {
    let (client, discovery, ns) = setup("hook").await;
    let job = |name: &str| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n"
        )
    };
    let resources = build_resources([job("ok"), job("bad")], &discovery, &ns).unwrap();
    apply(&client, &resources, &[], &ApplyOptions::default())
        .await
        .unwrap();
    let ok = &resources[0..1];
    let bad = &resources[1..2];

    let err = wait_completed(&client, ok, Duration::from_millis(500), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("0 of 1 completions"), "{err}");

    // Play the job controller.
    let succeeded =
        json!({"status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}});
    ok[0]
        .api(client.kube())
        .patch_status(
            "ok",
            &Default::default(),
            &::kube::api::Patch::Merge(&succeeded),
        )
        .await
        .unwrap();
    wait_completed(&client, ok, Duration::from_secs(30), None)
        .await
        .unwrap();

    let failed = json!({"status": {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}});
    bad[0]
        .api(client.kube())
        .patch_status(
            "bad",
            &Default::default(),
            &::kube::api::Patch::Merge(&failed),
        )
        .await
        .unwrap();
    let err = wait_completed(&client, bad, Duration::from_secs(30), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Failed { .. }), "{err}");
    assert!(err.to_string().contains("BackoffLimitExceeded"), "{err}");
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn server_side_apply_takes_over_fields_rhelm_wrote_client_side() {
    let (client, discovery, ns) = setup("switch").await;
    let csa = ApplyOptions {
        method: ApplyMethod::ClientSide,
        ..ApplyOptions::default()
    };
    let first = build_resources([config_map("c", "  a: \"1\"\n")], &discovery, &ns).unwrap();
    apply(&client, &first, &[], &csa).await.unwrap();
    let second = build_resources([config_map("c", "  a: \"2\"\n")], &discovery, &ns).unwrap();
    let report = apply(&client, &second, &first, &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    let live = get(&client, &second[0]).await.unwrap().unwrap();
    assert_eq!(live["data"]["a"], "2");
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn connecting_with_server_token_and_ca_flags_needs_no_kubeconfig_context() {
    let text = std::fs::read_to_string(test_kubeconfig()).unwrap();
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .unwrap()
    };
    let options = ConnectOptions {
        // The kubeconfig given only to keep `~/.kube/config` out; its server is overridden.
        kubeconfig: Some(test_kubeconfig()),
        api_server: Some(field("server:")),
        token: Some(field("token:")),
        ca_file: Some(PathBuf::from(field("certificate-authority:"))),
        as_user: Some("nobody".into()),
        ..ConnectOptions::default()
    };
    let client = connect_with(&options).await.unwrap();
    assert_eq!(client.server_version().major, "1");
    // Impersonating a user without roles: reads are forbidden, with the server's message.
    let discovery = Discovery::run(&client).await.unwrap();
    let err = lookup(&client, &discovery, "v1", "ConfigMap", "default", "x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
}

/// Leaves out what legitimately differs between kubectl's and our parse: the namespace (we
/// default it), and `annotations: null`/`labels: null` (typed metadata drops them, as the
/// server does).
fn normalized(mut object: serde_json::Value) -> serde_json::Value {
    if let Some(meta) = object.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.remove("namespace");
        meta.remove("creationTimestamp");
        for key in ["annotations", "labels"] {
            if meta.get(key).is_some_and(serde_json::Value::is_null) {
                meta.remove(key);
            }
        }
    }
    object
}

#[tokio::test]
#[ignore = "needs cluster (scripts/test-cluster.sh)"]
async fn manifests_parse_exactly_as_kubectls_go_yaml_does() {
    let client = connect(Some(&test_kubeconfig()), None).await.unwrap();
    let discovery = Discovery::run(&client).await.unwrap();
    let root = shared_dir().join("conformance");
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("expected/manifest.yaml").is_file())
        .collect();
    cases.sort();
    let mut compared = 0;
    for case in &cases {
        let manifest = std::fs::read_to_string(case.join("expected/manifest.yaml")).unwrap();
        // Kinds of CRDs installed by other tests may be missing here; those cases are skipped.
        let Ok(ours) = build_resources([&manifest], &discovery, "cmp") else {
            continue;
        };
        // kubectl wants one namespace per call: point every object at the same one.
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("meta.json")).unwrap())
                .unwrap();
        let ns = meta["namespace"].as_str().unwrap();
        let input = dir.path().join("in.yaml");
        std::fs::write(
            &input,
            manifest.replace("namespace: kube-system", &format!("namespace: {ns}")),
        )
        .unwrap();
        let out = kubectl(
            &[
                "create",
                "--validate=false",
                "--dry-run=client",
                "-o",
                "json",
                "-n",
                ns,
                "-f",
                input.to_str().unwrap(),
            ],
            "",
        )
        .await;
        assert!(
            out.status.success(),
            "{}: {}",
            case.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&out.stdout)
            .into_iter::<serde_json::Value>()
            .map(Result::unwrap)
            .flat_map(|v| match v["items"].as_array() {
                Some(items) if v["kind"] == "List" => items.clone(),
                _ => vec![v],
            })
            .collect();
        assert_eq!(theirs.len(), ours.len(), "{}", case.display());
        for (theirs, ours) in theirs.into_iter().zip(&ours) {
            assert_eq!(
                normalized(theirs),
                normalized(ours.to_json()),
                "{}: {}",
                case.display(),
                ours.describe()
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "compared {compared} objects");
}
