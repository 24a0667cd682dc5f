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
use crate::release::{
    Hook, HookDeletePolicy, HookEvent, HookExecution, HookPhase, Release, Timestamp,
};

/// Runs every hook of `release` that fires on `event`. On failure the failing hook's
/// `last_run` says `Failed` and the error names the event and the hook.
pub async fn run_hooks(
    client: &Client,
    discovery: &Discovery,
    release: &mut Release,
    event: HookEvent,
    timeout: Duration,
) -> Result<(), Error> {
    run_selected_hooks(client, discovery, release, event, timeout, |_| true).await
}

/// [`run_hooks`] for the hooks `select` keeps (`rhelm test --filter`).
pub async fn run_selected_hooks(
    client: &Client,
    discovery: &Discovery,
    release: &mut Release,
    event: HookEvent,
    timeout: Duration,
    select: impl Fn(&Hook) -> bool,
) -> Result<(), Error> {
    let order: Vec<(String, String)> = hooks_for_event(&release.hooks, event)
        .into_iter()
        .filter(|h| select(h))
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
    // Jobs until complete, Pods until succeeded, with progress.
    super::wait::wait_hooks(client, resources, timeout).await?;
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

/// `rhelm test --filter`: `name=NAME` keeps only the named tests, `!name=NAME` skips them
/// (Helm's `--filter` syntax); several filters combine.
#[derive(Debug, Clone, Default)]
pub struct TestFilter {
    /// Tests to run (empty: all).
    pub include: Vec<String>,
    /// Tests to skip.
    pub exclude: Vec<String>,
}

impl TestFilter {
    /// Parses Helm's `--filter` values.
    pub fn parse(filters: &[String]) -> Result<Self, Error> {
        let mut filter = TestFilter::default();
        for item in filters.iter().flat_map(|f| f.split(',')) {
            let item = item.trim();
            if let Some(name) = item.strip_prefix("!name=") {
                filter.exclude.push(name.to_string());
            } else if let Some(name) = item.strip_prefix("name=") {
                filter.include.push(name.to_string());
            } else if !item.is_empty() {
                return Err(Error::InvalidOption(format!(
                    "invalid --filter {item:?}: expected name=NAME or !name=NAME"
                )));
            }
        }
        Ok(filter)
    }

    /// Whether the test hook `hook` runs.
    pub fn keeps(&self, hook: &Hook) -> bool {
        (self.include.is_empty() || self.include.contains(&hook.name))
            && !self.exclude.contains(&hook.name)
    }
}

/// What `rhelm test` did.
#[derive(Debug)]
pub struct TestOutcome {
    /// The release, its test hooks' `last_run` updated and recorded.
    pub release: Release,
    /// The first failure, if a test failed (the release is recorded anyway).
    pub failure: Option<Error>,
    /// `--logs`: the logs of each test Pod (or of the Pods of each test Job), by Pod name.
    pub logs: Vec<(String, String)>,
}

/// Runs the `test` hooks of release `name` (Helm's `helm test`), holding the release lock,
/// and records their outcome in the release.
pub async fn run_tests(
    ctx: &super::Context,
    name: &str,
    filter: &TestFilter,
    timeout: Duration,
    logs: bool,
) -> Result<TestOutcome, Error> {
    super::names::validate_release_name(name).map_err(Error::InvalidName)?;
    let mut notes = Vec::new();
    let work = async {
        let mut release = ctx.storage.last(name).await.map_err(Error::from_lookup)?;
        let discovery = ctx.discovery().await?;
        let failure = run_selected_hooks(
            &ctx.client,
            &discovery,
            &mut release,
            HookEvent::Test,
            timeout,
            |h| filter.keeps(h),
        )
        .await
        .err();
        ctx.storage.update(&release).await?;
        let logs = if logs {
            test_logs(ctx, &release, filter).await
        } else {
            Vec::new()
        };
        Ok(TestOutcome {
            release,
            failure,
            logs,
        })
    };
    let lock = super::lock::PendingPolicy::Allow;
    super::lock::with_lock(ctx, name, "test", lock, &mut notes, work).await
}

/// Logs of the test Pods, and of the Pods of test Jobs (label `job-name`).
async fn test_logs(
    ctx: &super::Context,
    release: &Release,
    filter: &TestFilter,
) -> Vec<(String, String)> {
    use k8s_openapi::api::core::v1::Pod;
    let pods: ::kube::Api<Pod> =
        ::kube::Api::namespaced(ctx.client.kube().clone(), &release.namespace);
    let mut out = Vec::new();
    for hook in hooks_for_event(&release.hooks, HookEvent::Test) {
        if !filter.keeps(hook) {
            continue;
        }
        let names: Vec<String> = match hook.kind.as_str() {
            "Pod" => vec![hook.name.clone()],
            "Job" => {
                let params =
                    ::kube::api::ListParams::default().labels(&format!("job-name={}", hook.name));
                match pods.list(&params).await {
                    Ok(list) => list
                        .items
                        .into_iter()
                        .filter_map(|p| p.metadata.name)
                        .collect(),
                    Err(e) => {
                        out.push((
                            hook.name.clone(),
                            format!("listing the Pods of Job {}: {e}", hook.name),
                        ));
                        continue;
                    }
                }
            }
            _ => continue,
        };
        for pod in names {
            let text = match pods.logs(&pod, &::kube::api::LogParams::default()).await {
                Ok(text) => text,
                Err(e) => format!("(no logs: {e})"),
            };
            out.push((pod, text));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(name: &str) -> Hook {
        Hook {
            name: name.to_string(),
            ..Hook::default()
        }
    }

    #[test]
    fn test_filters_include_by_name_and_exclude_with_a_bang() {
        let filter = TestFilter::parse(&["name=a,name=b".into(), "!name=b".into()]).unwrap();
        assert!(filter.keeps(&hook("a")));
        assert!(!filter.keeps(&hook("b")), "exclusion wins");
        assert!(!filter.keeps(&hook("c")), "not included");
        assert!(TestFilter::parse(&[]).unwrap().keeps(&hook("c")));
    }

    #[test]
    fn an_unknown_test_filter_is_refused() {
        assert!(TestFilter::parse(&["kind=Pod".into()]).is_err());
    }
}
