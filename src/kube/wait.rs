//! Waiting until objects are ready, have run to completion, or are gone, by watching each
//! one (a `watch` on its name, not a poll). Helm counterpart: `pkg/kube/statuswait.go` and
//! `wait.go`. The predicates live in [`super::ready`]; state changes go to an optional
//! [`Observer`], through which the action layer reports progress (this module never prints).

use std::time::Duration;

use ::kube::api::DynamicObject;
use ::kube::runtime::wait::await_condition;
use ::kube::runtime::{WatchStreamExt, watcher};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::ready::{Readiness, completion, has_readiness, readiness};
use super::{Client, Error, Resource};

/// How many objects are watched at once.
const CONCURRENT_WATCHES: usize = 16;

/// The state of one watched object, as an [`Observer`] sees it change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitState {
    /// Not ready yet, and why.
    Pending(String),
    /// Ready (or run to completion).
    Ready,
    /// Will not become ready (failed Job or Pod, …), and why.
    Failed(String),
    /// Deleted.
    Gone,
}

/// Told each time a watched object changes state, with the object's
/// [`Resource::describe`] text.
pub type Observer<'a> = &'a (dyn Fn(&str, &WaitState) + Send + Sync);

/// What an object is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Ready ([`super::ready::readiness`]): `--wait`, and CRDs before use.
    Ready,
    /// Run to completion ([`super::ready::completion`]): Jobs complete, Pods succeeded, as
    /// Helm waits for hooks; a failed Job or Pod fails the wait.
    Completed,
}

impl Until {
    fn judge(self, object: &Value) -> Readiness {
        match self {
            Until::Ready => readiness(object),
            Until::Completed => completion(object),
        }
    }

    /// Whether an object of `kind` is watched at all (the others are done at once).
    pub fn watches(self, kind: &str) -> bool {
        match self {
            Until::Ready => has_readiness(kind),
            Until::Completed => matches!(kind, "Job" | "Pod"),
        }
    }
}

/// Waits until every resource is ready (see [`super::ready::readiness`]), for at most
/// `timeout` in total. Fails with [`Error::Failed`] as soon as one can no longer become
/// ready, or [`Error::Timeout`] listing what is still pending and why, in Helm 4's words.
///
/// Helm's `--wait` leaves Jobs out unless `--wait-for-jobs`: filter them before calling.
pub async fn wait_ready(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
    observer: Option<Observer<'_>>,
) -> Result<(), Error> {
    wait_until(client, resources, Until::Ready, timeout, observer).await
}

/// Waits until every hook resource has run to completion (see
/// [`super::ready::completion`]), for at most `timeout` in total, as Helm does for hooks.
pub async fn wait_completed(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
    observer: Option<Observer<'_>>,
) -> Result<(), Error> {
    wait_until(client, resources, Until::Completed, timeout, observer).await
}

async fn wait_until(
    client: &Client,
    resources: &[Resource],
    until: Until,
    timeout: Duration,
    observer: Option<Observer<'_>>,
) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    // Futures built up front (not in a `map` closure) keep the returned future `Send`.
    let waits: Vec<_> = resources
        .iter()
        .filter(|r| until.watches(r.kind()))
        .map(|resource| wait_one(client, resource, until, deadline, observer))
        .collect();
    let outcomes: Vec<Outcome> = futures::stream::iter(waits)
        .buffer_unordered(CONCURRENT_WATCHES)
        .collect()
        .await;
    let mut pending = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Done => {}
            Outcome::Failed(resource, reason) => return Err(Error::Failed { resource, reason }),
            Outcome::TimedOut(line) => pending.push(line),
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    pending.sort();
    Err(Error::Timeout { pending })
}

enum Outcome {
    Done,
    Failed(String, String),
    TimedOut(String),
}

/// The object's state. Watch results may omit `apiVersion`/`kind`: take the resource's.
fn judge(resource: &Resource, object: &DynamicObject, until: Until) -> WaitState {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), Value::from(resource.api_version()));
        map.insert("kind".into(), Value::from(resource.kind()));
    }
    match until.judge(&value) {
        Readiness::Ready => WaitState::Ready,
        Readiness::Pending(why) => WaitState::Pending(why),
        Readiness::Failed(why) => WaitState::Failed(why),
    }
}

fn observe(observer: Option<Observer<'_>>, resource: &str, state: &WaitState) {
    if let Some(observer) = observer {
        observer(resource, state);
    }
}

async fn wait_one(
    client: &Client,
    resource: &Resource,
    until: Until,
    deadline: tokio::time::Instant,
    observer: Option<Observer<'_>>,
) -> Outcome {
    let describe = resource.describe();
    let api = resource.api(client.kube());
    let mut last = WaitState::Pending("not found".into());
    observe(observer, &describe, &last);
    let config = watcher::Config::default().fields(&format!("metadata.name={}", resource.name()));
    let mut stream = watcher(api, config)
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
                return Outcome::TimedOut(not_ready_line(resource, &why));
            }
            Ok(Ok(Some(object))) => object,
            Ok(Ok(None)) => return Outcome::TimedOut(not_ready_line(resource, "watch ended")),
            Ok(Err(e)) => return Outcome::Failed(describe, format!("watch failed: {e}")),
        };
        let state = judge(resource, &object, until);
        if state != last {
            observe(observer, &describe, &state);
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
fn not_ready_line(resource: &Resource, why: &str) -> String {
    format!(
        "resource {}/{}/{} not ready. status: InProgress, message: {why}",
        resource.kind(),
        resource.namespace().unwrap_or_default(),
        resource.name()
    )
}

/// Waits until every resource is gone from the server (after [`super::delete`]; Helm's
/// `uninstall --wait` and hook `before-hook-creation`), for at most `timeout` in total.
pub async fn wait_deleted(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
    observer: Option<Observer<'_>>,
) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    let waits: Vec<_> = resources
        .iter()
        .map(|resource| async move {
            let describe = resource.describe();
            let api = resource.api(client.kube());
            let gone = |obj: Option<&DynamicObject>| obj.is_none();
            match tokio::time::timeout_at(deadline, await_condition(api, resource.name(), gone))
                .await
            {
                Ok(Ok(_)) => {
                    observe(observer, &describe, &WaitState::Gone);
                    None
                }
                Ok(Err(err)) => Some(format!("{describe}: watch failed: {err}")),
                Err(_) => Some(format!(
                    "resource {}/{}/{} not deleted. status: Terminating",
                    resource.kind(),
                    resource.namespace().unwrap_or_default(),
                    resource.name()
                )),
            }
        })
        .collect();
    let mut pending: Vec<String> = futures::stream::iter(waits)
        .buffer_unordered(CONCURRENT_WATCHES)
        .filter_map(|p| async move { p })
        .collect()
        .await;
    if pending.is_empty() {
        return Ok(());
    }
    pending.sort();
    Err(Error::Timeout { pending })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_waits_watch_kinds_with_a_rule_and_hooks_watch_jobs_and_pods() {
        assert!(Until::Ready.watches("Deployment"));
        assert!(Until::Ready.watches("Job"));
        assert!(!Until::Ready.watches("ConfigMap"));
        assert!(Until::Completed.watches("Pod"));
        assert!(Until::Completed.watches("Job"));
        assert!(!Until::Completed.watches("Deployment"));
    }

    #[test]
    fn a_hook_pod_is_done_when_it_succeeded_not_when_it_is_ready() {
        let pod = |status| serde_json::json!({"apiVersion": "v1", "kind": "Pod", "status": status});
        let running = pod(
            serde_json::json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}),
        );
        assert_eq!(Until::Ready.judge(&running), Readiness::Ready);
        assert!(matches!(
            Until::Completed.judge(&running),
            Readiness::Pending(_)
        ));
        let failed = pod(serde_json::json!({"phase": "Failed", "message": "exit 1"}));
        assert_eq!(
            Until::Completed.judge(&failed),
            Readiness::Failed("exit 1".into())
        );
    }
}
