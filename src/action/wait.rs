//! `--wait`, `--wait-for-jobs`, hooks and `uninstall --wait`: which of a release's objects
//! to wait for, and progress reporting while [`crate::kube::wait_ready`],
//! [`crate::kube::wait_completed`] or [`crate::kube::wait_deleted`] watch them.
//!
//! Helm counterpart: `pkg/kube/statuswait.go` (Helm 4's kstatus watcher) and `wait.go`.
//! Progress goes to a [`WaitReporter`] that the CLI installs ([`set_reporter`]); this module
//! never prints.
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::{Context, Error};
use crate::kube::{Client, Discovery, Resource, Until};

pub use crate::kube::WaitState;

/// Receives progress while waiting: the CLI draws it (a bar per object on a terminal,
/// timestamped lines otherwise).
pub trait WaitReporter: Send + Sync {
    /// Waiting starts for `resources` (each `Kind "name" in namespace "ns"`).
    fn started(&self, resources: &[String]);
    /// One object changed state.
    fn changed(&self, resource: &str, state: &WaitState);
    /// Waiting is over (successfully or not).
    fn finished(&self);
}

static REPORTER: OnceLock<Arc<dyn WaitReporter>> = OnceLock::new();

/// Installs the process's progress reporter (once; later calls are ignored).
pub fn set_reporter(reporter: Arc<dyn WaitReporter>) {
    let _ = REPORTER.set(reporter);
}

fn report_changed(resource: &str, state: &WaitState) {
    if let Some(r) = REPORTER.get() {
        r.changed(resource, state);
    }
}

/// Reports the start (the `watched` objects), each change and the end of one wait.
async fn reported<'r, F>(
    watched: impl Iterator<Item = &'r Resource>,
    wait: impl FnOnce(Option<crate::kube::Observer<'static>>) -> F,
) -> Result<(), Error>
where
    F: std::future::Future<Output = Result<(), crate::kube::Error>>,
{
    if let Some(r) = REPORTER.get() {
        r.started(&watched.map(Resource::describe).collect::<Vec<_>>());
    }
    let outcome = wait(Some(&report_changed)).await;
    if let Some(r) = REPORTER.get() {
        r.finished();
    }
    Ok(outcome?)
}

/// Waits until every object of `resources` that has a notion of readiness is ready; Jobs
/// only with `wait_for_jobs` (Helm's `--wait-for-jobs`). On timeout, fails listing every
/// object still not ready and why, in Helm 4's words.
pub async fn wait_for(
    client: &Client,
    resources: &[Resource],
    wait_for_jobs: bool,
    timeout: Duration,
) -> Result<(), Error> {
    let watched: Vec<Resource> = resources
        .iter()
        .filter(|r| Until::Ready.watches(r.kind()) && (wait_for_jobs || r.kind() != "Job"))
        .cloned()
        .collect();
    reported(watched.iter(), |observer| {
        crate::kube::wait_ready(client, &watched, timeout, observer)
    })
    .await
}

/// Waits until hook objects have run to completion: Jobs complete, Pods succeeded (a
/// failed one fails the wait), as Helm waits for hooks.
pub async fn wait_hooks(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
) -> Result<(), Error> {
    let watched = (resources.iter()).filter(|r| Until::Completed.watches(r.kind()));
    reported(watched, |observer| {
        crate::kube::wait_completed(client, resources, timeout, observer)
    })
    .await
}

/// `uninstall --wait`: waits until every object of `manifest` is gone (objects kept by
/// `helm.sh/resource-policy: keep` are not waited for).
pub async fn wait_deleted(
    ctx: &Context,
    discovery: &Discovery,
    manifest: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let documents = crate::release::manifest::documents_from_manifest(manifest)?;
    let mut resources = Vec::new();
    for doc in &documents {
        if let Ok(mut built) =
            crate::kube::build_resources([doc.content.as_str()], discovery, &ctx.namespace)
        {
            resources.append(&mut built);
        }
    }
    let resources: Vec<Resource> = resources
        .into_iter()
        .filter(|r| {
            r.annotations()
                .get(crate::kube::RESOURCE_POLICY_ANNOTATION)
                .map(String::as_str)
                != Some(crate::kube::RESOURCE_POLICY_KEEP)
        })
        .collect();
    reported(resources.iter(), |observer| {
        crate::kube::wait_deleted(&ctx.client, &resources, timeout, observer)
    })
    .await
}
