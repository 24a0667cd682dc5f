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
    use super::*;

    #[test]
    fn configmap_holds_the_record_as_a_plain_string() {
        let map = ConfigMap::build(ObjectMeta::default(), "H4sI".to_string());
        assert_eq!(map.record_data().as_deref(), Some("H4sI"));
        let json = serde_json::to_value(&map).unwrap();
        assert_eq!(json["data"]["release"], "H4sI");
    }
}
