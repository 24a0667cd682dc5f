//! `install`: render a chart and create its objects as revision 1 of a new release.
//!
//! Helm counterpart: `pkg/action/install.go`. Everything that can be refused (name, chart,
//! values, rendering, unknown kinds, ownership of existing objects) is checked before the
//! `pending-install` record is written; a failure after that leaves a `failed` record.
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

/// Options of [`install`].
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Release name.
    pub name: String,
    /// `--enable-dns`, `--skip-schema-validation`.
    pub render: RenderFlags,
    /// The chart's templates parsed ahead by [`super::render::load_chart`], if they were.
    pub preparse: Option<std::sync::Arc<crate::engine::Preparse>>,
    /// User-supplied values (already merged from -f/--set…).
    pub values: Map<String, Value>,
    /// `--create-namespace`.
    pub create_namespace: bool,
    /// `--dry-run`: render and check, write nothing.
    pub dry_run: bool,
    /// Server-side apply (Helm 4's default) or client-side.
    pub server_side: bool,
    /// `--force-conflicts`.
    pub force_conflicts: bool,
    /// Run hooks (not `--no-hooks`).
    pub run_hooks: bool,
    /// `--timeout` for hooks and waiting.
    pub timeout: Duration,
    /// `--wait`: wait for the objects to be ready.
    pub wait: bool,
    /// `--description`.
    pub description: Option<String>,
    /// `--dry-run=server`: also send every object to the server as a dry-run apply.
    pub dry_run_server: bool,
    /// `--wait-for-jobs`: with `--wait`, also wait for Jobs to complete.
    pub wait_for_jobs: bool,
    /// `--atomic` / `--rollback-on-failure`: uninstall when the install fails (implies `--wait`).
    pub atomic: bool,
    /// `--take-ownership`: adopt existing objects whatever their ownership metadata says.
    pub take_ownership: bool,
    /// `--skip-crds`: do not create the CRDs of the chart's `crds/` directories.
    pub skip_crds: bool,
}

/// What an install did.
#[derive(Debug)]
pub struct InstallOutcome {
    /// The release as recorded (or as it would be, on a dry run).
    pub release: Release,
    /// Notes for `--debug` (apply fallbacks, skipped hooks).
    pub notes: Vec<String>,
}

/// Installs `chart` as release `options.name` in the context's namespace, holding the
/// release lock (see [`super::lock`]) unless it is a dry run.
pub async fn install(
    ctx: &Context,
    chart: &Chart,
    options: &InstallOptions,
) -> Result<InstallOutcome, Error> {
    super::names::validate_release_name(&options.name).map_err(Error::InvalidName)?;
    if chart.metadata.chart_type == "library" {
        return Err(Error::LibraryChart);
    }
    if options.dry_run {
        return install_unlocked(ctx, chart, options).await;
    }
    // The lock's Lease lives in the release namespace.
    if options.create_namespace {
        crate::kube::ensure_namespace(&ctx.client, &ctx.namespace).await?;
    }
    let mut notes = Vec::new();
    let work = install_unlocked(ctx, chart, options);
    let mut outcome = lock::with_lock(
        ctx,
        &options.name,
        "install",
        PendingPolicy::Allow,
        &mut notes,
        work,
    )
    .await?;
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}

async fn install_unlocked(
    ctx: &Context,
    chart: &Chart,
    options: &InstallOptions,
) -> Result<InstallOutcome, Error> {
    crate::chart::check_kube_version(chart, &ctx.client.server_version().git_version)?;
    ensure_name_available(ctx, &options.name).await?;

    let mut discovery = ctx.discovery().await?;
    let mut notes: Vec<String> = Vec::new();
    if !options.skip_crds && !options.dry_run {
        let crds =
            super::crds::install_crds(&ctx.client, &discovery, chart, options.timeout).await?;
        if !crds.changed.is_empty() {
            notes.extend(crds.changed.iter().map(|c| format!("created CRD {c}")));
            // Discovery must serve the new kinds before the templates are mapped.
            discovery = super::crds::rediscover(&ctx.client, &crds, options.timeout).await?;
        }
    }
    let rendered = render_chart(
        chart.clone(),
        &options.values,
        RenderRequest {
            release: ReleaseInfo {
                name: options.name.clone(),
                namespace: ctx.namespace.clone(),
                revision: 1,
                is_install: true,
                is_upgrade: false,
                service: "Helm".to_string(),
            },
            capabilities: cluster_capabilities(&ctx.client, &discovery),
            cluster: Some((&ctx.client, &discovery)),
            flags: options.render,
            preparse: options.preparse.as_deref(),
        },
    )?;
    notes.extend(
        rendered
            .skipped_hooks
            .iter()
            .map(|s| format!("skipping unknown hook {:?} of {}", s.hook_types, s.path)),
    );

    let now = Timestamp::now();
    let mut release = Release {
        name: options.name.clone(),
        namespace: ctx.namespace.clone(),
        info: Info {
            first_deployed: Some(now),
            last_deployed: Some(now),
            status: Status::PendingInstall,
            description: "Initial install underway".to_string(),
            notes: rendered.notes.clone(),
            ..Info::default()
        },
        chart: rendered.chart.clone(),
        config: options.values.clone(),
        manifest: rendered.manifest(),
        hooks: rendered.hooks.clone(),
        revision: 1,
        apply_method: Some(if options.server_side {
            release::ApplyMethod::Ssa
        } else {
            release::ApplyMethod::Csa
        }),
        ..Release::default()
    };

    let plan = deploy::plan(
        &ctx.client,
        &discovery,
        &release.name,
        &release.namespace,
        &rendered.documents,
        None,
        Adoption::Install,
        deploy::ownership_policy(options.take_ownership),
    )
    .await?;
    let apply = DeployOptions::new(options.server_side, options.force_conflicts);
    if options.dry_run {
        if options.dry_run_server {
            let report = deploy::execute(&ctx.client, &plan, apply.as_dry_run()).await?;
            notes.extend(report.notes);
        }
        release.set_status(
            Status::PendingInstall,
            options
                .description
                .clone()
                .unwrap_or_else(|| "Dry run complete".into()),
        );
        return Ok(InstallOutcome { release, notes });
    }

    ctx.storage.create(&release).await?;
    let wait = options.wait || options.atomic;
    let rollout = deploy::Rollout {
        hooks: (HookEvent::PreInstall, HookEvent::PostInstall),
        run_hooks: options.run_hooks,
        name_hook_phase: false,
        apply,
        wait,
        wait_for_jobs: options.wait_for_jobs,
        timeout: options.timeout,
    };
    let result = deploy::roll_out(&ctx.client, &discovery, &plan, &mut release, &rollout)
        .await
        .map(|applied| notes.extend(applied));

    match result {
        Ok(()) => {
            release.set_status(
                Status::Deployed,
                options
                    .description
                    .clone()
                    .unwrap_or_else(|| "Install complete".into()),
            );
            ctx.storage.update(&release).await?;
            Ok(InstallOutcome { release, notes })
        }
        Err(error) => {
            release.set_status(
                Status::Failed,
                format!("Release {:?} failed: {error}", release.name),
            );
            // Recording the failure must not hide the original error.
            if let Err(record_error) = ctx.storage.update(&release).await {
                notes.push(format!("recording the failed release: {record_error}"));
            }
            if !options.atomic {
                return Err(error);
            }
            // Helm's rollback-on-failure for an install: uninstall what was created.
            let uninstall = super::uninstall::UninstallOptions {
                name: options.name.clone(),
                keep_history: false,
                dry_run: false,
                run_hooks: options.run_hooks,
                timeout: options.timeout,
                description: None,
                wait: false,
            };
            match super::uninstall::uninstall_unlocked(ctx, &uninstall).await {
                Ok(_) => Err(Error::RolledBack(format!(
                    "release {} failed, and has been uninstalled due to rollback-on-failure being set: {error}",
                    options.name
                ))),
                Err(uninstall_error) => Err(Error::RolledBack(format!(
                    "release {} failed on install: {error}; uninstalling it (rollback-on-failure) also failed: {uninstall_error}",
                    options.name
                ))),
            }
        }
    }
}

/// Helm refuses to install over any existing history of the name.
async fn ensure_name_available(ctx: &Context, name: &str) -> Result<(), Error> {
    match ctx.storage.last(name).await {
        Ok(_) => Err(Error::NameInUse),
        Err(crate::storage::Error::NotFound { .. } | crate::storage::Error::NoRevision { .. }) => {
            Ok(())
        }
        Err(other) => Err(other.into()),
    }
}
