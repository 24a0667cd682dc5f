//! Talking to the Kubernetes API: the counterpart of Helm's `pkg/kube` (client.go, resource.go,
//! ready.go, wait.go) plus the ownership checks of `pkg/action/validate.go`.
//!
//! The action layer drives one command through these steps:
//!
//! 1. [`connect`] reads the kubeconfig (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`),
//!    picks the context, checks the server answers (`Kubernetes cluster unreachable: …`) and
//!    learns its version.
//! 2. [`Discovery::run`] maps `apiVersion` + `kind` to REST resources once per command and
//!    builds `.Capabilities.APIVersions` exactly as Helm does.
//! 3. [`build_resources`] turns the release's manifest documents into [`Resource`]s;
//!    [`add_ownership_metadata`] stamps Helm's label and annotations on them.
//! 4. [`check_ownership`] refuses to adopt objects that belong to someone else.
//! 5. [`apply`] applies them (server-side apply as field manager [`FIELD_MANAGER`], or
//!    client-side for `csa` releases), [`delete`] removes them, [`lookup`] serves the template
//!    function, [`wait_ready`] waits with the pure predicates of [`ready`].
//!
//! This module never prints: it returns reports, notes and typed [`Error`]s.
//!
//! ```no_run
//! use rhelm::kube::{self, Adoption, ApplyOptions, Discovery, OwnershipPolicy};
//! # async fn install(manifest_documents: Vec<String>) -> Result<(), kube::Error> {
//! let client = kube::connect(None, None).await?;
//! let namespace = client.default_namespace().to_owned();
//! let discovery = Discovery::run(&client).await?;
//! let mut resources = kube::build_resources(&manifest_documents, &discovery, &namespace)?;
//! kube::add_ownership_metadata(&mut resources, "web", &namespace);
//! kube::check_ownership(&client, &resources, "web", &namespace, Adoption::Install, OwnershipPolicy::Check)
//!     .await?;
//! let report = kube::apply(&client, &resources, &[], &ApplyOptions::default()).await?;
//! for note in &report.notes {
//!     tracing::debug!("{note}");
//! }
//! kube::wait_ready(&client, &resources, std::time::Duration::from_secs(300), None).await?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod apply;
mod client;
mod delete;
mod discovery;
mod error;
mod lookup;
mod namespace;
mod ownership;
pub mod ready;
mod resource;
mod wait;
mod yaml;

#[cfg(test)]
mod cluster_tests;

pub use apply::{
    Applied, ApplyMethod, ApplyOptions, ApplyOutcome, ApplyReport, apply, merge_patch,
};
pub use client::{Client, ConnectOptions, ServerVersion, connect, connect_with};
pub use delete::{DeleteFailure, DeleteOptions, DeleteReport, delete, is_kept};
pub use discovery::{Discovery, ResourceType};
pub use error::{Error, UnknownKind};
pub use lookup::{get, lookup};
pub use namespace::ensure_namespace;
pub use ownership::{
    Adoption, OwnershipPolicy, add_ownership_metadata, check_ownership, ownership_problem,
};
pub use resource::{Resource, ResourceKey, build_resources, removed};
pub use wait::{Observer, Until, WaitState, wait_completed, wait_deleted, wait_ready};

/// The field manager rhelm uses for every write. It is the same as the `helm` CLI's
/// (`cmd/helm/helm.go` pins it), so Helm and rhelm can upgrade each other's releases without
/// server-side apply conflicts.
pub const FIELD_MANAGER: &str = "helm";

/// Label that marks an object as managed by Helm.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The only value of [`MANAGED_BY_LABEL`] Helm accepts.
pub const MANAGED_BY_HELM: &str = "Helm";
/// Annotation naming the release that owns an object.
pub const RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
/// Annotation naming the namespace of the release that owns an object.
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";
/// Annotation that keeps an object when its release is uninstalled or it leaves the chart.
pub const RESOURCE_POLICY_ANNOTATION: &str = "helm.sh/resource-policy";
/// The value of [`RESOURCE_POLICY_ANNOTATION`] that keeps an object.
pub const RESOURCE_POLICY_KEEP: &str = "keep";
