//! Discovery: which kinds the server serves, at which REST path and scope, and the
//! `.Capabilities.APIVersions` list. Helm counterpart: the REST mapper of `pkg/kube/client.go`
//! and `GetVersionSet` in `pkg/action/action.go`.
//!
//! Run once per command ([`Discovery::run`]), then pass `&Discovery` around. It uses the
//! per-group discovery endpoints (`/api`, `/apis`, `/apis/<group>/<version>`), which every
//! server since 1.0 serves; aggregated discovery needs 1.26+ and our test server is 1.20.
//! kube-rs's `Discovery::run` drops subresource kinds (`apps/v1/Scale`), which Helm lists in
//! `.Capabilities.APIVersions`, so the endpoints are read here directly, concurrently.

use std::collections::{BTreeSet, HashMap};

use ::kube::discovery::ApiResource;
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList;

use super::{Client, Error};

/// How many group/version resource lists are fetched at once.
const CONCURRENT_REQUESTS: usize = 8;
/// Pause between discoveries in [`Discovery::wait_for`].
const REDISCOVERY_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// One served kind: its REST resource and whether objects live in a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// Group, version, kind and plural (the URL segment).
    pub api_resource: ApiResource,
    /// True for namespaced kinds (`Service`), false for cluster-scoped ones (`Namespace`).
    pub namespaced: bool,
    /// The verbs the server allows (`get`, `list`, `patch`, …).
    pub verbs: Vec<String>,
}

/// What the server serves, as learned once per command.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// `(apiVersion, kind)` → resource, top-level resources only.
    kinds: HashMap<(String, String), ResourceType>,
    /// Served group/versions, as `apiVersion` strings (`v1`, `apps/v1`).
    group_versions: BTreeSet<String>,
    /// Helm's `.Capabilities.APIVersions`, sorted.
    api_versions: Vec<String>,
    /// Group/versions whose resource list could not be read (Helm tolerates these too).
    failed_groups: Vec<String>,
}

impl Discovery {
    /// Reads the server's groups and, concurrently, every group/version's resource list.
    ///
    /// A group/version whose list fails (an aggregated API that is down) is skipped and named in
    /// [`Discovery::failed_groups`], as Helm tolerates `ErrGroupDiscoveryFailed`; failing to
    /// list the groups themselves is an error.
    pub async fn run(client: &Client) -> Result<Self, Error> {
        let kube = client.kube();
        let core = kube
            .list_core_api_versions()
            .await
            .map_err(|source| Error::Discovery { source })?;
        let groups = kube
            .list_api_groups()
            .await
            .map_err(|source| Error::Discovery { source })?;

        let mut group_versions: Vec<String> = core.versions.clone();
        for group in &groups.groups {
            for version in &group.versions {
                group_versions.push(version.group_version.clone());
            }
        }

        let results: Vec<(String, Result<APIResourceList, ::kube::Error>)> =
            futures::stream::iter(group_versions.iter().cloned())
                .map(|gv| async move {
                    let result = if gv.contains('/') {
                        kube.list_api_group_resources(&gv).await
                    } else {
                        kube.list_core_api_resources(&gv).await
                    };
                    (gv, result)
                })
                .buffer_unordered(CONCURRENT_REQUESTS)
                .collect()
                .await;

        let mut lists = Vec::new();
        let mut failed_groups = Vec::new();
        for (gv, result) in results {
            match result {
                Ok(list) => lists.push(list),
                Err(err) => {
                    tracing::debug!(group_version = %gv, error = %err, "discovery of group/version failed");
                    failed_groups.push(gv);
                }
            }
        }
        failed_groups.sort();
        let mut discovery = Self::from_lists(group_versions, &lists);
        discovery.failed_groups = failed_groups;
        Ok(discovery)
    }

    /// Runs discovery until every `(apiVersion, kind)` in `kinds` resolves, for at most
    /// `timeout`: after installing CRDs (Helm's `crds/`), the server takes a moment to serve
    /// their group even once they are Established. On timeout, returns the last discovery
    /// (whose [`Discovery::resolve`] then reports what is missing).
    pub async fn wait_for(
        client: &Client,
        kinds: &[(&str, &str)],
        timeout: std::time::Duration,
    ) -> Result<Self, Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let discovery = Self::run(client).await?;
            let complete = kinds.iter().all(|(v, k)| discovery.resolve(v, k).is_some());
            if complete || tokio::time::Instant::now() >= deadline {
                return Ok(discovery);
            }
            tokio::time::sleep(REDISCOVERY_INTERVAL).await;
        }
    }

    /// Builds the mapping from already-fetched discovery documents: the served group/versions
    /// and their resource lists. [`Discovery::run`] uses it; tests build one by hand.
    pub fn from_lists(
        group_versions: impl IntoIterator<Item = String>,
        lists: &[APIResourceList],
    ) -> Self {
        let mut group_versions: BTreeSet<String> = group_versions.into_iter().collect();
        let mut capabilities: BTreeSet<String> = group_versions.clone();
        let mut kinds = HashMap::new();
        for list in lists {
            group_versions.insert(list.group_version.clone());
            capabilities.insert(list.group_version.clone());
            let (group, version) = split_api_version(&list.group_version);
            for res in &list.resources {
                // Helm lists every kind, subresource kinds (Scale, Eviction, …) included.
                capabilities.insert(format!("{}/{}", list.group_version, res.kind));
                if res.name.contains('/') {
                    continue;
                }
                let api_resource = ApiResource {
                    group: res.group.clone().unwrap_or_else(|| group.to_owned()),
                    version: res.version.clone().unwrap_or_else(|| version.to_owned()),
                    api_version: list.group_version.clone(),
                    kind: res.kind.clone(),
                    plural: res.name.clone(),
                };
                kinds
                    .entry((list.group_version.clone(), res.kind.clone()))
                    .or_insert(ResourceType {
                        api_resource,
                        namespaced: res.namespaced,
                        verbs: res.verbs.clone(),
                    });
            }
        }
        Self {
            kinds,
            group_versions,
            api_versions: capabilities.into_iter().collect(),
            failed_groups: Vec::new(),
        }
    }

    /// The REST resource serving `kind` at `api_version`, if the server serves it.
    pub fn resolve(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.kinds.get(&(api_version.to_owned(), kind.to_owned()))
    }

    /// True if the server serves this group/version (`v1`, `apps/v1`).
    pub fn serves_group_version(&self, api_version: &str) -> bool {
        self.group_versions.contains(api_version)
    }

    /// Helm's `.Capabilities.APIVersions`: every served group/version and every
    /// group/version/Kind (subresource kinds included), sorted and without duplicates.
    pub fn api_versions(&self) -> &[String] {
        &self.api_versions
    }

    /// Group/versions whose resource list could not be read; their kinds are missing.
    pub fn failed_groups(&self) -> &[String] {
        &self.failed_groups
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (`""`, `v1`).
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource;

    fn resource(name: &str, kind: &str, namespaced: bool) -> APIResource {
        APIResource {
            name: name.into(),
            kind: kind.into(),
            namespaced,
            singular_name: String::new(),
            verbs: vec!["get".into(), "patch".into()],
            ..APIResource::default()
        }
    }

    fn sample() -> Discovery {
        let apps = APIResourceList {
            group_version: "apps/v1".into(),
            resources: vec![
                resource("deployments", "Deployment", true),
                resource("deployments/scale", "Scale", true),
                resource("deployments/status", "Deployment", true),
            ],
        };
        let core = APIResourceList {
            group_version: "v1".into(),
            resources: vec![
                resource("namespaces", "Namespace", false),
                resource("services", "Service", true),
            ],
        };
        Discovery::from_lists(
            [
                "v1".to_string(),
                "apps/v1".to_string(),
                "batch/v1".to_string(),
            ],
            &[apps, core],
        )
    }

    #[test]
    fn capabilities_list_group_versions_and_kinds_including_subresource_kinds() {
        assert_eq!(
            sample().api_versions(),
            [
                "apps/v1",
                "apps/v1/Deployment",
                "apps/v1/Scale",
                "batch/v1",
                "v1",
                "v1/Namespace",
                "v1/Service"
            ]
        );
    }

    #[test]
    fn resolve_finds_plural_and_scope() {
        let d = sample();
        let deploy = d.resolve("apps/v1", "Deployment").unwrap();
        assert_eq!(deploy.api_resource.plural, "deployments");
        assert_eq!(deploy.api_resource.group, "apps");
        assert!(deploy.namespaced);
        assert!(!d.resolve("v1", "Namespace").unwrap().namespaced);
    }

    #[test]
    fn subresource_kinds_do_not_resolve_to_their_subresource() {
        assert!(sample().resolve("apps/v1", "Scale").is_none());
        assert_eq!(
            sample()
                .resolve("apps/v1", "Deployment")
                .unwrap()
                .api_resource
                .plural,
            "deployments"
        );
    }

    #[test]
    fn unknown_kind_or_version_does_not_resolve() {
        assert!(sample().resolve("apps/v1beta1", "Deployment").is_none());
        assert!(sample().resolve("v1", "Widget").is_none());
        assert!(sample().serves_group_version("batch/v1"));
        assert!(!sample().serves_group_version("batch/v2"));
    }
}
