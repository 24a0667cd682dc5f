//! `--wait`, `--wait-for-jobs` and `uninstall --wait`: watching a release's objects until
//! they are ready (or gone), reporting each object's state as it changes.
//!
//! Helm counterpart: `pkg/kube/statuswait.go` (Helm 4's kstatus watcher) and `wait.go`. Each
//! object is watched (a `watch` on its name, not a poll); readiness is judged by the pure
//! predicates of [`crate::kube::ready`]. Progress goes to a [`WaitReporter`] that the CLI
//! installs ([`set_reporter`]); this module never prints.
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ::kube::api::DynamicObject;
use ::kube::runtime::{WatchStreamExt, watcher};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::{Context, Error};
use crate::kube::ready::{Readiness, has_readiness, readiness};
use crate::kube::{Client, Discovery, Resource};

/// How many objects are watched at once.
const CONCURRENT_WATCHES: usize = 16;

/// The state of one watched object, as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitState {
    /// Not ready yet, and why.
    Pending(String),
    /// Ready.
    Ready,
    /// Will not become ready (failed Job, …), and why.
    Failed(String),
    /// Deleted (uninstall `--wait`).
    Gone,
}

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

/// Waits until every object of `resources` that has a notion of readiness is ready; Jobs
/// only with `wait_for_jobs` (Helm's `--wait-for-jobs`). On timeout, fails listing every
/// object still not ready and why, in Helm 4's words.
pub async fn wait_for(
    client: &Client,
    resources: &[Resource],
    wait_for_jobs: bool,
    timeout: Duration,
) -> Result<(), Error> {
    let watched: Vec<&Resource> = resources
        .iter()
        .filter(|r| has_readiness(r.kind()) && (wait_for_jobs || r.kind() != "Job"))
        .collect();
    if let Some(r) = REPORTER.get() {
        r.started(&watched.iter().map(|r| r.describe()).collect::<Vec<_>>());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let waits: Vec<_> = watched
        .iter()
        .map(|resource| wait_ready_one(client, resource, deadline))
        .collect();
    let outcomes: Vec<Outcome> = futures::stream::iter(waits)
        .buffer_unordered(CONCURRENT_WATCHES)
        .collect()
        .await;
    if let Some(r) = REPORTER.get() {
        r.finished();
    }
    let mut pending = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Done => {}
            Outcome::Failed(resource, reason) => {
                return Err(crate::kube::Error::Failed { resource, reason }.into());
            }
            Outcome::TimedOut(line) => pending.push(line),
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    pending.sort();
    Err(crate::kube::Error::Timeout { pending }.into())
}

enum Outcome {
    Done,
    Failed(String, String),
    TimedOut(String),
}

/// The object's readiness. Watch results may omit `apiVersion`/`kind`: take the resource's.
fn judge(resource: &Resource, object: &DynamicObject) -> Readiness {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), Value::from(resource.api_version()));
        map.insert("kind".into(), Value::from(resource.kind()));
    }
    readiness(&value)
}

fn watch_config(resource: &Resource) -> watcher::Config {
    watcher::Config::default().fields(&format!("metadata.name={}", resource.name()))
}

async fn wait_ready_one(
    client: &Client,
    resource: &Resource,
    deadline: tokio::time::Instant,
) -> Outcome {
    let describe = resource.describe();
    let api = resource.api(client.kube());
    let mut last = WaitState::Pending("not found".into());
    report_changed(&describe, &last);
    let mut stream = watcher(api, watch_config(resource))
        .default_backoff()
        .applied_objects()
        .boxed();
    loop {
        let next = tokio::time::timeout_at(deadline, stream.try_next()).await;
        let object = match next {
            Err(_) => {
                let why = match &last {
                    WaitState::Pending(why) => why.clone(),
                    _ => "not ready".into(),
                };
                return Outcome::TimedOut(timeout_line(resource, &why));
            }
            Ok(Ok(Some(object))) => object,
            Ok(Ok(None)) => return Outcome::TimedOut(timeout_line(resource, "watch ended")),
            Ok(Err(e)) => return Outcome::Failed(describe, format!("watch failed: {e}")),
        };
        let state = match judge(resource, &object) {
            Readiness::Ready => WaitState::Ready,
            Readiness::Pending(why) => WaitState::Pending(why),
            Readiness::Failed(why) => WaitState::Failed(why),
        };
        if state != last {
            report_changed(&describe, &state);
            last = state.clone();
        }
        match state {
            WaitState::Ready => return Outcome::Done,
            WaitState::Failed(why) => return Outcome::Failed(describe, why),
            _ => {}
        }
    }
}

/// Helm 4's line for an object that did not become ready.
fn timeout_line(resource: &Resource, why: &str) -> String {
    format!(
        "resource {}/{}/{} not ready. status: InProgress, message: {why}",
        resource.kind(),
        resource.namespace().unwrap_or_default(),
        resource.name()
    )
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
    if let Some(r) = REPORTER.get() {
        r.started(&resources.iter().map(Resource::describe).collect::<Vec<_>>());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let waits: Vec<_> = resources
        .iter()
        .map(|resource| wait_gone_one(ctx, resource, deadline))
        .collect();
    let outcomes: Vec<Option<String>> = futures::stream::iter(waits)
        .buffer_unordered(CONCURRENT_WATCHES)
        .collect()
        .await;
    if let Some(r) = REPORTER.get() {
        r.finished();
    }
    let mut pending: Vec<String> = outcomes.into_iter().flatten().collect();
    if pending.is_empty() {
        return Ok(());
    }
    pending.sort();
    Err(crate::kube::Error::Timeout { pending }.into())
}

/// `None` once the object is gone, else the line for the timeout message.
async fn wait_gone_one(
    ctx: &Context,
    resource: &Resource,
    deadline: tokio::time::Instant,
) -> Option<String> {
    let describe = resource.describe();
    let api = resource.api(ctx.client.kube());
    let gone = |obj: Option<&DynamicObject>| obj.is_none();
    let waited = tokio::time::timeout_at(
        deadline,
        ::kube::runtime::wait::await_condition(api, resource.name(), gone),
    )
    .await;
    match waited {
        Ok(Ok(_)) => {
            report_changed(&describe, &WaitState::Gone);
            None
        }
        Ok(Err(e)) => Some(format!("{describe}: watch failed: {e}")),
        Err(_) => Some(format!(
            "resource {}/{}/{} not deleted. status: Terminating",
            resource.kind(),
            resource.namespace().unwrap_or_default(),
            resource.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kinds_with_a_readiness_rule_are_watched() {
        assert!(has_readiness("Deployment"));
        assert!(has_readiness("Job"));
        assert!(!has_readiness("ConfigMap"));
        assert!(!has_readiness("Secret"));
    }
}
