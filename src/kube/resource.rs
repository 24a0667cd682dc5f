//! Kubernetes objects built from a release's manifest documents. Helm counterpart:
//! `pkg/kube/client.go` `Build` and `pkg/kube/resource.go` (`ResourceList`).
//!
//! Parsing and mapping only: no request is made here. Helm's OpenAPI schema validation is not
//! done (the server validates on apply).

use std::collections::BTreeMap;

use ::kube::api::DynamicObject;

use super::{Discovery, Error, ResourceType, UnknownKind};

/// One object of a manifest, resolved against the server's discovery.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The object as it will be sent (namespace filled in, ownership metadata once added).
    pub object: DynamicObject,
    /// The REST resource serving the object's kind, and its scope.
    pub resource_type: ResourceType,
}

/// Identity of an object across revisions: group, kind, namespace and name (the version is
/// left out, as in Helm's `isMatchingInfo`, so `v1beta1` → `v1` is the same object).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    /// API group (`""` for core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace (`""` for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl Resource {
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.object.metadata.name.as_deref().unwrap_or_default()
    }

    /// `metadata.namespace`, `None` for cluster-scoped objects.
    pub fn namespace(&self) -> Option<&str> {
        self.object.metadata.namespace.as_deref()
    }

    /// The object's kind.
    pub fn kind(&self) -> &str {
        &self.resource_type.api_resource.kind
    }

    /// The object's `apiVersion`.
    pub fn api_version(&self) -> &str {
        &self.resource_type.api_resource.api_version
    }

    /// The object's identity across revisions.
    pub fn key(&self) -> ResourceKey {
        ResourceKey {
            group: self.resource_type.api_resource.group.clone(),
            kind: self.kind().to_owned(),
            namespace: self.namespace().unwrap_or_default().to_owned(),
            name: self.name().to_owned(),
        }
    }

    /// `Kind "name" in namespace "ns"`, Helm's `resourceString`, used in messages.
    pub fn describe(&self) -> String {
        format!(
            "{} {:?} in namespace {:?}",
            self.kind(),
            self.name(),
            self.namespace().unwrap_or_default()
        )
    }

    /// The object's annotations (empty when it has none).
    pub fn annotations(&self) -> BTreeMap<String, String> {
        self.object.metadata.annotations.clone().unwrap_or_default()
    }

    /// The object as JSON, `apiVersion` and `kind` included.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.object).unwrap_or(serde_json::Value::Null)
    }

    /// A `kube::Api` for this object's kind, scoped to its namespace.
    pub(crate) fn api(&self, client: &::kube::Client) -> ::kube::Api<DynamicObject> {
        match self.namespace() {
            Some(ns) if self.resource_type.namespaced => {
                ::kube::Api::namespaced_with(client.clone(), ns, &self.resource_type.api_resource)
            }
            _ => ::kube::Api::all_with(client.clone(), &self.resource_type.api_resource),
        }
    }
}

/// Parses manifest documents (each the YAML text of one or more objects, as the release module
/// splits them) into [`Resource`]s, in the given order.
///
/// Empty documents are skipped, `kind: List` documents are flattened, namespaced objects
/// without a namespace get `namespace`, and cluster-scoped objects lose any namespace they
/// carry. Every object whose kind the server does not serve is reported at once in
/// [`Error::UnknownKinds`] (Helm's `resource mapping not found …` text, naming the namespace
/// as written in the manifest, usually `""`); the action layer prefixes Helm's
/// `unable to build kubernetes objects from release manifest: `.
pub fn build_resources<I, S>(
    documents: I,
    discovery: &Discovery,
    namespace: &str,
) -> Result<Vec<Resource>, Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut objects = Vec::new();
    for (i, document) in documents.into_iter().enumerate() {
        let index = i + 1;
        let values = super::yaml::parse_documents(document.as_ref())
            .map_err(|reason| Error::Manifest { index, reason })?;
        for value in values {
            flatten_into(value, index, &mut objects)?;
        }
    }

    let mut resources = Vec::with_capacity(objects.len());
    let mut unknown = Vec::new();
    for (index, value) in objects {
        let mut object: DynamicObject =
            serde_json::from_value(value).map_err(|err| Error::Manifest {
                index,
                reason: err.to_string(),
            })?;
        let (api_version, kind) = match &object.types {
            Some(types) if !types.api_version.is_empty() && !types.kind.is_empty() => {
                (types.api_version.clone(), types.kind.clone())
            }
            _ => {
                return Err(Error::Manifest {
                    index,
                    reason: "object has no apiVersion or kind".into(),
                });
            }
        };
        if object
            .metadata
            .name
            .as_deref()
            .unwrap_or_default()
            .is_empty()
        {
            return Err(Error::Manifest {
                index,
                reason: format!("{kind} object has no metadata.name"),
            });
        }
        let Some(resource_type) = discovery.resolve(&api_version, &kind) else {
            unknown.push(UnknownKind {
                name: object.metadata.name.clone().unwrap_or_default(),
                // As written in the manifest: Helm names the namespace before defaulting it.
                namespace: object.metadata.namespace.clone().unwrap_or_default(),
                api_version,
                kind,
            });
            continue;
        };
        if resource_type.namespaced {
            if object
                .metadata
                .namespace
                .as_deref()
                .unwrap_or_default()
                .is_empty()
            {
                object.metadata.namespace = Some(namespace.to_owned());
            }
        } else {
            object.metadata.namespace = None;
        }
        resources.push(Resource {
            object,
            resource_type: resource_type.clone(),
        });
    }
    if !unknown.is_empty() {
        return Err(Error::UnknownKinds(unknown));
    }
    Ok(resources)
}

/// The objects of `previous` that `current` no longer has (by [`ResourceKey`], so a kind that
/// moved API version is not removed), in `previous`'s order: what an upgrade deletes (Helm's
/// `original.Difference(target)`).
pub fn removed(previous: &[Resource], current: &[Resource]) -> Vec<Resource> {
    let keep: std::collections::HashSet<ResourceKey> = current.iter().map(Resource::key).collect();
    previous
        .iter()
        .filter(|r| !keep.contains(&r.key()))
        .cloned()
        .collect()
}

/// Pushes `value` (one YAML document) as objects: nothing for an empty document, the items of
/// a `List`, else the object itself.
fn flatten_into(
    value: serde_json::Value,
    index: usize,
    out: &mut Vec<(usize, serde_json::Value)>,
) -> Result<(), Error> {
    match value {
        serde_json::Value::Null => Ok(()),
        serde_json::Value::Object(mut map) => {
            let is_list = map.get("kind").and_then(|k| k.as_str()) == Some("List")
                && map.get("items").is_some_and(|i| i.is_array());
            if is_list {
                if let Some(serde_json::Value::Array(items)) = map.remove("items") {
                    for item in items {
                        flatten_into(item, index, out)?;
                    }
                }
            } else {
                out.push((index, serde_json::Value::Object(map)));
            }
            Ok(())
        }
        other => Err(Error::Manifest {
            index,
            reason: format!("expected a Kubernetes object, found {other}"),
        }),
    }
}

/// Shared by the unit tests of this module: a small hand-built discovery.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIResource, APIResourceList};

    pub(crate) fn discovery() -> Discovery {
        let res = |name: &str, kind: &str, namespaced| APIResource {
            name: name.into(),
            kind: kind.into(),
            namespaced,
            ..APIResource::default()
        };
        Discovery::from_lists(
            Vec::new(),
            &[
                APIResourceList {
                    group_version: "v1".into(),
                    resources: vec![
                        res("configmaps", "ConfigMap", true),
                        res("namespaces", "Namespace", false),
                    ],
                },
                APIResourceList {
                    group_version: "apps/v1".into(),
                    resources: vec![res("deployments", "Deployment", true)],
                },
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::discovery;
    use super::*;

    #[test]
    fn namespaced_objects_without_namespace_get_the_release_namespace() {
        let docs = ["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"];
        let r = build_resources(docs, &discovery(), "team").unwrap();
        assert_eq!(r[0].namespace(), Some("team"));
        assert_eq!(r[0].describe(), "ConfigMap \"a\" in namespace \"team\"");
        assert_eq!(r[0].to_json()["data"]["k"], "v");
    }

    #[test]
    fn an_explicit_namespace_is_kept() {
        let docs = ["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: other\n"];
        let r = build_resources(docs, &discovery(), "team").unwrap();
        assert_eq!(r[0].namespace(), Some("other"));
    }

    #[test]
    fn cluster_scoped_objects_lose_their_namespace() {
        let docs = ["apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  namespace: x\n"];
        let r = build_resources(docs, &discovery(), "team").unwrap();
        assert_eq!(r[0].namespace(), None);
        assert_eq!(r[0].describe(), "Namespace \"team\" in namespace \"\"");
    }

    #[test]
    fn empty_documents_are_skipped_and_order_is_kept() {
        let docs = [
            "# only a comment\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        ];
        let r = build_resources(docs, &discovery(), "ns").unwrap();
        let names: Vec<&str> = r.iter().map(Resource::name).collect();
        assert_eq!(names, ["d", "c"]);
    }

    #[test]
    fn file_modes_are_octal_as_kubernetes_reads_them() {
        let docs = ["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nmode: 0755\n"];
        let r = build_resources(docs, &discovery(), "ns").unwrap();
        assert_eq!(r[0].to_json()["mode"], 493);
    }

    #[test]
    fn list_documents_are_flattened() {
        let docs = [
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n",
        ];
        let r = build_resources(docs, &discovery(), "ns").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].name(), "b");
    }

    #[test]
    fn unknown_kinds_are_all_reported_with_helms_text() {
        let docs = [
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: d\n",
        ];
        let err = build_resources(docs, &discovery(), "ns").unwrap_err();
        let Error::UnknownKinds(kinds) = &err else {
            panic!("{err}")
        };
        assert_eq!(kinds.len(), 2);
        assert!(err.to_string().contains(
            "name: \"w\" namespace: \"\" from \"\": no matches for kind \"Widget\" in version \"example.com/v1\""
        ));
    }

    #[test]
    fn objects_without_name_or_kind_are_rejected_with_their_position() {
        let err = build_resources(["kind: ConfigMap\n"], &discovery(), "ns").unwrap_err();
        assert!(matches!(err, Error::Manifest { index: 1, .. }), "{err}");
        let err = build_resources(
            ["", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"],
            &discovery(),
            "ns",
        )
        .unwrap_err();
        assert!(matches!(err, Error::Manifest { index: 2, .. }), "{err}");
    }

    #[test]
    fn removed_lists_objects_the_new_manifest_dropped() {
        let old = build_resources(
            [
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n",
            ],
            &discovery(),
            "ns",
        )
        .unwrap();
        let new = build_resources(
            ["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"],
            &discovery(),
            "ns",
        )
        .unwrap();
        let gone: Vec<String> = removed(&old, &new).iter().map(Resource::describe).collect();
        assert_eq!(
            gone,
            [
                "ConfigMap \"b\" in namespace \"ns\"",
                "Deployment \"a\" in namespace \"ns\""
            ]
        );
    }

    #[test]
    fn keys_ignore_the_version() {
        let a = build_resources(
            ["apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n"],
            &discovery(),
            "ns",
        )
        .unwrap();
        assert_eq!(
            a[0].key(),
            ResourceKey {
                group: "apps".into(),
                kind: "Deployment".into(),
                namespace: "ns".into(),
                name: "d".into()
            }
        );
    }
}
