//! Waiting until objects are ready, by watching them. Helm counterpart: `pkg/kube/wait.go`.
//! The predicates live in [`super::ready`].

use std::time::Duration;

use ::kube::api::DynamicObject;
use ::kube::runtime::wait::await_condition;
use futures::StreamExt;
use serde_json::Value;

use super::error::describe;
use super::ready::{Readiness, completion, has_readiness, readiness};
use super::{Client, Error, Resource};

/// How many objects are watched at once.
const CONCURRENT_WATCHES: usize = 16;

/// A readiness predicate ([`readiness`] or [`completion`]).
type Predicate = fn(&Value) -> Readiness;

/// Waits until every resource is ready (see [`super::ready::readiness`]), watching each one,
/// for at most `timeout` in total. Fails with [`Error::Failed`] as soon as one can no longer
/// become ready, or [`Error::Timeout`] listing what is still pending and why.
///
/// Helm's `--wait` leaves Jobs out unless `--wait-for-jobs`: filter them before calling.
pub async fn wait_ready(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
) -> Result<(), Error> {
    wait_all(client, resources, timeout, readiness, |r| {
        has_readiness(r.kind())
    })
    .await
}

/// Waits until every hook resource has run to completion (see
/// [`super::ready::completion`]: Jobs complete, Pods succeeded; other kinds at once), for at
/// most `timeout` in total, as Helm does for hooks. A failed Job or Pod is [`Error::Failed`].
pub async fn wait_completed(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
) -> Result<(), Error> {
    let runs_to_completion = |r: &Resource| matches!(r.kind(), "Job" | "Pod");
    wait_all(client, resources, timeout, completion, runs_to_completion).await
}

async fn wait_all(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
    predicate: Predicate,
    watched: fn(&Resource) -> bool,
) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    // Futures built up front (not in a `map` closure) keep the returned future `Send`.
    let waits: Vec<_> = resources
        .iter()
        .filter(|r| watched(r))
        .map(|resource| wait_one(client, resource, deadline, predicate))
        .collect();
    let outcomes: Vec<Result<(), Pending>> = futures::stream::iter(waits)
        .buffer_unordered(CONCURRENT_WATCHES)
        .collect()
        .await;
    let mut pending = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(()) => {}
            Err(Pending::Failed(err)) => return Err(err),
            Err(Pending::Timeout(text)) => pending.push(text),
        }
    }
    if pending.is_empty() {
        Ok(())
    } else {
        pending.sort();
        Err(Error::Timeout { pending })
    }
}

/// Waits until every resource is gone from the server (after [`super::delete`]; Helm's
/// `uninstall --wait` and hook `before-hook-creation`), for at most `timeout` in total.
pub async fn wait_deleted(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    let waits: Vec<_> = resources
        .iter()
        .map(|resource| async move {
            let api = resource.api(client.kube());
            let gone = |obj: Option<&DynamicObject>| obj.is_none();
            match tokio::time::timeout_at(deadline, await_condition(api, resource.name(), gone))
                .await
            {
                Ok(Ok(_)) => None,
                Ok(Err(err)) => Some(format!(
                    "resource {} : watch failed: {err}",
                    resource.describe()
                )),
                Err(_) => Some(format!(
                    "resource {}/{}/{} not ready. status: Terminating, message: still present",
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
        Ok(())
    } else {
        pending.sort();
        Err(Error::Timeout { pending })
    }
}

enum Pending {
    Failed(Error),
    Timeout(String),
}

/// Readiness of a watched object. List and watch results may omit `apiVersion`/`kind`, so
/// they are taken from the resource.
fn judge(
    resource: &Resource,
    obj: Option<&DynamicObject>,
    predicate: Predicate,
) -> Option<Readiness> {
    let mut value = serde_json::to_value(obj?).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), Value::from(resource.api_version()));
        map.insert("kind".into(), Value::from(resource.kind()));
    }
    Some(predicate(&value))
}

async fn wait_one(
    client: &Client,
    resource: &Resource,
    deadline: tokio::time::Instant,
    predicate: Predicate,
) -> Result<(), Pending> {
    let api = resource.api(client.kube());
    let settled = |obj: Option<&DynamicObject>| {
        matches!(
            judge(resource, obj, predicate),
            Some(Readiness::Ready | Readiness::Failed(_))
        )
    };
    let watched = tokio::time::timeout_at(
        deadline,
        await_condition(api.clone(), resource.name(), settled),
    )
    .await;
    match watched {
        Ok(Ok(obj)) => match judge(resource, obj.as_ref(), predicate) {
            Some(Readiness::Failed(reason)) => Err(Pending::Failed(Error::Failed {
                resource: resource.describe(),
                reason,
            })),
            _ => Ok(()),
        },
        Ok(Err(err)) => Err(Pending::Failed(Error::Failed {
            resource: resource.describe(),
            reason: format!("watch failed: {err}"),
        })),
        Err(_) => {
            let (status, why) = match api.get_opt(resource.name()).await {
                Ok(found) => match judge(resource, found.as_ref(), predicate) {
                    Some(Readiness::Pending(why)) => ("InProgress", why),
                    Some(_) => ("InProgress", "became ready at the deadline".into()),
                    None => ("NotFound", "resource not found".into()),
                },
                Err(err) => ("Unknown", describe(&err)),
            };
            Err(Pending::Timeout(format!(
                "resource {}/{}/{} not ready. status: {status}, message: {why}",
                resource.kind(),
                resource.namespace().unwrap_or_default(),
                resource.name()
            )))
        }
    }
}
