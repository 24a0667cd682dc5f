//! The storage driver trait, the record type drivers exchange, and the one implementation
//! shared by the two Kubernetes-object drivers (Secrets and ConfigMaps).
//!
//! Helm counterpart: `pkg/storage/driver/driver.go` (the `Driver` interface) with the
//! common parts of `secrets.go` and `cfgmaps.go`. Change from Helm: drivers hand back
//! *records* (labels + still-encoded data), not decoded releases, so `Storage` chooses by
//! label which records are worth decoding and decodes those in parallel.
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

use ::kube::api::{DeleteParams, ListParams, PostParams};
use ::kube::{Api, Client, Resource};
use futures::future::BoxFuture;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Error;
use super::codec::encode_release;
use super::keys::{
    LABEL_CREATED_AT, LABEL_MODIFIED_AT, Labels, RecordInfo, record_labels, selector_string,
};
use crate::release::Release;

/// A stored revision as a driver sees it: object name, namespace, labels and data.
#[derive(Debug, Clone)]
pub struct Record {
    /// Object name (`sh.helm.release.v1.<name>.v<revision>`).
    pub key: String,
    /// Namespace of the object (empty for drivers without namespaces).
    pub namespace: String,
    /// Labels of the object.
    pub labels: Labels,
    /// The release, encoded or already in memory.
    pub body: RecordBody,
}

/// The payload of a record.
#[derive(Debug, Clone)]
pub enum RecordBody {
    /// Helm's encoded record (base64 of gzipped JSON), not yet decoded.
    Encoded(String),
    /// A release held in memory (the memory driver), decoded already.
    Decoded(Arc<Release>),
}

/// Where release records live. Object-safe so a `Storage` can hold any driver.
pub trait Driver: Send + Sync {
    /// Short name (`Secret`, `ConfigMap`, `Memory`), as Helm names its drivers.
    fn name(&self) -> &'static str;

    /// The record named `key`, or `None` if there is none.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Record>, Error>>;

    /// Every record whose labels contain all of `selector` (one LIST request).
    fn query<'a>(&'a self, selector: &'a Labels) -> BoxFuture<'a, Result<Vec<Record>, Error>>;

    /// Key, namespace and labels of every record matching `selector`, without the payload
    /// (a metadata-only LIST), so picking a revision costs the same at any history length.
    fn query_labels<'a>(
        &'a self,
        selector: &'a Labels,
    ) -> BoxFuture<'a, Result<Vec<RecordInfo>, Error>> {
        Box::pin(async move {
            let records = self.query(selector).await?;
            Ok(records
                .iter()
                .filter_map(|r| RecordInfo::from_labels(&r.key, &r.namespace, &r.labels))
                .collect())
        })
    }

    /// Stores a new record; [`Error::Exists`] if `key` is taken.
    fn create<'a>(
        &'a self,
        key: &'a str,
        release: Arc<Release>,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Replaces an existing record; [`Error::NotFound`] if there is none.
    fn update<'a>(
        &'a self,
        key: &'a str,
        release: Arc<Release>,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Removes a record and returns what it held; [`Error::NotFound`] if there is none.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Record, Error>>;
}

/// A namespaced Kubernetes object that can hold a release record.
pub trait RecordObject:
    Resource<Scope = NamespaceResourceScope, DynamicType = ()>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// Driver name (`Secret`, `ConfigMap`).
    const DRIVER_NAME: &'static str;

    /// Builds the object holding `data` (the encoded record) under `metadata`.
    fn build(metadata: ObjectMeta, data: String) -> Self;

    /// The encoded record the object holds, if any.
    fn record_data(&self) -> Option<String>;
}

/// A driver storing each revision in one Kubernetes object of kind `K`.
pub struct KubeDriver<K> {
    client: Client,
    namespace: Option<String>,
    kind: PhantomData<fn() -> K>,
}

impl<K: RecordObject> KubeDriver<K> {
    /// A driver for `namespace`, or for all namespaces (`None`: list and query only).
    pub fn new(client: Client, namespace: Option<&str>) -> Self {
        KubeDriver {
            client,
            namespace: namespace.map(str::to_string),
            kind: PhantomData,
        }
    }

    /// The namespace this driver works in (`None` = all namespaces).
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    fn namespaced(&self, operation: &'static str) -> Result<Api<K>, Error> {
        match &self.namespace {
            Some(ns) => Ok(Api::namespaced(self.client.clone(), ns)),
            None => Err(Error::NamespaceRequired {
                driver: K::DRIVER_NAME,
                operation,
            }),
        }
    }

    /// Where queries list: the driver's namespace, else every namespace.
    fn list_api(&self) -> Api<K> {
        match &self.namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        }
    }

    /// The namespace to write `release` to: the driver's, else the release's own.
    fn write_api(&self, release: &Release, operation: &'static str) -> Result<Api<K>, Error> {
        match (&self.namespace, release.namespace.as_str()) {
            (Some(ns), _) => Ok(Api::namespaced(self.client.clone(), ns)),
            (None, "") => self.namespaced(operation),
            (None, ns) => Ok(Api::namespaced(self.client.clone(), ns)),
        }
    }

    fn to_record(object: &K) -> Option<Record> {
        let meta = object.meta();
        Some(Record {
            key: meta.name.clone()?,
            namespace: meta.namespace.clone().unwrap_or_default(),
            labels: meta.labels.clone().unwrap_or_default(),
            body: RecordBody::Encoded(object.record_data()?),
        })
    }

    async fn build_object(
        key: &str,
        release: Arc<Release>,
        timestamp_label: &'static str,
    ) -> Result<K, Error> {
        let labels = record_labels(&release, timestamp_label, chrono::Utc::now().timestamp());
        let name = release.name.clone();
        let revision = release.revision;
        let data = tokio::task::spawn_blocking(move || encode_release(&release))
            .await
            .map_err(Error::Task)?
            .map_err(|source| Error::Encode {
                name,
                revision,
                source,
            })?;
        let metadata = ObjectMeta {
            name: Some(key.to_string()),
            labels: Some(labels),
            ..ObjectMeta::default()
        };
        Ok(K::build(metadata, data))
    }
}

fn kube_error(operation: &'static str, key: &str, source: ::kube::Error) -> Error {
    match &source {
        ::kube::Error::Api(status) if status.is_not_found() => Error::NotFound {
            key: key.to_string(),
        },
        ::kube::Error::Api(status) if status.is_already_exists() => Error::Exists {
            key: key.to_string(),
        },
        _ => Error::Kube {
            operation,
            key: key.to_string(),
            source: Box::new(source),
        },
    }
}

impl<K: RecordObject> Driver for KubeDriver<K> {
    fn name(&self) -> &'static str {
        K::DRIVER_NAME
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Record>, Error>> {
        Box::pin(async move {
            let api = self.namespaced("get a record")?;
            let object = api
                .get_opt(key)
                .await
                .map_err(|e| kube_error("get", key, e))?;
            Ok(object.as_ref().and_then(Self::to_record))
        })
    }

    fn query<'a>(&'a self, selector: &'a Labels) -> BoxFuture<'a, Result<Vec<Record>, Error>> {
        Box::pin(async move {
            let api = self.list_api();
            let selector = selector_string(selector);
            let list = api
                .list(&ListParams::default().labels(&selector))
                .await
                .map_err(|e| kube_error("list", &selector, e))?;
            Ok(list.items.iter().filter_map(Self::to_record).collect())
        })
    }

    fn query_labels<'a>(
        &'a self,
        selector: &'a Labels,
    ) -> BoxFuture<'a, Result<Vec<RecordInfo>, Error>> {
        Box::pin(async move {
            let api = self.list_api();
            let selector = selector_string(selector);
            let list = api
                .list_metadata(&ListParams::default().labels(&selector))
                .await
                .map_err(|e| kube_error("list", &selector, e))?;
            Ok(list
                .items
                .iter()
                .filter_map(|o| {
                    let meta = &o.metadata;
                    RecordInfo::from_labels(
                        meta.name.as_deref()?,
                        meta.namespace.as_deref().unwrap_or_default(),
                        meta.labels.as_ref()?,
                    )
                })
                .collect())
        })
    }

    fn create<'a>(
        &'a self,
        key: &'a str,
        release: Arc<Release>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let api = self.write_api(&release, "create a record")?;
            let object = Self::build_object(key, release, LABEL_CREATED_AT).await?;
            api.create(&PostParams::default(), &object)
                .await
                .map_err(|e| kube_error("create", key, e))?;
            Ok(())
        })
    }

    fn update<'a>(
        &'a self,
        key: &'a str,
        release: Arc<Release>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let api = self.write_api(&release, "update a record")?;
            let object = Self::build_object(key, release, LABEL_MODIFIED_AT).await?;
            api.replace(key, &PostParams::default(), &object)
                .await
                .map_err(|e| kube_error("update", key, e))?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Record, Error>> {
        Box::pin(async move {
            let api = self.namespaced("delete a record")?;
            let object = api
                .get_opt(key)
                .await
                .map_err(|e| kube_error("get", key, e))?;
            let record =
                object
                    .as_ref()
                    .and_then(Self::to_record)
                    .ok_or_else(|| Error::NotFound {
                        key: key.to_string(),
                    })?;
            api.delete(key, &DeleteParams::default())
                .await
                .map_err(|e| kube_error("delete", key, e))?;
            Ok(record)
        })
    }
}
