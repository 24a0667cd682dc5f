//! `install`: render a chart and create its objects as revision 1 of a new release.
//!
//! Helm counterpart: `pkg/action/install.go`. Everything that can be refused (name, chart,
//! values, rendering, unknown kinds, ownership of existing objects) is checked before the
//! `pending-install` record is written; a failure after that leaves a `failed` record.
use std::time::Duration;

use serde_json::{Map, Value};

use super::deploy::{self, DeployOptions};
use super::render::{RenderRequest, cluster_capabilities, render_chart};
use super::{Context, Error, hooks};
use crate::chart::Chart;
use crate::engine::ReleaseInfo;
use crate::kube::{Adoption, ApplyMethod};
use crate::release::{self, HookEvent, Info, Release, Status, Timestamp};

/// Options of [`install`].
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Release name.
    pub name: String,
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
}

/// What an install did.
#[derive(Debug)]
pub struct InstallOutcome {
    /// The release as recorded (or as it would be, on a dry run).
    pub release: Release,
    /// Notes for `--debug` (apply fallbacks, skipped hooks).
    pub notes: Vec<String>,
}

/// Installs `chart` as release `options.name` in the context's namespace.
pub async fn install(
    ctx: &Context,
    chart: &Chart,
    options: &InstallOptions,
) -> Result<InstallOutcome, Error> {
    super::names::validate_release_name(&options.name).map_err(Error::InvalidName)?;
    if chart.metadata.chart_type == "library" {
        return Err(Error::LibraryChart);
    }
    crate::chart::check_kube_version(chart, &ctx.client.server_version().git_version)?;
    ensure_name_available(ctx, &options.name).await?;

    let discovery = ctx.discovery().await?;
    let rendered = render_chart(
        chart,
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
        },
    )?;
    let mut notes: Vec<String> = rendered
        .skipped_hooks
        .iter()
        .map(|s| format!("skipping unknown hook {:?} of {}", s.hook_types, s.path))
        .collect();

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
        manifest: rendered.manifest.clone(),
        hooks: rendered.hooks.clone(),
        revision: 1,
        apply_method: Some(if options.server_side {
            release::ApplyMethod::Ssa
        } else {
            release::ApplyMethod::Csa
        }),
        ..Release::default()
    };

    if options.create_namespace && !options.dry_run {
        crate::kube::ensure_namespace(&ctx.client, &ctx.namespace).await?;
    }
    let plan = deploy::plan(
        &ctx.client,
        &discovery,
        &release.name,
        &release.namespace,
        &rendered.documents,
        None,
        Adoption::Install,
    )
    .await?;

    if options.dry_run {
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
    let result = async {
        if options.run_hooks {
            hooks::run_hooks(
                &ctx.client,
                &discovery,
                &mut release,
                HookEvent::PreInstall,
                options.timeout,
            )
            .await?;
        }
        let report = deploy::execute(
            &ctx.client,
            &plan,
            DeployOptions {
                method: if options.server_side {
                    ApplyMethod::ServerSide
                } else {
                    ApplyMethod::ClientSide
                },
                force_conflicts: options.force_conflicts,
                dry_run: false,
            },
        )
        .await?;
        notes.extend(report.notes);
        if options.wait {
            crate::kube::wait_ready(&ctx.client, &plan.target, options.timeout).await?;
        }
        if options.run_hooks {
            hooks::run_hooks(
                &ctx.client,
                &discovery,
                &mut release,
                HookEvent::PostInstall,
                options.timeout,
            )
            .await?;
        }
        Ok::<(), Error>(())
    }
    .await;

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
            Err(error)
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
