//! `rollback`: re-apply a previous revision's stored manifest as a new revision.
//!
//! Helm counterpart: `pkg/action/rollback.go`. Nothing is re-rendered: the target
//! revision's chart, values, manifest and hooks are copied into revision `last + 1`
//! ("Rollback to N"), applied, and every previously deployed revision is superseded.
use std::time::Duration;

use super::deploy::{self, DeployOptions};
use super::lock::{self, PendingPolicy};
use super::upgrade::ServerSidePolicy;
use super::{Context, Error};
use crate::kube::{Adoption, OwnershipPolicy};
use crate::release::manifest::{self, KindOrder};
use crate::release::{self, HookEvent, Info, Release, Status, Timestamp};

/// Options of [`rollback`].
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// Release name.
    pub name: String,
    /// Target revision; `None` = the one before the last.
    pub revision: Option<u32>,
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
    /// `--dry-run=server`: also send every object to the server as a dry-run apply.
    pub dry_run_server: bool,
    /// `--wait-for-jobs`: with `--wait`, also wait for Jobs to complete.
    pub wait_for_jobs: bool,
    /// `--recover`: first mark a pending last revision (no lock held) failed.
    pub recover: bool,
    /// `--cleanup-on-fail`: delete the objects this rollback created when it fails.
    pub cleanup_on_fail: bool,
}

/// What a rollback did.
#[derive(Debug)]
pub struct RollbackOutcome {
    /// The new revision.
    pub release: Release,
    /// Notes for `--debug`.
    pub notes: Vec<String>,
}

/// Rolls release `options.name` back to `options.revision`, holding the release lock (see
/// [`super::lock`]) unless it is a dry run. As in Helm, a pending last revision does not
/// stop a rollback (it is the way out of a stuck release); `--recover` marks it failed first.
pub async fn rollback(ctx: &Context, options: &RollbackOptions) -> Result<RollbackOutcome, Error> {
    super::names::validate_release_name(&options.name).map_err(Error::InvalidName)?;
    if options.dry_run {
        return rollback_unlocked(ctx, options).await;
    }
    let policy = if options.recover {
        PendingPolicy::Recover
    } else {
        PendingPolicy::Allow
    };
    let mut notes = Vec::new();
    let work = rollback_unlocked(ctx, options);
    let mut outcome =
        lock::with_lock(ctx, &options.name, "rollback", policy, &mut notes, work).await?;
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}

/// [`rollback`] for a caller that already holds the lock (rollback-on-failure).
pub(crate) async fn rollback_unlocked(
    ctx: &Context,
    options: &RollbackOptions,
) -> Result<RollbackOutcome, Error> {
    let mut current = ctx
        .storage
        .last(&options.name)
        .await
        .map_err(Error::from_lookup)?;
    // Helm's rollback does not refuse a pending last revision: it is how a release stuck
    // in pending-* is recovered.
    let target_revision = options
        .revision
        .filter(|r| *r > 0)
        .unwrap_or(current.revision.saturating_sub(1));
    let target = match ctx.storage.get(&options.name, target_revision).await {
        Ok(target) => target,
        Err(crate::storage::Error::NotFound { .. }) => {
            return Err(Error::NoSuchRevision(target_revision));
        }
        Err(other) => return Err(other.into()),
    };
    let server_side = options.server_side.resolve(target.apply_method);
    let mut rolled = Release {
        name: options.name.clone(),
        namespace: current.namespace.clone(),
        info: Info {
            first_deployed: current.info.first_deployed,
            last_deployed: Some(Timestamp::now()),
            status: Status::PendingRollback,
            description: format!("Rollback to {target_revision}"),
            notes: target.info.notes.clone(),
            ..Info::default()
        },
        chart: target.chart.clone(),
        config: target.config.clone(),
        manifest: target.manifest.clone(),
        hooks: target.hooks.clone(),
        revision: current.revision + 1,
        labels: target.labels.clone(),
        apply_method: Some(if server_side {
            release::ApplyMethod::Ssa
        } else {
            release::ApplyMethod::Csa
        }),
    };

    let discovery = ctx.discovery().await?;
    let mut documents = manifest::documents_from_manifest(&rolled.manifest)?;
    manifest::sort_documents(&mut documents, KindOrder::Install);
    let plan = deploy::plan(
        &ctx.client,
        &discovery,
        &rolled.name,
        &rolled.namespace,
        &documents,
        Some(&current.manifest),
        Adoption::Update,
        OwnershipPolicy::Check,
    )
    .await?;
    let mut notes = Vec::new();
    let apply = DeployOptions::new(server_side, options.force_conflicts);
    if options.dry_run {
        if options.dry_run_server {
            let report = deploy::execute(&ctx.client, &plan, apply.as_dry_run()).await?;
            notes.extend(report.notes);
        }
        return Ok(RollbackOutcome {
            release: rolled,
            notes,
        });
    }

    create_revision(ctx, &rolled, options.history_max, &mut notes).await?;
    let rollout = deploy::Rollout {
        hooks: (HookEvent::PreRollback, HookEvent::PostRollback),
        run_hooks: options.run_hooks,
        name_hook_phase: false,
        apply,
        wait: options.wait,
        wait_for_jobs: options.wait_for_jobs,
        timeout: options.timeout,
    };
    let result = deploy::roll_out(&ctx.client, &discovery, &plan, &mut rolled, &rollout)
        .await
        .map(|applied| notes.extend(applied));

    match result {
        Ok(()) => {
            // Supersede every deployed revision (Helm issue #2941), not only the last.
            loop {
                match ctx.storage.deployed(&options.name).await {
                    Ok(mut deployed) if deployed.revision != rolled.revision => {
                        deployed.info.status = Status::Superseded;
                        ctx.storage.update(&deployed).await?;
                    }
                    Ok(_) | Err(crate::storage::Error::NoDeployed { .. }) => break,
                    Err(other) => return Err(other.into()),
                }
            }
            // Only deployed revisions are superseded (above): a failed or pending last
            // revision keeps its status, as in Helm's `performRollback`.
            rolled.set_status(Status::Deployed, format!("Rollback to {target_revision}"));
            ctx.storage.update(&rolled).await?;
            Ok(RollbackOutcome {
                release: rolled,
                notes,
            })
        }
        Err(error) => {
            current.info.status = Status::Superseded;
            rolled.set_status(
                Status::Failed,
                format!("Rollback {:?} failed: {error}", rolled.name),
            );
            for record in [&current, &rolled] {
                if let Err(record_error) = ctx.storage.update(record).await {
                    notes.push(format!("recording the failed rollback: {record_error}"));
                }
            }
            if options.cleanup_on_fail {
                super::upgrade::cleanup_created(ctx, &plan, &mut notes).await;
            }
            Err(error)
        }
    }
}

/// Records a new revision after applying `--history-max` as Helm's storage does on every
/// create: the oldest revisions go until `max - 1` remain (never the last deployed one).
/// A failed prune is only a note, as in Helm.
pub(crate) async fn create_revision(
    ctx: &Context,
    release: &Release,
    max: usize,
    notes: &mut Vec<String>,
) -> Result<(), Error> {
    if max > 0 {
        prune(ctx, &release.name, max - 1, notes).await;
    }
    ctx.storage.create(release).await?;
    Ok(())
}

async fn prune(ctx: &Context, name: &str, max: usize, notes: &mut Vec<String>) {
    match ctx.storage.prune_history(name, max).await {
        Ok(pruned) if !pruned.is_empty() => notes.push(format!("pruned revisions {pruned:?}")),
        Ok(_) => {}
        Err(error) => notes.push(format!("pruning history of {name:?}: {error}")),
    }
}
