//! What every cluster action needs: the release namespace, a client, discovery and storage.
//!
//! Helm counterpart: `pkg/action/action.go` (`Configuration`) and `pkg/cli` (environment).
use std::path::PathBuf;
use std::sync::Arc;

use super::Error;
use crate::kube::{Client, Discovery};
use crate::storage::{ConfigMapsDriver, Driver, MemoryDriver, SecretsDriver, Storage};

/// Connection settings from global flags and the environment.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `-n/--namespace` (or `HELM_NAMESPACE`); `None` uses the kubeconfig context's.
    pub namespace: Option<String>,
    /// `--kube-context`.
    pub kube_context: Option<String>,
    /// `--kubeconfig` (else `KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// `HELM_DRIVER`: `secret` (default), `configmap` or `memory`.
    pub driver: Option<String>,
}

/// Which storage driver records releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverKind {
    /// One Secret per revision (Helm's default).
    Secret,
    /// One ConfigMap per revision.
    ConfigMap,
    /// In this process only.
    Memory,
}

impl DriverKind {
    /// Parses `HELM_DRIVER` as Helm does (empty means secret).
    pub fn parse(name: Option<&str>) -> Result<Self, Error> {
        match name.unwrap_or_default() {
            "" | "secret" | "secrets" => Ok(DriverKind::Secret),
            "configmap" | "configmaps" => Ok(DriverKind::ConfigMap),
            "memory" => Ok(DriverKind::Memory),
            other => Err(Error::InvalidOption(format!(
                "unknown driver {other:?}: HELM_DRIVER must be secret, configmap or memory"
            ))),
        }
    }
}

/// A connected cluster and release storage for one namespace.
pub struct Context {
    /// The release namespace.
    pub namespace: String,
    /// The API client.
    pub client: Client,
    /// Release records in `namespace`.
    pub storage: Storage,
    driver: DriverKind,
}

impl Context {
    /// Connects to the cluster (failing fast if it is unreachable) and opens storage.
    pub async fn connect(settings: &Settings) -> Result<Self, Error> {
        let driver = DriverKind::parse(settings.driver.as_deref())?;
        let client = crate::kube::connect(
            settings.kubeconfig.as_deref(),
            settings.kube_context.as_deref(),
        )
        .await?;
        let namespace = settings
            .namespace
            .clone()
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| client.default_namespace().to_string());
        let storage = open_storage(driver, &client, Some(&namespace));
        Ok(Context {
            namespace,
            client,
            storage,
            driver,
        })
    }

    /// Storage over every namespace (for `list -A`).
    pub fn storage_all_namespaces(&self) -> Storage {
        open_storage(self.driver, &self.client, None)
    }

    /// Discovers the served API resources (once per command).
    pub async fn discovery(&self) -> Result<Discovery, Error> {
        Ok(Discovery::run(&self.client).await?)
    }
}

fn open_storage(driver: DriverKind, client: &Client, namespace: Option<&str>) -> Storage {
    let driver: Arc<dyn Driver> = match driver {
        DriverKind::Secret => Arc::new(SecretsDriver::new(client.kube().clone(), namespace)),
        DriverKind::ConfigMap => Arc::new(ConfigMapsDriver::new(client.kube().clone(), namespace)),
        DriverKind::Memory => Arc::new(MemoryDriver::new(namespace)),
    };
    Storage::new(driver)
}
