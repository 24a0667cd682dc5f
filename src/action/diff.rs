//! `diff upgrade` and `diff rollback`: what an upgrade or a rollback would change, object by
//! object, before doing it.
//!
//! Helm counterpart: none in Helm (the helm-diff plugin; helm#3156). Each object of the
//! would-be revision is sent to the server as a server-side apply dry run and the answer is
//! compared with the live object, both without the fields the server owns
//! (`managedFields`, `resourceVersion`, `generation`, `uid`, `creationTimestamp`). Objects
//! the new revision drops are listed as deletions. Nothing is written; no lock is taken.
//! Secret values are masked unless asked otherwise.
use serde::Serialize;
use serde_json::Value;

use super::deploy;
use super::rollback::RollbackOptions;
use super::upgrade::{UpgradeOptions, upgrade};
use super::{Context, Error};
use crate::chart::Chart;
use crate::kube::{Adoption, Client, FIELD_MANAGER, OwnershipPolicy, Resource};
use crate::release::manifest::{self, KindOrder};

/// What happens to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// It does not exist and would be created.
    Create,
    /// It exists and would change.
    Update,
    /// It exists and would stay as it is.
    Unchanged,
    /// It exists and the new revision drops it.
    Delete,
}

/// The diff of one object.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectDiff {
    /// `Kind "name" in namespace "ns"`.
    pub resource: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (`""` for cluster-scoped objects).
    pub namespace: String,
    /// What happens to it.
    pub change: Change,
    /// Unified diff of its YAML, live (`-`) to proposed (`+`); empty when unchanged.
    pub diff: String,
    /// Why the proposed side is the rendered object rather than the server's dry-run answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a diff found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiffReport {
    /// The release.
    pub release: String,
    /// Every object of the current and proposed revisions, in install order, deletions last.
    pub objects: Vec<ObjectDiff>,
}

impl DiffReport {
    /// Whether anything would change.
    pub fn has_changes(&self) -> bool {
        self.objects.iter().any(|o| o.change != Change::Unchanged)
    }
}

/// Options shared by both diffs.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// `--show-secrets`: show Secret values instead of masking them.
    pub show_secrets: bool,
}

/// What `upgrade` with `options` would change (the options' `dry_run` is forced on).
pub async fn diff_upgrade(
    ctx: &Context,
    chart: &Chart,
    options: &UpgradeOptions,
    diff: DiffOptions,
) -> Result<DiffReport, Error> {
    let mut dry = options.clone();
    dry.dry_run = true;
    dry.dry_run_server = false;
    let proposed = upgrade(ctx, chart, &dry).await?.release;
    let current = current_release(ctx, &options.name).await?;
    diff_manifests(
        ctx,
        &options.name,
        &proposed.manifest,
        &current.manifest,
        diff,
    )
    .await
}

/// What `rollback` to `options.revision` would change.
pub async fn diff_rollback(
    ctx: &Context,
    options: &RollbackOptions,
    diff: DiffOptions,
) -> Result<DiffReport, Error> {
    let current = ctx
        .storage
        .last(&options.name)
        .await
        .map_err(Error::from_lookup)?;
    let revision = options
        .revision
        .filter(|r| *r > 0)
        .unwrap_or(current.revision.saturating_sub(1));
    let target = match ctx.storage.get(&options.name, revision).await {
        Ok(target) => target,
        Err(crate::storage::Error::NotFound { .. }) => {
            return Err(Error::NoSuchRevision(revision));
        }
        Err(other) => return Err(other.into()),
    };
    diff_manifests(
        ctx,
        &options.name,
        &target.manifest,
        &current.manifest,
        diff,
    )
    .await
}

/// The revision an upgrade starts from: the last one if deployed, else the deployed one.
async fn current_release(ctx: &Context, name: &str) -> Result<crate::release::Release, Error> {
    let last = ctx.storage.last(name).await.map_err(Error::from_lookup)?;
    if last.info.status == crate::release::Status::Deployed {
        return Ok(last);
    }
    match ctx.storage.deployed(name).await {
        Ok(deployed) => Ok(deployed),
        Err(_) => Ok(last),
    }
}

async fn diff_manifests(
    ctx: &Context,
    name: &str,
    proposed: &str,
    current: &str,
    options: DiffOptions,
) -> Result<DiffReport, Error> {
    let discovery = ctx.discovery().await?;
    let mut documents = manifest::documents_from_manifest(proposed)?;
    manifest::sort_documents(&mut documents, KindOrder::Install);
    let plan = deploy::plan(
        &ctx.client,
        &discovery,
        name,
        &ctx.namespace,
        &documents,
        Some(current),
        Adoption::Update,
        OwnershipPolicy::Take,
    )
    .await?;
    let mut objects = Vec::new();
    for resource in &plan.target {
        let live = crate::kube::get(&ctx.client, resource).await?;
        let (answer, note) = match dry_run_apply(&ctx.client, resource).await {
            Ok(answer) => (answer, None),
            Err(e) => (
                resource.to_json(),
                Some(format!(
                    "server dry run failed, showing the rendered object: {e}"
                )),
            ),
        };
        let change = match &live {
            None => Change::Create,
            Some(live) if clean(live.clone()) == clean(answer.clone()) => Change::Unchanged,
            Some(_) => Change::Update,
        };
        objects.push(object_diff(
            resource,
            live,
            Some(answer),
            change,
            note,
            options,
        ));
    }
    for resource in &plan.obsolete {
        if let Some(live) = crate::kube::get(&ctx.client, resource).await? {
            objects.push(object_diff(
                resource,
                Some(live),
                None,
                Change::Delete,
                None,
                options,
            ));
        }
    }
    Ok(DiffReport {
        release: name.to_string(),
        objects,
    })
}

async fn dry_run_apply(client: &Client, resource: &Resource) -> Result<Value, ::kube::Error> {
    let params = ::kube::api::PatchParams::apply(FIELD_MANAGER)
        .force()
        .dry_run();
    let answer = resource
        .api(client.kube())
        .patch(
            resource.name(),
            &params,
            &::kube::api::Patch::Apply(&resource.object),
        )
        .await?;
    let mut value = serde_json::to_value(answer).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), Value::from(resource.api_version()));
        map.insert("kind".into(), Value::from(resource.kind()));
    }
    Ok(value)
}

fn object_diff(
    resource: &Resource,
    live: Option<Value>,
    proposed: Option<Value>,
    change: Change,
    note: Option<String>,
    options: DiffOptions,
) -> ObjectDiff {
    let mut live = live.map(clean);
    let mut proposed = proposed.map(clean);
    if resource.kind() == "Secret" && !options.show_secrets {
        mask_secrets(live.as_mut(), proposed.as_mut());
    }
    let text = |v: &Option<Value>| {
        v.as_ref()
            .and_then(|v| serde_yaml::to_string(v).ok())
            .unwrap_or_default()
    };
    let diff = if change == Change::Unchanged {
        String::new()
    } else {
        unified(&text(&live), &text(&proposed), &resource.describe())
    };
    ObjectDiff {
        resource: resource.describe(),
        kind: resource.kind().to_string(),
        name: resource.name().to_string(),
        namespace: resource.namespace().unwrap_or_default().to_string(),
        change,
        diff,
        note,
    }
}

/// A unified diff (3 lines of context) from `old` to `new`.
pub fn unified(old: &str, new: &str, title: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live {title}"), &format!("proposed {title}"))
        .to_string()
}

/// The object without what the server owns and every write changes.
pub fn clean(mut object: Value) -> Value {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
            "selfLink",
        ] {
            meta.remove(field);
        }
    }
    object
}

/// Replaces Secret values with their size, saying which ones change.
pub fn mask_secrets(live: Option<&mut Value>, proposed: Option<&mut Value>) {
    let before = live.as_deref().map(secret_values).unwrap_or_default();
    if let Some(object) = proposed {
        mask(object, |key, value, size| match before.get(key) {
            Some(old) if old == value => format!("(masked: {size} bytes)"),
            Some(_) => format!("(masked: {size} bytes, changed)"),
            None => format!("(masked: {size} bytes, new)"),
        });
    }
    if let Some(object) = live {
        mask(object, |_, _, size| format!("(masked: {size} bytes)"));
    }
}

fn secret_values(object: &Value) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for field in ["data", "stringData"] {
        if let Some(map) = object.get(field).and_then(Value::as_object) {
            for (k, v) in map {
                out.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
            }
        }
    }
    out
}

/// The size of a Secret value: decoded for `data` (base64), as is for `stringData`.
fn secret_size(field: &str, value: &str) -> usize {
    use base64::Engine as _;
    if field == "data"
        && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(value)
    {
        return bytes.len();
    }
    value.len()
}

fn mask(object: &mut Value, text: impl Fn(&str, &str, usize) -> String) {
    for field in ["data", "stringData"] {
        if let Some(map) = object.get_mut(field).and_then(Value::as_object_mut) {
            for (k, v) in map.iter_mut() {
                let raw = v.as_str().unwrap_or_default();
                let masked = text(k, raw, secret_size(field, raw));
                *v = Value::String(masked);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clean_drops_the_fields_the_server_owns() {
        let object = json!({"metadata": {"name": "a", "uid": "u", "resourceVersion": "7",
            "generation": 2, "creationTimestamp": "t", "managedFields": [], "labels": {"x": "y"}}});
        assert_eq!(
            clean(object),
            json!({"metadata": {"name": "a", "labels": {"x": "y"}}})
        );
    }

    #[test]
    fn secret_values_are_masked_but_changes_still_show() {
        let mut live = json!({"kind": "Secret", "data": {"a": "c2VjcmV0", "b": "b2xk"}});
        let mut proposed =
            json!({"kind": "Secret", "data": {"a": "c2VjcmV0", "b": "bmV3IQ==", "c": "eA=="}});
        mask_secrets(Some(&mut live), Some(&mut proposed));
        assert_eq!(live["data"]["a"], "(masked: 6 bytes)");
        assert_eq!(proposed["data"]["a"], "(masked: 6 bytes)");
        assert_eq!(proposed["data"]["b"], "(masked: 4 bytes, changed)");
        assert_eq!(proposed["data"]["c"], "(masked: 1 bytes, new)");
        assert!(!proposed.to_string().contains("bmV3IQ=="));
    }

    #[test]
    fn unified_diff_marks_removed_and_added_lines() {
        let text = unified("a: 1\nb: 2\n", "a: 1\nb: 3\n", "ConfigMap \"x\"");
        assert!(text.contains("-b: 2\n"), "{text}");
        assert!(text.contains("+b: 3\n"), "{text}");
        assert!(text.contains("--- live ConfigMap \"x\""), "{text}");
    }

    #[test]
    fn a_report_without_changes_says_so() {
        let mut report = DiffReport::default();
        assert!(!report.has_changes());
        report.objects.push(ObjectDiff {
            resource: String::new(),
            kind: "ConfigMap".into(),
            name: "x".into(),
            namespace: String::new(),
            change: Change::Unchanged,
            diff: String::new(),
            note: None,
        });
        assert!(!report.has_changes());
        report.objects[0].change = Change::Delete;
        assert!(report.has_changes());
    }
}
