//! The ConfigMaps driver (`HELM_DRIVER=configmap`): like the Secrets driver, with the
//! encoded record as the string `data.release` of a ConfigMap.
//!
//! Helm counterpart: `pkg/storage/driver/cfgmaps.go`. The API calls are shared with the
//! Secrets driver in `driver.rs`.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::driver::{KubeDriver, RecordObject};
use super::keys::DATA_KEY;

/// Stores release records in ConfigMaps.
pub type ConfigMapsDriver = KubeDriver<ConfigMap>;

impl RecordObject for ConfigMap {
    const DRIVER_NAME: &'static str = "ConfigMap";

    fn build(metadata: ObjectMeta, data: String) -> Self {
        ConfigMap {
            metadata,
            data: Some(BTreeMap::from([(DATA_KEY.to_string(), data)])),
            ..ConfigMap::default()
        }
    }

    fn record_data(&self) -> Option<String> {
        self.data.as_ref()?.get(DATA_KEY).cloned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::release::{Release, Status};
    use crate::storage::Storage;
    use crate::storage::secrets::tests::{client, kubectl, namespace};

    #[test]
    fn configmap_holds_the_record_as_a_plain_string() {
        let map = ConfigMap::build(ObjectMeta::default(), "H4sI".to_string());
        assert_eq!(map.record_data().as_deref(), Some("H4sI"));
        let json = serde_json::to_value(&map).unwrap();
        assert_eq!(json["data"]["release"], "H4sI");
    }

    #[tokio::test]
    #[ignore = "needs cluster (scripts/test-cluster.sh)"]
    async fn configmap_records_round_trip_through_the_cluster() {
        let ns = namespace("cm").await;
        let storage = Storage::new(Arc::new(ConfigMapsDriver::new(client().await, Some(&ns))));
        for (revision, status) in [(1, Status::Superseded), (2, Status::Deployed)] {
            let mut release = Release {
                name: "web".into(),
                namespace: ns.clone(),
                revision,
                ..Release::default()
            };
            release.set_status(status, "test");
            storage.create(&release).await.unwrap();
        }
        assert_eq!(storage.last("web").await.unwrap().revision, 2);
        assert_eq!(storage.deployed("web").await.unwrap().revision, 2);
        let json = kubectl(
            &[
                "-n",
                &ns,
                "get",
                "configmap",
                "sh.helm.release.v1.web.v1",
                "-o",
                "json",
            ],
            "",
        )
        .await;
        let map: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(map["metadata"]["labels"]["status"], "superseded");
        let data = map["data"]["release"].as_str().unwrap();
        assert_eq!(crate::storage::decode_release(data).unwrap().revision, 1);
    }
}
