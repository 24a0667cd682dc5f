//! Creating the release namespace (`--create-namespace`).
//! Helm counterpart: `pkg/action/install.go` (namespace creation before install).
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};

use super::{Client, Error};

/// Creates namespace `name` unless it exists; an existing one is left as it is.
pub async fn ensure_namespace(client: &Client, name: &str) -> Result<(), Error> {
    let api: Api<Namespace> = Api::all(client.kube().clone());
    let namespace = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_string()),
            labels: Some([("name".to_string(), name.to_string())].into()),
            ..Default::default()
        },
        ..Default::default()
    };
    match api.create(&PostParams::default(), &namespace).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(source) => Err(Error::request(
            "create",
            format!("Namespace {name:?}"),
            source,
        )),
    }
}
