//! `upgrade`: render a chart again and move the release to a new revision.
//!
//! Helm counterpart: `pkg/action/upgrade.go`. Only the last revision and the last deployed
//! one are read (by label), so the cost does not grow with the history. Planning
//! (values, rendering, object mapping, ownership of new objects) happens before the
//! `pending-upgrade` record is written.
use std::time::Duration;

use serde_json::{Map, Value};

use super::deploy::{self, DeployOptions};
use super::lock::{self, PendingPolicy};
use super::render::{RenderFlags, RenderRequest, cluster_capabilities, render_chart};
use super::{Context, Error};
use crate::chart::Chart;
use crate::engine::ReleaseInfo;
use crate::kube::Adoption;
use crate::release::{self, HookEvent, Info, Release, Status, Timestamp};

/// How an upgrade combines the previous release's values with the new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValuesPolicy {
    /// Helm's default: reuse the previous values only when none are given.
    #[default]
    Default,
    /// `--reuse-values`: previous values (over the previous chart's defaults) plus overrides.
    Reuse,
    /// `--reset-values`: the chart's defaults plus overrides only.
    Reset,
    /// `--reset-then-reuse-values`: the new chart's defaults, previous values, overrides.
    ResetThenReuse,
}

/// Whether to apply server-side (Helm 4's `--server-side`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerSidePolicy {
    /// As the previous revision was applied.
    #[default]
    Auto,
    /// Server-side apply.
    Always,
    /// Client-side apply.
    Never,
}

impl ServerSidePolicy {
    /// Resolves the policy against the previous revision's recorded method.
    pub fn resolve(self, previous: Option<release::ApplyMethod>) -> bool {
        match self {
            ServerSidePolicy::Auto => previous == Some(release::ApplyMethod::Ssa),
            ServerSidePolicy::Always => true,
            ServerSidePolicy::Never => false,
        }
    }
}

/// Options of [`upgrade`].
#[derive(Debug, Clone)]
pub struct UpgradeOptions {
    /// Release name.
    pub name: String,
    /// `--enable-dns`, `--skip-schema-validation`.
    pub render: RenderFlags,
    /// The chart's templates parsed ahead by [`super::render::load_chart`], if they were.
    pub preparse: Option<std::sync::Arc<crate::engine::Preparse>>,
    /// User-supplied values of this command.
    pub values: Map<String, Value>,
    /// How to combine them with the previous release's.
    pub values_policy: ValuesPolicy,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--server-side`.
    pub server_side: ServerSidePolicy,
    /// `--force-conflicts`.
    pub force_conflicts: bool,
    /// Run hooks (not `--no-hooks`).
    pub run_hooks: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--wait`.
    pub wait: bool,
    /// `--history-max` (0 = unlimited).
    pub history_max: usize,
    /// `--description`.
    pub description: Option<String>,
    /// `--dry-run=server`: also send every object to the server as a dry-run apply.
    pub dry_run_server: bool,
    /// `--wait-for-jobs`: with `--wait`, also wait for Jobs to complete.
    pub wait_for_jobs: bool,
    /// `--atomic` / `--rollback-on-failure`: roll back to the last successful revision when
    /// the upgrade fails (implies `--wait`).
    pub atomic: bool,
    /// `--cleanup-on-fail`: delete the objects this upgrade created when it fails.
    pub cleanup_on_fail: bool,
    /// `--take-ownership`: adopt existing objects whatever their ownership metadata says.
    pub take_ownership: bool,
    /// `--recover`: a pending last revision with no lock held is marked failed, not refused.
    pub recover: bool,
    /// `--upgrade-crds`: apply the chart's changed `crds/` files before upgrading.
    pub upgrade_crds: bool,
}

/// What an upgrade did.
#[derive(Debug)]
pub struct UpgradeOutcome {
    /// The new revision as recorded.
    pub release: Release,
    /// Notes for `--debug`.
    pub notes: Vec<String>,
}

/// Upgrades release `options.name` to `chart`, holding the release lock (see
/// [`super::lock`]) unless it is a dry run.
pub async fn upgrade(
    ctx: &Context,
    chart: &Chart,
    options: &UpgradeOptions,
) -> Result<UpgradeOutcome, Error> {
    super::names::validate_release_name(&options.name).map_err(Error::InvalidName)?;
    if options.dry_run {
        return upgrade_unlocked(ctx, chart, options).await;
    }
    let policy = if options.recover {
        PendingPolicy::Recover
    } else {
        PendingPolicy::Refuse
    };
    let mut notes = Vec::new();
    let work = upgrade_unlocked(ctx, chart, options);
    let mut outcome =
        lock::with_lock(ctx, &options.name, "upgrade", policy, &mut notes, work).await?;
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}

async fn upgrade_unlocked(
    ctx: &Context,
    chart: &Chart,
    options: &UpgradeOptions,
) -> Result<UpgradeOutcome, Error> {
    crate::chart::check_kube_version(chart, &ctx.client.server_version().git_version)?;
    let last = match ctx.storage.last(&options.name).await {
        Ok(last) => last,
        Err(crate::storage::Error::NotFound { .. } | crate::storage::Error::NoRevision { .. }) => {
            return Err(Error::NoDeployedReleases(options.name.clone()));
        }
        Err(other) => return Err(other.into()),
    };
    if last.info.status.is_pending() {
        return Err(Error::StuckPending {
            name: options.name.clone(),
            revision: last.revision,
            status: last.info.status,
        });
    }
    let mut current = if last.info.status == Status::Deployed {
        last.clone()
    } else {
        match ctx.storage.deployed(&options.name).await {
            Ok(deployed) => deployed,
            Err(crate::storage::Error::NoDeployed { .. })
                if matches!(last.info.status, Status::Failed | Status::Superseded) =>
            {
                last.clone()
            }
            Err(crate::storage::Error::NoDeployed { .. }) => {
                return Err(Error::NoDeployedReleases(options.name.clone()));
            }
            Err(other) => return Err(other.into()),
        }
    };

    let mut chart = chart.clone();
    let values =
        merge_previous_values(&mut chart, &current, &options.values, options.values_policy)?;
    let revision = last.revision + 1;
    let mut discovery = ctx.discovery().await?;
    let mut notes = Vec::new();
    if options.upgrade_crds && !options.dry_run {
        let crds =
            super::crds::upgrade_crds(&ctx.client, &discovery, &chart, options.timeout).await?;
        if !crds.changed.is_empty() {
            notes.extend(
                crds.changed
                    .iter()
                    .map(|c| format!("applied changed CRD {c}")),
            );
            discovery = super::crds::rediscover(&ctx.client, &crds, options.timeout).await?;
        }
    }
    let rendered = render_chart(
        chart,
        &values,
        RenderRequest {
            release: ReleaseInfo {
                name: options.name.clone(),
                namespace: current.namespace.clone(),
                revision,
                is_install: false,
                is_upgrade: true,
                service: "Helm".to_string(),
            },
            capabilities: cluster_capabilities(&ctx.client, &discovery),
            cluster: Some((&ctx.client, &discovery)),
            flags: options.render,
            preparse: options.preparse.as_deref(),
        },
    )?;
    let server_side = options.server_side.resolve(last.apply_method);
    let mut upgraded = Release {
        name: options.name.clone(),
        namespace: current.namespace.clone(),
        info: Info {
            first_deployed: current.info.first_deployed,
            last_deployed: Some(Timestamp::now()),
            status: Status::PendingUpgrade,
            description: "Preparing upgrade".to_string(),
            notes: rendered.notes.clone(),
            ..Info::default()
        },
        chart: rendered.chart.clone(),
        config: values,
        manifest: rendered.manifest(),
        hooks: rendered.hooks.clone(),
        revision,
        labels: last.labels.clone(),
        apply_method: Some(if server_side {
            release::ApplyMethod::Ssa
        } else {
            release::ApplyMethod::Csa
        }),
    };
    let plan = deploy::plan(
        &ctx.client,
        &discovery,
        &upgraded.name,
        &upgraded.namespace,
        &rendered.documents,
        Some(&current.manifest),
        Adoption::Update,
        deploy::ownership_policy(options.take_ownership),
    )
    .await?;
    let apply = DeployOptions::new(server_side, options.force_conflicts);
    if options.dry_run {
        if options.dry_run_server {
            let report = deploy::execute(&ctx.client, &plan, apply.as_dry_run()).await?;
            notes.extend(report.notes);
        }
        upgraded.info.description = options
            .description
            .clone()
            .unwrap_or_else(|| "Dry run complete".into());
        return Ok(UpgradeOutcome {
            release: upgraded,
            notes,
        });
    }

    super::rollback::create_revision(ctx, &upgraded, options.history_max, &mut notes).await?;
    let wait = options.wait || options.atomic;
    let rollout = deploy::Rollout {
        hooks: (HookEvent::PreUpgrade, HookEvent::PostUpgrade),
        run_hooks: options.run_hooks,
        name_hook_phase: true,
        apply,
        wait,
        wait_for_jobs: options.wait_for_jobs,
        timeout: options.timeout,
    };
    let result = deploy::roll_out(&ctx.client, &discovery, &plan, &mut upgraded, &rollout)
        .await
        .map(|applied| notes.extend(applied));

    match result {
        Ok(()) => {
            current.info.status = Status::Superseded;
            ctx.storage.update(&current).await?;
            upgraded.set_status(
                Status::Deployed,
                options
                    .description
                    .clone()
                    .unwrap_or_else(|| "Upgrade complete".into()),
            );
            ctx.storage.update(&upgraded).await?;
            Ok(UpgradeOutcome {
                release: upgraded,
                notes,
            })
        }
        Err(error) => {
            upgraded.set_status(
                Status::Failed,
                format!("Upgrade {:?} failed: {error}", upgraded.name),
            );
            if let Err(record_error) = ctx.storage.update(&upgraded).await {
                notes.push(format!("recording the failed upgrade: {record_error}"));
            }
            if options.cleanup_on_fail {
                cleanup_created(ctx, &plan, &mut notes).await;
            }
            if !options.atomic {
                return Err(error);
            }
            Err(roll_back_failed_upgrade(ctx, options, error).await)
        }
    }
}

/// `--cleanup-on-fail`: deletes the objects that are new in this revision (absent from the
/// previous manifest). Best effort: failures become notes.
pub(crate) async fn cleanup_created(
    ctx: &Context,
    plan: &deploy::DeployPlan,
    notes: &mut Vec<String>,
) {
    let previous: std::collections::HashSet<_> = plan.current.iter().map(|r| r.key()).collect();
    let created: Vec<_> = plan
        .target
        .iter()
        .filter(|r| !previous.contains(&r.key()))
        .cloned()
        .collect();
    if created.is_empty() {
        return;
    }
    let report = crate::kube::delete(
        &ctx.client,
        &created,
        &crate::kube::DeleteOptions::default(),
    )
    .await;
    for key in &report.deleted {
        notes.push(format!(
            "cleanup-on-fail: deleted {} {:?}",
            key.kind, key.name
        ));
    }
    for failure in &report.failed {
        notes.push(format!(
            "cleanup-on-fail: deleting {} {:?}: {}",
            failure.key.kind, failure.key.name, failure.error
        ));
    }
}

/// Helm's rollback-on-failure for an upgrade: roll back to the newest deployed or
/// superseded revision; the error says what happened in Helm's words.
async fn roll_back_failed_upgrade(ctx: &Context, options: &UpgradeOptions, error: Error) -> Error {
    let name = &options.name;
    let target = match ctx.storage.history(name).await {
        Ok(history) => history
            .iter()
            .filter(|r| matches!(r.info.status, Status::Deployed | Status::Superseded))
            .map(|r| r.revision)
            .max(),
        Err(e) => {
            return Error::RolledBack(format!(
                "an error occurred while rolling back the release. original upgrade error: {error}: {e}"
            ));
        }
    };
    let Some(target) = target else {
        return Error::RolledBack(format!(
            "unable to find a previously successful release when attempting to rollback. original upgrade error: {error}"
        ));
    };
    let rollback = super::rollback::RollbackOptions {
        name: name.clone(),
        revision: Some(target),
        dry_run: false,
        dry_run_server: false,
        server_side: options.server_side,
        force_conflicts: options.force_conflicts,
        run_hooks: options.run_hooks,
        timeout: options.timeout,
        wait: true,
        wait_for_jobs: options.wait_for_jobs,
        history_max: options.history_max,
        recover: false,
        cleanup_on_fail: options.cleanup_on_fail,
    };
    match super::rollback::rollback_unlocked(ctx, &rollback).await {
        Ok(_) => Error::RolledBack(format!(
            "release {name} failed, and has been rolled back due to rollback-on-failure being set: {error}"
        )),
        Err(rollback_error) => Error::RolledBack(format!(
            "an error occurred while rolling back the release. original upgrade error: {error}: {rollback_error}"
        )),
    }
}

/// Helm's `reuseValues`: decides which user values the new revision records and renders with.
pub fn merge_previous_values(
    chart: &mut Chart,
    current: &Release,
    new_values: &Map<String, Value>,
    policy: ValuesPolicy,
) -> Result<Map<String, Value>, Error> {
    Ok(match policy {
        ValuesPolicy::Reset => new_values.clone(),
        ValuesPolicy::Reuse => {
            // The previous chart's defaults (with the previous values) become the defaults.
            chart.values = crate::chart::coalesce_values(&current.chart, &current.config)?;
            crate::chart::coalesce_tables(new_values.clone(), current.config.clone())
        }
        ValuesPolicy::ResetThenReuse => {
            crate::chart::coalesce_tables(new_values.clone(), current.config.clone())
        }
        ValuesPolicy::Default => {
            if new_values.is_empty() && !current.config.is_empty() {
                current.config.clone()
            } else {
                new_values.clone()
            }
        }
    })
}
