//! Running a release's hooks for one lifecycle event.
//!
//! Helm counterpart: `pkg/action/hooks.go` (`execHook`). Hooks run in weight-then-name
//! order; each is created (after deleting a previous copy under the default
//! `before-hook-creation` policy), waited for (Jobs until complete, Pods until succeeded,
//! other kinds until ready), then deleted if its policy says so. The outcome is recorded in
//! the hook's `last_run`, which is stored with the release.
use std::time::Duration;

use super::Error;
use crate::kube::{ApplyMethod, ApplyOptions, Client, DeleteOptions, Discovery, Resource};
use crate::release::hook::hooks_for_event;
use crate::release::{HookDeletePolicy, HookEvent, HookExecution, HookPhase, Release, Timestamp};

/// Runs every hook of `release` that fires on `event`. On failure the failing hook's
/// `last_run` says `Failed` and the error names the event and the hook.
pub async fn run_hooks(
    client: &Client,
    discovery: &Discovery,
    release: &mut Release,
    event: HookEvent,
    timeout: Duration,
) -> Result<(), Error> {
    let order: Vec<(String, String)> = hooks_for_event(&release.hooks, event)
        .into_iter()
        .map(|h| (h.path.clone(), h.name.clone()))
        .collect();
    for (path, name) in order {
        let Some(index) = release
            .hooks
            .iter()
            .position(|h| h.path == path && h.name == name)
        else {
            continue;
        };
        let hook = release.hooks[index].clone();
        let resources =
            crate::kube::build_resources([hook.manifest.as_str()], discovery, &release.namespace)?;
        let deletes_before = hook.delete_policies.is_empty()
            || hook.has_delete_policy(&HookDeletePolicy::BeforeHookCreation);
        if deletes_before {
            delete_and_forget(client, &resources, timeout).await?;
        }
        release.hooks[index].last_run = HookExecution {
            started_at: Some(Timestamp::now()),
            completed_at: None,
            phase: Some(HookPhase::Running),
        };
        let outcome = run_one(client, &resources, timeout).await;
        let run = &mut release.hooks[index].last_run;
        run.completed_at = Some(Timestamp::now());
        match outcome {
            Ok(()) => {
                run.phase = Some(HookPhase::Succeeded);
                if hook.has_delete_policy(&HookDeletePolicy::HookSucceeded) {
                    delete_and_forget(client, &resources, timeout).await?;
                }
            }
            Err(error) => {
                run.phase = Some(HookPhase::Failed);
                if hook.has_delete_policy(&HookDeletePolicy::HookFailed) {
                    delete_and_forget(client, &resources, timeout).await?;
                }
                return Err(Error::Hook(format!(
                    "{} hook {} ({}) failed: {error}",
                    event.as_str(),
                    hook.name,
                    hook.path
                )));
            }
        }
    }
    Ok(())
}

async fn run_one(client: &Client, resources: &[Resource], timeout: Duration) -> Result<(), Error> {
    let options = ApplyOptions {
        method: ApplyMethod::ServerSide,
        force_conflicts: true,
        dry_run: false,
    };
    crate::kube::apply(client, resources, &[], &options).await?;
    crate::kube::wait_ready(client, resources, timeout).await?;
    Ok(())
}

/// Deletes the hook objects and waits until they are gone, so a new copy can be created.
async fn delete_and_forget(
    client: &Client,
    resources: &[Resource],
    timeout: Duration,
) -> Result<(), Error> {
    let report = crate::kube::delete(client, resources, &DeleteOptions::default()).await;
    if let Some(failure) = report.failed.into_iter().next() {
        return Err(Error::Hook(format!(
            "deleting hook {} {:?}: {}",
            failure.key.kind, failure.key.name, failure.error
        )));
    }
    let deadline = tokio::time::Instant::now() + timeout;
    for resource in resources {
        while crate::kube::get(client, resource).await?.is_some() {
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Hook(format!(
                    "timed out waiting for hook {} to be deleted",
                    resource.describe()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}
