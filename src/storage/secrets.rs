//! The Secrets driver (Helm's default): one Secret of type `helm.sh/release.v1` per
//! revision, named `sh.helm.release.v1.<name>.v<revision>`, record under `data.release`.
//!
//! Helm counterpart: `pkg/storage/driver/secrets.go`. The API calls themselves are shared
//! with the ConfigMaps driver in `driver.rs`; this file only says how a Secret holds a record.
use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::driver::{KubeDriver, RecordObject};
use super::keys::{DATA_KEY, SECRET_TYPE};

/// Stores release records in Secrets.
pub type SecretsDriver = KubeDriver<Secret>;

impl RecordObject for Secret {
    const DRIVER_NAME: &'static str = "Secret";

    fn build(metadata: ObjectMeta, data: String) -> Self {
        Secret {
            metadata,
            type_: Some(SECRET_TYPE.to_string()),
            data: Some(BTreeMap::from([(
                DATA_KEY.to_string(),
                ByteString(data.into_bytes()),
            )])),
            ..Secret::default()
        }
    }

    fn record_data(&self) -> Option<String> {
        let bytes = self.data.as_ref()?.get(DATA_KEY)?;
        String::from_utf8(bytes.0.clone()).ok()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::test_support::{shared_dir, test_kubeconfig};
    use std::sync::Arc;

    use super::*;
    use crate::release::{Release, Status};
    use crate::storage::keys::Labels;
    use crate::storage::{Error, Storage, decode_release};

    #[test]
    fn secret_holds_the_record_under_release_with_helms_type() {
        let secret = Secret::build(ObjectMeta::default(), "H4sI".to_string());
        assert_eq!(secret.type_.as_deref(), Some("helm.sh/release.v1"));
        assert_eq!(secret.record_data().as_deref(), Some("H4sI"));
        // On the wire Kubernetes base64s the data once more.
        let json = serde_json::to_value(&secret).unwrap();
        assert_eq!(json["data"]["release"], "SDRzSQ==");
    }

    #[test]
    fn secret_without_release_data_has_no_record() {
        assert_eq!(Secret::default().record_data(), None);
    }

    // Cluster tests: `scripts/test-cluster.sh start DIR`, then
    // `RHELM_TEST_KUBECONFIG=DIR/kubeconfig cargo test --lib storage:: -- --ignored`.

    pub(crate) async fn client() -> ::kube::Client {
        let kubeconfig = ::kube::config::Kubeconfig::read_from(test_kubeconfig()).unwrap();
        let config = ::kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .unwrap();
        ::kube::Client::try_from(config).unwrap()
    }

    pub(crate) async fn kubectl(args: &[&str], stdin: &str) -> String {
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
        let output = child.wait_with_output().await.unwrap();
        assert!(
            output.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// A fresh namespace for one test.
    pub(crate) async fn namespace(test: &str) -> String {
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
        let namespace = format!("storage-{test}-{suffix}");
        kubectl(&["create", "namespace", &namespace], "").await;
        namespace
    }

    /// Loads the Secrets real Helm 4.3 wrote into `namespace` with kubectl.
    async fn load_helm_fixtures(namespace: &str) {
        for revision in 1..=3 {
            let path = shared_dir().join(format!("helm-releases/guestbook-demo.v{revision}.yaml"));
            let text = std::fs::read_to_string(path).unwrap();
            let text = text.replace("namespace: helm-demo", &format!("namespace: {namespace}"));
            kubectl(&["apply", "-f", "-"], &text).await;
        }
    }

    fn sample(name: &str, namespace: &str, revision: u32, status: Status) -> Release {
        let mut release = Release {
            name: name.into(),
            namespace: namespace.into(),
            revision,
            manifest: "---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\n".into(),
            ..Release::default()
        };
        release.set_status(status, "test");
        release
    }

    #[tokio::test]
    #[ignore = "needs cluster (scripts/test-cluster.sh)"]
    async fn records_written_by_helm_read_back_through_the_secrets_driver() {
        let ns = namespace("helm").await;
        load_helm_fixtures(&ns).await;
        let storage = Storage::new(Arc::new(SecretsDriver::new(client().await, Some(&ns))));

        let history = storage.history("guestbook-demo").await.unwrap();
        let got: Vec<(u32, Status)> = history
            .iter()
            .map(|r| (r.revision, r.info.status))
            .collect();
        assert_eq!(
            got,
            [
                (1, Status::Superseded),
                (2, Status::Deployed),
                (3, Status::PendingRollback)
            ]
        );
        let last = storage.last("guestbook-demo").await.unwrap();
        assert_eq!((last.revision, last.info.rollback_revision), (3, Some(1)));
        let deployed = storage.deployed("guestbook-demo").await.unwrap();
        assert_eq!(deployed.revision, 2);
        assert_eq!(deployed.config["service"]["type"], "NodePort");
        assert!(
            deployed
                .manifest
                .starts_with("---\n# Source: guestbook/templates/")
        );
        let first = storage.get("guestbook-demo", 1).await.unwrap();
        assert_eq!(first.info.description, "Install complete");
        let listed = storage.list_releases(|_| true).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].revision, 3);
        let pending = storage
            .list_releases(|info| info.status.is_pending())
            .await
            .unwrap();
        assert_eq!(pending[0].info.status, Status::PendingRollback);
        // No user labels on Helm's records.
        assert_eq!(first.labels, Labels::new());
    }

    #[tokio::test]
    #[ignore = "needs cluster (scripts/test-cluster.sh)"]
    async fn secrets_written_by_rhelm_have_helms_name_type_labels_and_encoding() {
        let ns = namespace("write").await;
        let storage = Storage::new(Arc::new(SecretsDriver::new(client().await, Some(&ns))));
        let mut release = sample("web", &ns, 1, Status::PendingInstall);
        release.labels.insert("team".into(), "blue".into());
        storage.create(&release).await.unwrap();
        assert!(matches!(
            storage.create(&release).await,
            Err(Error::Exists { .. })
        ));

        let json = kubectl(
            &[
                "-n",
                &ns,
                "get",
                "secret",
                "sh.helm.release.v1.web.v1",
                "-o",
                "json",
            ],
            "",
        )
        .await;
        let secret: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(secret["type"], "helm.sh/release.v1");
        let labels = &secret["metadata"]["labels"];
        assert_eq!(labels["name"], "web");
        assert_eq!(labels["owner"], "helm");
        assert_eq!(labels["status"], "pending-install");
        assert_eq!(labels["version"], "1");
        assert_eq!(labels["team"], "blue");
        assert!(labels["createdAt"].as_str().unwrap().parse::<i64>().is_ok());
        use base64::Engine as _;
        let outer = secret["data"]["release"].as_str().unwrap();
        let inner = base64::engine::general_purpose::STANDARD
            .decode(outer)
            .unwrap();
        let decoded = decode_release(std::str::from_utf8(&inner).unwrap()).unwrap();
        assert_eq!(decoded.manifest, release.manifest);

        release.set_status(Status::Deployed, "Install complete");
        storage.update(&release).await.unwrap();
        let json = kubectl(
            &[
                "-n",
                &ns,
                "get",
                "secret",
                "sh.helm.release.v1.web.v1",
                "-o",
                "json",
            ],
            "",
        )
        .await;
        let secret: serde_json::Value = serde_json::from_str(&json).unwrap();
        let labels = &secret["metadata"]["labels"];
        assert_eq!(labels["status"], "deployed");
        assert!(labels.get("createdAt").is_none());
        assert!(
            labels["modifiedAt"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .is_ok()
        );
        let back = storage.get("web", 1).await.unwrap();
        assert_eq!(back.info.description, "Install complete");
        assert_eq!(back.labels["team"], "blue");

        assert!(matches!(
            storage.update(&sample("web", &ns, 9, Status::Failed)).await,
            Err(Error::NotFound { .. })
        ));
        assert_eq!(storage.delete("web", 1).await.unwrap().revision, 1);
        assert!(matches!(
            storage.get("web", 1).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            storage.delete("web", 1).await,
            Err(Error::NotFound { .. })
        ));
    }

    #[tokio::test]
    #[ignore = "needs cluster (scripts/test-cluster.sh)"]
    async fn history_limit_prunes_secrets_but_keeps_the_deployed_one() {
        let ns = namespace("prune").await;
        let storage = Storage::new(Arc::new(SecretsDriver::new(client().await, Some(&ns))))
            .with_max_history(2);
        let statuses = [
            Status::Deployed,
            Status::Failed,
            Status::Failed,
            Status::Failed,
        ];
        for (i, status) in statuses.into_iter().enumerate() {
            let revision = u32::try_from(i + 1).unwrap();
            storage
                .create(&sample("web", &ns, revision, status))
                .await
                .unwrap();
        }
        let left: Vec<u32> = storage
            .revisions("web")
            .await
            .unwrap()
            .iter()
            .map(|i| i.revision)
            .collect();
        assert_eq!(left, [1, 4]);
    }

    #[tokio::test]
    #[ignore = "needs cluster (scripts/test-cluster.sh)"]
    async fn all_namespaces_driver_lists_but_cannot_get_by_key() {
        let a = namespace("all-a").await;
        let b = namespace("all-b").await;
        let client = client().await;
        for ns in [&a, &b] {
            let storage = Storage::new(Arc::new(SecretsDriver::new(client.clone(), Some(ns))));
            storage
                .create(&sample("shared-name", ns, 1, Status::Deployed))
                .await
                .unwrap();
        }
        let all = Storage::new(Arc::new(SecretsDriver::new(client, None)));
        let found: Vec<String> = all
            .list_releases(|info| info.name == "shared-name")
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.namespace)
            .collect();
        assert!(found.contains(&a) && found.contains(&b), "{found:?}");
        assert!(matches!(
            all.get("shared-name", 1).await,
            Err(Error::NamespaceRequired { .. })
        ));
    }
}
