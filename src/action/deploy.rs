//! Bringing the cluster from one manifest to another: build the objects, check ownership of
//! the new ones, apply in install order, delete what the new manifest dropped.
//!
//! Helm counterpart: `pkg/kube/client.go` (`Build`, `Update`) and the resource checks of
//! `pkg/action/{install,upgrade}.go`. Planning talks to the cluster read-only, so a
//! refused plan leaves no trace.
use std::collections::HashSet;
use std::time::Duration;

use super::{Error, hooks};
use crate::kube::{
    Adoption, ApplyMethod, ApplyOptions, Client, DeleteOptions, DeleteReport, Discovery,
    OwnershipPolicy, Resource, ResourceKey,
};
use crate::release::manifest::{self, Document};
use crate::release::{HookEvent, KindOrder, Release};

/// What a deploy will do, computed before any write.
#[derive(Debug)]
pub struct DeployPlan {
    /// Objects of the new manifest, with ownership metadata, in install order.
    pub target: Vec<Resource>,
    /// Objects of the previous manifest (empty on install).
    pub current: Vec<Resource>,
    /// Objects of the previous manifest that the new one drops, in install order.
    pub obsolete: Vec<Resource>,
}

/// Options of [`execute`].
#[derive(Debug, Clone, Copy)]
pub struct DeployOptions {
    /// Server- or client-side apply.
    pub method: ApplyMethod,
    /// `--force-conflicts`.
    pub force_conflicts: bool,
    /// `--dry-run=server`.
    pub dry_run: bool,
}

impl DeployOptions {
    /// Options for a real apply: server-side (or client-side) apply, maybe forcing conflicts.
    pub fn new(server_side: bool, force_conflicts: bool) -> Self {
        DeployOptions {
            method: if server_side {
                ApplyMethod::ServerSide
            } else {
                ApplyMethod::ClientSide
            },
            force_conflicts,
            dry_run: false,
        }
    }

    /// The same apply as a server-side dry run (`--dry-run=server`).
    pub fn as_dry_run(self) -> Self {
        DeployOptions {
            dry_run: true,
            ..self
        }
    }
}

/// `--take-ownership` as an ownership policy.
pub fn ownership_policy(take_ownership: bool) -> OwnershipPolicy {
    if take_ownership {
        OwnershipPolicy::Take
    } else {
        OwnershipPolicy::Check
    }
}

/// What [`execute`] did, for `--debug`.
#[derive(Debug, Default)]
pub struct DeployReport {
    /// One line per notable event (fallbacks, deletions, kept objects).
    pub notes: Vec<String>,
}

/// Builds the objects of `documents` (and of `previous_manifest`), and checks that objects
/// new to the release are not owned by anything else (Helm's "invalid ownership metadata"),
/// unless `ownership` is [`OwnershipPolicy::Take`] (`--take-ownership`).
#[allow(clippy::too_many_arguments)]
pub async fn plan(
    client: &Client,
    discovery: &Discovery,
    release_name: &str,
    namespace: &str,
    documents: &[Document],
    previous_manifest: Option<&str>,
    adoption: Adoption,
    ownership: OwnershipPolicy,
) -> Result<DeployPlan, Error> {
    let mut target = crate::kube::build_resources(
        documents.iter().map(|d| d.content.as_str()),
        discovery,
        namespace,
    )?;
    crate::kube::add_ownership_metadata(&mut target, release_name, namespace);
    let current = match previous_manifest {
        Some(text) if !text.trim().is_empty() => {
            let docs = manifest::documents_from_manifest(text)?;
            crate::kube::build_resources(
                docs.iter().map(|d| d.content.as_str()),
                discovery,
                namespace,
            )?
        }
        _ => Vec::new(),
    };
    let current_keys: HashSet<ResourceKey> = current.iter().map(Resource::key).collect();
    let target_keys: HashSet<ResourceKey> = target.iter().map(Resource::key).collect();
    let new_objects: Vec<Resource> = target
        .iter()
        .filter(|r| !current_keys.contains(&r.key()))
        .cloned()
        .collect();
    crate::kube::check_ownership(
        client,
        &new_objects,
        release_name,
        namespace,
        adoption,
        ownership,
    )
    .await?;
    let obsolete = current
        .iter()
        .filter(|r| !target_keys.contains(&r.key()))
        .cloned()
        .collect();
    Ok(DeployPlan {
        target,
        current,
        obsolete,
    })
}

/// Applies the plan's target objects in order, then deletes the obsolete ones (in reverse
/// order, keeping those annotated `helm.sh/resource-policy: keep`).
pub async fn execute(
    client: &Client,
    plan: &DeployPlan,
    options: DeployOptions,
) -> Result<DeployReport, Error> {
    let apply_options = ApplyOptions {
        method: options.method,
        force_conflicts: options.force_conflicts,
        dry_run: options.dry_run,
    };
    let applied = crate::kube::apply(client, &plan.target, &plan.current, &apply_options).await?;
    let mut report = DeployReport {
        notes: applied.notes,
    };
    if plan.obsolete.is_empty() {
        return Ok(report);
    }
    let deleted = crate::kube::delete(
        client,
        &plan.obsolete,
        &DeleteOptions {
            dry_run: options.dry_run,
        },
    )
    .await;
    for key in &deleted.deleted {
        report
            .notes
            .push(format!("deleted {} {:?}", key.kind, key.name));
    }
    summarize_deletion(&deleted, &mut report.notes)?;
    Ok(report)
}

/// Deletes every object of a stored manifest (uninstall), in reverse install order.
pub async fn delete_manifest(
    client: &Client,
    discovery: &Discovery,
    namespace: &str,
    manifest_text: &str,
    dry_run: bool,
) -> Result<DeployReport, Error> {
    let mut docs = manifest::documents_from_manifest(manifest_text)?;
    // `delete` works back to front: give it Helm's uninstall order reversed.
    manifest::sort_documents(&mut docs, KindOrder::Uninstall);
    docs.reverse();
    let mut resources: Vec<Resource> = Vec::new();
    let mut report = DeployReport::default();
    // Objects whose kind is no longer served cannot exist any more: skip them, say so.
    for doc in &docs {
        match crate::kube::build_resources([doc.content.as_str()], discovery, namespace) {
            Ok(mut built) => resources.append(&mut built),
            Err(e) => report.notes.push(format!("skipping {}: {e}", doc.path)),
        }
    }
    let deleted = crate::kube::delete(client, &resources, &DeleteOptions { dry_run }).await;
    summarize_deletion(&deleted, &mut report.notes)?;
    Ok(report)
}

/// Notes kept objects and turns failed deletions into one error naming each object.
fn summarize_deletion(deleted: &DeleteReport, notes: &mut Vec<String>) -> Result<(), Error> {
    for key in &deleted.kept {
        notes.push(format!(
            "kept {} {:?} (helm.sh/resource-policy: keep)",
            key.kind, key.name
        ));
    }
    if deleted.failed.is_empty() {
        return Ok(());
    }
    let reasons: Vec<String> = deleted
        .failed
        .iter()
        .map(|f| format!("{} {:?}: {}", f.key.kind, f.key.name, f.error))
        .collect();
    Err(Error::Delete(format!(
        "failed to delete resources: {}",
        reasons.join(", ")
    )))
}

/// The steps of putting a recorded revision in place: hooks before, apply and prune, wait,
/// hooks after. Shared by install, upgrade and rollback.
#[derive(Debug, Clone, Copy)]
pub struct Rollout {
    /// The hook events before and after applying (`pre-install`, `post-install`, …).
    pub hooks: (HookEvent, HookEvent),
    /// Run hooks (not `--no-hooks`).
    pub run_hooks: bool,
    /// Helm's upgrade names the failing phase (`pre-upgrade hooks failed: …`).
    pub name_hook_phase: bool,
    /// How to apply.
    pub apply: DeployOptions,
    /// `--wait` (or implied by `--atomic`).
    pub wait: bool,
    /// `--wait-for-jobs`.
    pub wait_for_jobs: bool,
    /// `--timeout` for hooks and waiting.
    pub timeout: Duration,
}

/// Runs a [`Rollout`] of `plan` for `release`, recording hook runs in it; returns the
/// apply notes for `--debug`.
pub async fn roll_out(
    client: &Client,
    discovery: &Discovery,
    plan: &DeployPlan,
    release: &mut Release,
    rollout: &Rollout,
) -> Result<Vec<String>, Error> {
    let (pre, post) = rollout.hooks;
    run_hook_phase(client, discovery, release, pre, rollout).await?;
    let report = execute(client, plan, rollout.apply).await?;
    if rollout.wait {
        super::wait::wait_for(client, &plan.target, rollout.wait_for_jobs, rollout.timeout).await?;
    }
    run_hook_phase(client, discovery, release, post, rollout).await?;
    Ok(report.notes)
}

async fn run_hook_phase(
    client: &Client,
    discovery: &Discovery,
    release: &mut Release,
    event: HookEvent,
    rollout: &Rollout,
) -> Result<(), Error> {
    if !rollout.run_hooks {
        return Ok(());
    }
    hooks::run_hooks(client, discovery, release, event, rollout.timeout)
        .await
        .map_err(|e| match rollout.name_hook_phase {
            true => Error::Hook(format!("{} hooks failed: {e}", event.as_str())),
            false => e,
        })
}
