//! `uninstall`: delete a release's objects and its records (or keep them as `uninstalled`).
//!
//! Helm counterpart: `pkg/action/uninstall.go`.
use std::time::Duration;

use super::lock::{self, PendingPolicy};
use super::{Context, Error, deploy, hooks};
use crate::release::{HookEvent, Release, Status, Timestamp};

/// Options of [`uninstall`].
#[derive(Debug, Clone)]
pub struct UninstallOptions {
    /// Release name.
    pub name: String,
    /// `--keep-history`: keep the records, marked `uninstalled`.
    pub keep_history: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// Run hooks (not `--no-hooks`).
    pub run_hooks: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--description`.
    pub description: Option<String>,
    /// `--wait`: wait until the deleted objects are gone.
    pub wait: bool,
}

/// What an uninstall did.
#[derive(Debug)]
pub struct UninstallOutcome {
    /// The last revision, as it was finally recorded (or deleted).
    pub release: Release,
    /// Notes for `--debug` (kept objects, skipped ones).
    pub notes: Vec<String>,
}

/// Uninstalls release `options.name`, holding the release lock (see [`super::lock`])
/// unless it is a dry run.
pub async fn uninstall(
    ctx: &Context,
    options: &UninstallOptions,
) -> Result<UninstallOutcome, Error> {
    super::names::validate_release_name(&options.name).map_err(Error::InvalidName)?;
    if options.dry_run {
        return uninstall_unlocked(ctx, options).await;
    }
    // Without history there is nothing to lock (and `--ignore-not-found` needs the error).
    ctx.storage
        .last(&options.name)
        .await
        .map_err(Error::from_lookup)?;
    let mut notes = Vec::new();
    let work = uninstall_unlocked(ctx, options);
    let mut outcome = lock::with_lock(
        ctx,
        &options.name,
        "uninstall",
        PendingPolicy::Allow,
        &mut notes,
        work,
    )
    .await?;
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}

/// [`uninstall`] for a caller that already holds the lock (rollback-on-failure of install).
pub(crate) async fn uninstall_unlocked(
    ctx: &Context,
    options: &UninstallOptions,
) -> Result<UninstallOutcome, Error> {
    let mut last = ctx
        .storage
        .last(&options.name)
        .await
        .map_err(Error::from_lookup)?;
    if options.dry_run {
        return Ok(UninstallOutcome {
            release: last,
            notes: Vec::new(),
        });
    }
    if last.info.status == Status::Uninstalled {
        if options.keep_history {
            return Err(Error::InvalidOption(format!(
                "the release named {:?} is already deleted",
                options.name
            )));
        }
        // Records kept by an earlier --keep-history: purge them now.
        purge(ctx, &options.name).await?;
        return Ok(UninstallOutcome {
            release: last,
            notes: Vec::new(),
        });
    }

    last.set_status(
        Status::Uninstalling,
        "Deletion in progress (or silently failed)",
    );
    last.info.deleted = Some(Timestamp::now());
    ctx.storage.update(&last).await?;

    let discovery = ctx.discovery().await?;
    if options.run_hooks {
        hooks::run_hooks(
            &ctx.client,
            &discovery,
            &mut last,
            HookEvent::PreDelete,
            options.timeout,
        )
        .await?;
    }
    let report = deploy::delete_manifest(
        &ctx.client,
        &discovery,
        &last.namespace,
        &last.manifest,
        false,
    )
    .await?;
    if options.wait {
        super::wait::wait_deleted(ctx, &discovery, &last.manifest, options.timeout).await?;
    }
    if options.run_hooks {
        hooks::run_hooks(
            &ctx.client,
            &discovery,
            &mut last,
            HookEvent::PostDelete,
            options.timeout,
        )
        .await?;
    }
    last.set_status(
        Status::Uninstalled,
        options
            .description
            .clone()
            .unwrap_or_else(|| "Uninstallation complete".into()),
    );
    if options.keep_history {
        ctx.storage.update(&last).await?;
    } else {
        purge(ctx, &options.name).await?;
    }
    Ok(UninstallOutcome {
        release: last,
        notes: report.notes,
    })
}

/// Deletes every record of the release.
async fn purge(ctx: &Context, name: &str) -> Result<(), Error> {
    for info in ctx.storage.revisions(name).await? {
        ctx.storage.delete(name, info.revision).await?;
    }
    Ok(())
}
