//! Creating and updating objects. Helm counterpart: `pkg/kube/client.go` (`Create`, `Update`,
//! server-side apply with `ForceConflicts`, and the client-side three-way patch).
//!
//! Server-side apply is the default (Helm 4's), as field manager [`FIELD_MANAGER`]. Releases
//! whose stored `apply_method` is `csa` are applied client-side: create when missing, else a
//! JSON merge patch computed three-way (previous manifest object → new object, against the
//! live object). Strategic merge patches are not used, so lists are replaced as a whole.
//! Objects are applied in the given order, consecutive objects of one kind concurrently (as
//! Helm's `batchPerform`); the first failure stops the run.

use std::collections::HashMap;

use ::kube::api::{Patch, PatchParams, PostParams};
use futures::StreamExt;
use serde_json::{Map, Value};

use super::error::status_message;
use super::{Client, Error, FIELD_MANAGER, Resource, ResourceKey};

/// How many objects of one kind are written at once.
const CONCURRENT_WRITES: usize = 8;

/// Server messages for objects that server-side apply cannot type but a plain create or merge
/// patch accepts; such objects are applied client-side instead, with a note.
///
/// - A Kubernetes < 1.21 server refuses a Service whose `ports[]` entries omit `protocol`
///   (a list keyed by `port` and `protocol`; fixed upstream in 1.21).
/// - Fields the server's schema lacks (charts written for newer Kubernetes, e.g.
///   `spec.internalTrafficPolicy` on 1.20): server-side apply rejects them, while a
///   client-side write drops them silently, as Helm 3 and Helm 4's client-side mode do.
const UNTYPABLE: [&str; 2] = [
    "associative list with keys has an element that omits key field",
    "field not declared in schema",
];

/// How objects are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApplyMethod {
    /// Server-side apply (`PATCH` with `application/apply-patch+yaml`); Helm 4's default.
    #[default]
    ServerSide,
    /// Create, or JSON merge patch of the changes (Helm 3 style).
    ClientSide,
}

/// How [`apply`] writes.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Server-side or client-side.
    pub method: ApplyMethod,
    /// `--force-conflicts`: take fields owned by other managers (server-side only).
    pub force_conflicts: bool,
    /// `--dry-run=server`: the server validates and answers, but stores nothing.
    pub dry_run: bool,
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Server-side applied (the server does not say whether it created it).
    Applied,
    /// Client-side: did not exist and was created.
    Created,
    /// Client-side: existed and was patched.
    Configured,
    /// Client-side: already matched, nothing was sent.
    Unchanged,
}

/// One applied object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Its identity.
    pub key: ResourceKey,
    /// `Kind "name" in namespace "ns"`.
    pub resource: String,
    /// How it was written (server-side may fall back to client-side, see [`ApplyReport::notes`]).
    pub method: ApplyMethod,
    /// What happened.
    pub outcome: ApplyOutcome,
}

/// The result of [`apply`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Every object, in the order applied.
    pub applied: Vec<Applied>,
    /// Things worth telling under `--debug` (client-side fallbacks and why).
    pub notes: Vec<String>,
}

/// Applies `resources` in order (give Helm's install order).
///
/// `previous` holds the objects of the release's previous manifest; client-side updates use
/// the matching one (by [`ResourceKey`]) to turn removed fields into deletions.
///
/// A server-side conflict with another manager fails with [`Error::Conflict`] (the server's
/// message names the other manager and fields; [`Error::hint`] suggests `--force-conflicts`). Objects the server cannot type for server-side apply (a Service port
/// without `protocol` on Kubernetes < 1.21, fields the server's schema lacks) are applied
/// client-side instead, with a note in the report.
pub async fn apply(
    client: &Client,
    resources: &[Resource],
    previous: &[Resource],
    options: &ApplyOptions,
) -> Result<ApplyReport, Error> {
    let previous: HashMap<ResourceKey, &Resource> = previous.iter().map(|r| (r.key(), r)).collect();
    let mut report = ApplyReport::default();
    // Consecutive objects of one kind go concurrently (Helm's `batchPerform`); kinds in order.
    for batch in resources.chunk_by(|a, b| a.kind() == b.kind()) {
        let writes: Vec<_> = batch
            .iter()
            .map(|resource| {
                apply_one(
                    client,
                    resource,
                    previous.get(&resource.key()).copied(),
                    options,
                )
            })
            .collect();
        let results: Vec<Result<(Applied, Option<String>), Error>> = futures::stream::iter(writes)
            .buffered(CONCURRENT_WRITES)
            .collect()
            .await;
        for result in results {
            let (applied, note) = result?;
            report.applied.push(applied);
            report.notes.extend(note);
        }
    }
    Ok(report)
}

/// Applies one object; the note says why it fell back to client-side, if it did.
async fn apply_one(
    client: &Client,
    resource: &Resource,
    old: Option<&Resource>,
    options: &ApplyOptions,
) -> Result<(Applied, Option<String>), Error> {
    let mut note = None;
    let (method, outcome) = match options.method {
        ApplyMethod::ClientSide => (
            ApplyMethod::ClientSide,
            client_side(client, resource, old, options.dry_run).await?,
        ),
        ApplyMethod::ServerSide => match server_side(client, resource, options).await {
            Ok(()) => (ApplyMethod::ServerSide, ApplyOutcome::Applied),
            Err(err) if is_untypable(&err) => {
                note = Some(format!(
                    "{}: the server cannot server-side apply it ({}); applied client-side instead",
                    resource.describe(),
                    status_message(&err).unwrap_or_default()
                ));
                (
                    ApplyMethod::ClientSide,
                    client_side(client, resource, old, options.dry_run).await?,
                )
            }
            Err(err) if conflicts_only_with_ourselves(&err) => {
                // Fields rhelm (or Helm) wrote client-side under the same manager name: take
                // them over, as Helm 4 migrates client-side managed fields on its way to
                // server-side apply. Conflicts with any other manager still fail.
                note = Some(format!(
                    "{}: took over fields {FIELD_MANAGER:?} had written client-side ({})",
                    resource.describe(),
                    status_message(&err).unwrap_or_default()
                ));
                let forced = ApplyOptions {
                    force_conflicts: true,
                    ..options.clone()
                };
                server_side(client, resource, &forced)
                    .await
                    .map_err(|err| Error::request("apply", resource.describe(), err))?;
                (ApplyMethod::ServerSide, ApplyOutcome::Applied)
            }
            Err(err) if super::error::status_code(&err) == Some(409) => {
                return Err(Error::Conflict {
                    object: helm_object_id(resource),
                    message: status_message(&err).unwrap_or_default().to_owned(),
                });
            }
            Err(err) => return Err(Error::request("apply", resource.describe(), err)),
        },
    };
    let applied = Applied {
        key: resource.key(),
        resource: resource.describe(),
        method,
        outcome,
    };
    Ok((applied, note))
}

async fn server_side(
    client: &Client,
    resource: &Resource,
    options: &ApplyOptions,
) -> Result<(), ::kube::Error> {
    let mut params = PatchParams::apply(FIELD_MANAGER);
    if options.force_conflicts {
        params = params.force();
    }
    if options.dry_run {
        params = params.dry_run();
    }
    resource
        .api(client.kube())
        .patch(resource.name(), &params, &Patch::Apply(&resource.object))
        .await?;
    Ok(())
}

/// `namespace/name group/version, Kind=Kind`: how Helm 4 names an object in conflict errors
/// (Go's `GroupVersionKind.String()`, so core kinds read `/v1, Kind=ConfigMap`).
fn helm_object_id(resource: &Resource) -> String {
    let ar = &resource.resource_type.api_resource;
    format!(
        "{}/{} {}/{}, Kind={}",
        resource.namespace().unwrap_or_default(),
        resource.name(),
        ar.group,
        ar.version,
        ar.kind
    )
}

/// The field managers a server-side apply conflict names (`conflict with "x" using v1: …`,
/// `conflicts with "x" using v1:\n- …`).
fn conflicting_managers(message: &str) -> Vec<&str> {
    let mut managers = Vec::new();
    let mut rest = message;
    while let Some(at) = rest.find(" with \"") {
        let before = &rest[..at];
        rest = &rest[at + " with \"".len()..];
        let Some(end) = rest.find('"') else { break };
        if before.ends_with("conflict") || before.ends_with("conflicts") {
            managers.push(&rest[..end]);
        }
        rest = &rest[end..];
    }
    managers
}

/// True for a 409 apply conflict whose every conflicting manager is [`FIELD_MANAGER`] itself
/// (its client-side `Update` entries).
fn conflicts_only_with_ourselves(err: &::kube::Error) -> bool {
    if super::error::status_code(err) != Some(409) {
        return false;
    }
    let managers = conflicting_managers(status_message(err).unwrap_or_default());
    !managers.is_empty() && managers.iter().all(|m| *m == FIELD_MANAGER)
}

fn is_untypable(err: &::kube::Error) -> bool {
    status_message(err).is_some_and(|m| UNTYPABLE.iter().any(|u| m.contains(u)))
}

async fn client_side(
    client: &Client,
    resource: &Resource,
    old: Option<&Resource>,
    dry_run: bool,
) -> Result<ApplyOutcome, Error> {
    let api = resource.api(client.kube());
    let live = api
        .get_opt(resource.name())
        .await
        .map_err(|source| Error::request("get", resource.describe(), source))?;
    let Some(live) = live else {
        let params = PostParams {
            dry_run,
            field_manager: Some(FIELD_MANAGER.to_owned()),
        };
        api.create(&params, &resource.object)
            .await
            .map_err(|source| Error::request("create", resource.describe(), source))?;
        return Ok(ApplyOutcome::Created);
    };
    let live = serde_json::to_value(&live).unwrap_or(Value::Null);
    let old = old.map(Resource::to_json);
    let Some(patch) = merge_patch(old.as_ref(), &resource.to_json(), &live) else {
        return Ok(ApplyOutcome::Unchanged);
    };
    let params = PatchParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    };
    api.patch(resource.name(), &params, &Patch::Merge(&patch))
        .await
        .map_err(|source| Error::request("patch", resource.describe(), source))?;
    Ok(ApplyOutcome::Configured)
}

/// The JSON merge patch (RFC 7386) that turns `live` into what `new` asks for, three-way:
/// fields of `new` that differ from `live` are set, fields that `old` (the previous manifest
/// object) had and `new` dropped are deleted (`null`), and fields nobody declared (server
/// defaults, other writers') are left alone. `None` when nothing needs to change.
pub fn merge_patch(old: Option<&Value>, new: &Value, live: &Value) -> Option<Value> {
    match (new, live) {
        (Value::Object(new), Value::Object(live)) => {
            let old = old.and_then(Value::as_object);
            let mut patch = Map::new();
            for (key, new_value) in new {
                match live.get(key) {
                    Some(live_value) => {
                        let old_value = old.and_then(|o| o.get(key));
                        if let Some(sub) = merge_patch(old_value, new_value, live_value) {
                            patch.insert(key.clone(), sub);
                        }
                    }
                    None if new_value.is_null() => {}
                    None => {
                        let value = match new_value {
                            Value::Object(inner) => Value::Object(without_nulls(inner)),
                            other => other.clone(),
                        };
                        patch.insert(key.clone(), value);
                    }
                }
            }
            if let Some(old) = old {
                for key in old.keys() {
                    if !new.contains_key(key) && live.contains_key(key) {
                        patch.insert(key.clone(), Value::Null);
                    }
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        (Value::Object(new), _) => Some(Value::Object(without_nulls(new))),
        _ if new == live => None,
        _ => Some(new.clone()),
    }
}

/// A map with its `null` members removed (recursively), since `null` means "delete" in a merge
/// patch.
fn without_nulls(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::Object(inner) => (k.clone(), Value::Object(without_nulls(inner))),
            other => (k.clone(), other.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identical_objects_need_no_patch() {
        let obj = json!({"data": {"a": "1"}, "metadata": {"name": "c"}});
        assert_eq!(merge_patch(Some(&obj), &obj, &obj), None);
    }

    #[test]
    fn fields_dropped_from_the_chart_are_deleted() {
        let old = json!({"data": {"a": "1", "b": "2"}});
        let new = json!({"data": {"a": "1"}});
        let live = json!({"data": {"a": "1", "b": "2"}});
        assert_eq!(
            merge_patch(Some(&old), &new, &live),
            Some(json!({"data": {"b": null}}))
        );
    }

    #[test]
    fn fields_set_by_the_server_or_others_are_left_alone() {
        let new = json!({"spec": {"type": "ClusterIP"}});
        let live = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.0.0.1"}, "status": {}});
        assert_eq!(merge_patch(Some(&new), &new, &live), None);
    }

    #[test]
    fn drift_in_declared_fields_is_reverted() {
        let new = json!({"data": {"a": "1"}});
        let live = json!({"data": {"a": "changed by hand"}});
        assert_eq!(
            merge_patch(Some(&new), &new, &live),
            Some(json!({"data": {"a": "1"}}))
        );
    }

    #[test]
    fn lists_are_replaced_whole_when_they_differ() {
        let old = json!({"spec": {"ports": [{"port": 80}]}});
        let new = json!({"spec": {"ports": [{"port": 80}, {"port": 443}]}});
        assert_eq!(
            merge_patch(Some(&old), &new, &old),
            Some(json!({"spec": {"ports": [{"port": 80}, {"port": 443}]}}))
        );
    }

    #[test]
    fn without_a_previous_object_nothing_is_deleted() {
        let new = json!({"data": {"a": "1"}});
        let live = json!({"data": {"a": "1", "extra": "x"}});
        assert_eq!(merge_patch(None, &new, &live), None);
    }

    #[test]
    fn new_maps_are_added_whole_without_nulls() {
        let new = json!({"metadata": {"labels": {"a": "1", "b": null}}});
        let live = json!({"metadata": {}});
        assert_eq!(
            merge_patch(None, &new, &live),
            Some(json!({"metadata": {"labels": {"a": "1"}}}))
        );
    }

    #[test]
    fn conflicting_managers_are_read_from_both_message_forms() {
        assert_eq!(
            conflicting_managers(
                "Apply failed with 1 conflict: conflict with \"other\" using v1: .data.key"
            ),
            ["other"]
        );
        assert_eq!(
            conflicting_managers(
                "Apply failed with 3 conflicts: conflicts with \"helm\" using v1:\n- .data.a\n- .data.b\nconflict with \"kubectl\" with subresource \"status\" using v1: .status.x"
            ),
            ["helm", "kubectl"]
        );
    }

    #[test]
    fn only_conflicts_with_our_own_manager_are_taken_over() {
        let err = |msg: &str, code| {
            ::kube::Error::Api(
                ::kube::core::Status::failure(msg, "Conflict")
                    .with_code(code)
                    .boxed(),
            )
        };
        assert!(conflicts_only_with_ourselves(&err(
            "Apply failed with 1 conflict: conflict with \"helm\" using v1: .data.a",
            409
        )));
        assert!(!conflicts_only_with_ourselves(&err(
            "Apply failed with 2 conflicts: conflict with \"helm\" using v1: .data.a\nconflict with \"other\" using v1: .data.b",
            409
        )));
        assert!(!conflicts_only_with_ourselves(&err(
            "conflict with \"helm\"",
            422
        )));
    }

    #[test]
    fn untypable_objects_are_recognised_from_the_server_message() {
        let status = ::kube::core::Status::failure(
            ".spec.ports: element 0: associative list with keys has an element that omits key field \"protocol\"",
            "Invalid",
        )
        .with_code(500);
        assert!(is_untypable(&::kube::Error::Api(status.boxed())));
        let newer = ::kube::core::Status::failure(
            "failed to create typed patch object: .spec.internalTrafficPolicy: field not declared in schema",
            "",
        )
        .with_code(500);
        assert!(is_untypable(&::kube::Error::Api(newer.boxed())));
        let other = ::kube::core::Status::failure("something else", "Invalid").with_code(422);
        assert!(!is_untypable(&::kube::Error::Api(other.boxed())));
    }
}
