//! `upgrade`: render a chart again and move the release to a new revision.
//!
//! Helm counterpart: `pkg/action/upgrade.go`. Only the last revision and the last deployed
//! one are read (by label), so the cost does not grow with the history. Planning
//! (values, rendering, object mapping, ownership of new objects) happens before the
//! `pending-upgrade` record is written.
use std::time::Duration;

use serde_json::{Map, Value};

use super::deploy::{self, DeployOptions};
use super::render::{RenderRequest, cluster_capabilities, render_chart};
use super::{Context, Error, hooks};
use crate::chart::Chart;
use crate::engine::ReleaseInfo;
use crate::kube::{Adoption, ApplyMethod};
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
}

/// What an upgrade did.
#[derive(Debug)]
pub struct UpgradeOutcome {
    /// The new revision as recorded.
    pub release: Release,
    /// Notes for `--debug`.
    pub notes: Vec<String>,
}

/// Upgrades release `options.name` to `chart`.
pub async fn upgrade(
    ctx: &Context,
    chart: &Chart,
    options: &UpgradeOptions,
) -> Result<UpgradeOutcome, Error> {
    super::names::validate_release_name(&options.name).map_err(Error::InvalidName)?;
    crate::chart::check_kube_version(chart, &ctx.client.server_version().git_version)?;
    let last = match ctx.storage.last(&options.name).await {
        Ok(last) => last,
        Err(crate::storage::Error::NotFound { .. } | crate::storage::Error::NoRevision { .. }) => {
            return Err(Error::NoDeployedReleases(options.name.clone()));
        }
        Err(other) => return Err(other.into()),
    };
    if last.info.status.is_pending() {
        return Err(Error::Pending);
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
    let discovery = ctx.discovery().await?;
    let rendered = render_chart(
        &chart,
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
        },
    )?;
    let server_side = options.server_side.resolve(last.apply_method);
    let mut notes = Vec::new();
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
        manifest: rendered.manifest.clone(),
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
    )
    .await?;
    if options.dry_run {
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
    let result = async {
        if options.run_hooks {
            hooks::run_hooks(
                &ctx.client,
                &discovery,
                &mut upgraded,
                HookEvent::PreUpgrade,
                options.timeout,
            )
            .await
            .map_err(|e| Error::Hook(format!("pre-upgrade hooks failed: {e}")))?;
        }
        let report = deploy::execute(
            &ctx.client,
            &plan,
            DeployOptions {
                method: if server_side {
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
                &mut upgraded,
                HookEvent::PostUpgrade,
                options.timeout,
            )
            .await
            .map_err(|e| Error::Hook(format!("post-upgrade hooks failed: {e}")))?;
        }
        Ok::<(), Error>(())
    }
    .await;

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
            Err(error)
        }
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
