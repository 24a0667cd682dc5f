//! Release ownership of cluster objects: Helm's label and annotations, and the check that
//! refuses to adopt objects of another release (or of nobody). Helm counterpart:
//! `pkg/action/validate.go` (`existingResourceConflict`, `requireAdoption`, `checkOwnership`,
//! `setMetadataVisitor`).

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{
    Client, Error, MANAGED_BY_HELM, MANAGED_BY_LABEL, RELEASE_NAME_ANNOTATION,
    RELEASE_NAMESPACE_ANNOTATION, Resource, ResourceKey,
};

/// How many existence checks run at once.
const CONCURRENT_REQUESTS: usize = 8;

/// The operation that would adopt existing objects; it names the operation in Helm's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adoption {
    /// `helm install` (`unable to continue with install: …`).
    Install,
    /// `helm upgrade`, for objects new in this revision (`unable to continue with update: …`).
    Update,
}

impl Adoption {
    fn word(self) -> &'static str {
        match self {
            Adoption::Install => "install",
            Adoption::Update => "update",
        }
    }
}

/// Whether existing objects must already belong to the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnershipPolicy {
    /// Refuse objects whose ownership metadata names another release or is missing.
    Check,
    /// `--take-ownership`: adopt whatever exists.
    Take,
}

/// Stamps Helm's ownership metadata on each resource: label
/// `app.kubernetes.io/managed-by: Helm`, annotations `meta.helm.sh/release-name` and
/// `meta.helm.sh/release-namespace`. Values already present are overwritten, as Helm does for
/// rendered objects.
pub fn add_ownership_metadata(
    resources: &mut [Resource],
    release_name: &str,
    release_namespace: &str,
) {
    for resource in resources {
        let meta = &mut resource.object.metadata;
        meta.labels
            .get_or_insert_with(Default::default)
            .insert(MANAGED_BY_LABEL.to_owned(), MANAGED_BY_HELM.to_owned());
        let annotations = meta.annotations.get_or_insert_with(Default::default);
        annotations.insert(RELEASE_NAME_ANNOTATION.to_owned(), release_name.to_owned());
        annotations.insert(
            RELEASE_NAMESPACE_ANNOTATION.to_owned(),
            release_namespace.to_owned(),
        );
    }
}

/// Why `meta` does not belong to the release, in Helm's words
/// (`invalid ownership metadata; label validation error: …`), or `None` if it does.
pub fn ownership_problem(
    meta: &ObjectMeta,
    release_name: &str,
    release_namespace: &str,
) -> Option<String> {
    let empty = Default::default();
    let labels = meta.labels.as_ref().unwrap_or(&empty);
    let annotations = meta.annotations.as_ref().unwrap_or(&empty);
    let mut problems = Vec::new();
    if let Some(p) = require_value(labels, MANAGED_BY_LABEL, MANAGED_BY_HELM) {
        problems.push(format!("label validation error: {p}"));
    }
    if let Some(p) = require_value(annotations, RELEASE_NAME_ANNOTATION, release_name) {
        problems.push(format!("annotation validation error: {p}"));
    }
    if let Some(p) = require_value(annotations, RELEASE_NAMESPACE_ANNOTATION, release_namespace) {
        problems.push(format!("annotation validation error: {p}"));
    }
    if problems.is_empty() {
        None
    } else {
        Some(format!(
            "invalid ownership metadata; {}",
            problems.join("; ")
        ))
    }
}

fn require_value(
    map: &std::collections::BTreeMap<String, String>,
    key: &str,
    want: &str,
) -> Option<String> {
    match map.get(key) {
        None => Some(format!("missing key {key:?}: must be set to {want:?}")),
        Some(actual) if actual != want => Some(format!(
            "key {key:?} must equal {want:?}: current value is {actual:?}"
        )),
        Some(_) => None,
    }
}

/// Finds which of `resources` already exist in the cluster and, under
/// [`OwnershipPolicy::Check`], fails with Helm's message on the first (in the given order)
/// that does not belong to release `release_name` in `release_namespace`:
///
/// `unable to continue with install: Service "x" in namespace "y" exists and cannot be
/// imported into the current release: invalid ownership metadata; …`
///
/// Returns the keys of the existing objects (to be updated rather than created).
pub async fn check_ownership(
    client: &Client,
    resources: &[Resource],
    release_name: &str,
    release_namespace: &str,
    adoption: Adoption,
    policy: OwnershipPolicy,
) -> Result<Vec<ResourceKey>, Error> {
    let kube = client.kube();
    // Futures built up front (not in a stream `map` closure) keep the returned future `Send`.
    let gets: Vec<_> = resources
        .iter()
        .map(|resource| async move {
            resource
                .api(kube)
                .get_metadata_opt(resource.name())
                .await
                .map(|found| found.map(|partial| partial.metadata))
                .map_err(|source| Error::request("get", resource.describe(), source))
        })
        .collect();
    let lives: Vec<Option<ObjectMeta>> = futures::stream::iter(gets)
        .buffered(CONCURRENT_REQUESTS)
        .try_collect()
        .await?;

    let mut existing = Vec::new();
    for (resource, live) in resources.iter().zip(lives) {
        let Some(meta) = live else { continue };
        if policy == OwnershipPolicy::Check
            && let Some(reason) = ownership_problem(&meta, release_name, release_namespace)
        {
            return Err(Error::Ownership {
                operation: adoption.word(),
                resource: resource.describe(),
                reason,
            });
        }
        existing.push(resource.key());
    }
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn meta(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ObjectMeta {
        let map = |pairs: &[(&str, &str)]| -> Option<BTreeMap<String, String>> {
            (!pairs.is_empty()).then(|| {
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect()
            })
        };
        ObjectMeta {
            labels: map(labels),
            annotations: map(annotations),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn an_object_of_this_release_has_no_problem() {
        let m = meta(
            &[(MANAGED_BY_LABEL, "Helm")],
            &[
                (RELEASE_NAME_ANNOTATION, "web"),
                (RELEASE_NAMESPACE_ANNOTATION, "prod"),
            ],
        );
        assert_eq!(ownership_problem(&m, "web", "prod"), None);
    }

    #[test]
    fn an_unlabelled_object_lists_all_three_problems_in_helms_words() {
        assert_eq!(
            ownership_problem(&meta(&[], &[]), "web", "prod").unwrap(),
            "invalid ownership metadata; label validation error: missing key \"app.kubernetes.io/managed-by\": must be set to \"Helm\"; annotation validation error: missing key \"meta.helm.sh/release-name\": must be set to \"web\"; annotation validation error: missing key \"meta.helm.sh/release-namespace\": must be set to \"prod\""
        );
    }

    #[test]
    fn an_object_of_another_release_names_the_current_owner() {
        let m = meta(
            &[(MANAGED_BY_LABEL, "Helm")],
            &[
                (RELEASE_NAME_ANNOTATION, "api"),
                (RELEASE_NAMESPACE_ANNOTATION, "prod"),
            ],
        );
        assert_eq!(
            ownership_problem(&m, "web", "prod").unwrap(),
            "invalid ownership metadata; annotation validation error: key \"meta.helm.sh/release-name\" must equal \"web\": current value is \"api\""
        );
    }

    #[test]
    fn ownership_metadata_is_added_and_overrides_rendered_values() {
        let docs = [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    app: x\n    app.kubernetes.io/managed-by: Tiller\n",
        ];
        let mut r = super::super::build_resources(
            docs,
            &super::super::resource::tests_support::discovery(),
            "ns",
        )
        .unwrap();
        add_ownership_metadata(&mut r, "web", "prod");
        let m = &r[0].object.metadata;
        assert_eq!(ownership_problem(m, "web", "prod"), None);
        assert_eq!(m.labels.as_ref().unwrap()["app"], "x");
    }

    #[test]
    fn ownership_error_reads_like_helm_4() {
        let err = Error::Ownership {
            operation: Adoption::Install.word(),
            resource: "Service \"x\" in namespace \"y\"".into(),
            reason: "invalid ownership metadata; …".into(),
        };
        assert_eq!(
            err.to_string(),
            "unable to continue with install: Service \"x\" in namespace \"y\" exists and cannot be imported into the current release: invalid ownership metadata; …"
        );
    }
}
