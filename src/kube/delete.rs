//! Deleting a release's objects. Helm counterpart: `pkg/kube/client.go` `Delete` and the
//! `helm.sh/resource-policy: keep` filter of `pkg/action/resource_policy.go`.

use ::kube::api::DeleteParams;

use super::error::status_code;
use super::{
    Client, Error, RESOURCE_POLICY_ANNOTATION, RESOURCE_POLICY_KEEP, Resource, ResourceKey,
};

/// How [`delete`] deletes.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// `--dry-run`: the server checks but deletes nothing.
    pub dry_run: bool,
}

/// An object that could not be deleted.
#[derive(Debug)]
pub struct DeleteFailure {
    /// Its identity.
    pub key: ResourceKey,
    /// Why.
    pub error: Error,
}

/// What [`delete`] did with each object.
#[derive(Debug, Default)]
pub struct DeleteReport {
    /// Deletion requested (background propagation), in the order sent.
    pub deleted: Vec<ResourceKey>,
    /// Left alone because of `helm.sh/resource-policy: keep`.
    pub kept: Vec<ResourceKey>,
    /// Already gone (404).
    pub missing: Vec<ResourceKey>,
    /// Failed; the others were still attempted, as Helm does.
    pub failed: Vec<DeleteFailure>,
}

/// True if the manifest object asks to be kept (`helm.sh/resource-policy: keep`, compared
/// trimmed and case-insensitively as Helm does).
pub fn is_kept(resource: &Resource) -> bool {
    resource
        .object
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(RESOURCE_POLICY_ANNOTATION))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(RESOURCE_POLICY_KEEP))
}

/// Deletes `resources` in reverse order (give them in install order), with background
/// propagation, skipping those annotated `helm.sh/resource-policy: keep`. A 404 counts as
/// already deleted; other failures are collected and the rest still attempted.
pub async fn delete(
    client: &Client,
    resources: &[Resource],
    options: &DeleteOptions,
) -> DeleteReport {
    let mut report = DeleteReport::default();
    let mut params = DeleteParams::background();
    if options.dry_run {
        params = params.dry_run();
    }
    for resource in resources.iter().rev() {
        let key = resource.key();
        if is_kept(resource) {
            report.kept.push(key);
            continue;
        }
        match resource
            .api(client.kube())
            .delete(resource.name(), &params)
            .await
        {
            Ok(_) => report.deleted.push(key),
            Err(err) if status_code(&err) == Some(404) => report.missing.push(key),
            Err(err) => report.failed.push(DeleteFailure {
                key,
                error: Error::request("delete", resource.describe(), err),
            }),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::resource::tests_support::discovery;

    fn one(annotation: Option<&str>) -> Resource {
        let extra = annotation
            .map(|v| format!("  annotations:\n    helm.sh/resource-policy: {v:?}\n"))
            .unwrap_or_default();
        let doc = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n{extra}");
        crate::kube::build_resources([doc], &discovery(), "ns")
            .unwrap()
            .remove(0)
    }

    #[test]
    fn keep_policy_is_recognised_loosely_like_helm() {
        assert!(is_kept(&one(Some("keep"))));
        assert!(is_kept(&one(Some(" Keep "))));
        assert!(!is_kept(&one(Some("delete"))));
        assert!(!is_kept(&one(None)));
    }
}
