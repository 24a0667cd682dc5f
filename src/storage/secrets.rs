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
mod tests {
    use super::*;

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
}
