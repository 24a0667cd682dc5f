//! Hooks: chart documents annotated `helm.sh/hook` that run at lifecycle events instead of
//! being part of the release manifest.
//!
//! Helm counterpart: `pkg/release/v1/hook.go` (model and JSON shape) and the execution order
//! of `pkg/action/hooks.go` (weight, then name). Running hooks is `action`'s job, not ours.
use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::{Timestamp, null_as_default, time_opt as timestamp_serde};

/// Annotation naming the events a hook fires on (comma-separated).
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// Annotation holding a hook's integer weight.
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
/// Annotation holding a hook's delete policies (comma-separated).
pub const HOOK_DELETE_ANNOTATION: &str = "helm.sh/hook-delete-policy";
/// Annotation holding a hook's output-log policies (comma-separated).
pub const HOOK_OUTPUT_LOG_ANNOTATION: &str = "helm.sh/hook-output-log-policy";

/// A hook declared by a chart template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    /// `metadata.name` of the hook resource.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Kubernetes kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Template path the hook came from (`chart/templates/job.yaml`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The hook's YAML document.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// Events the hook fires on.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub events: Vec<HookEvent>,
    /// Result of the hook's last run (always written, as Go writes non-pointer structs).
    #[serde(default, deserialize_with = "null_as_default")]
    pub last_run: HookExecution,
    /// Execution order among hooks of one event (lower first).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weight: i64,
    /// When to delete the hook resource.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub delete_policies: Vec<HookDeletePolicy>,
    /// When to copy the hook's pod logs to the user (Pod and Job hooks).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub output_log_policies: Vec<HookOutputLogPolicy>,
}

impl Hook {
    /// Whether the hook fires on `event`.
    pub fn fires_on(&self, event: HookEvent) -> bool {
        self.events.contains(&event)
    }

    /// Whether the hook has the delete policy `policy`.
    pub fn has_delete_policy(&self, policy: &HookDeletePolicy) -> bool {
        self.delete_policies.contains(policy)
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A lifecycle event a hook can fire on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookEvent {
    /// Before any resource of an install is created.
    PreInstall,
    /// After all resources of an install are created.
    PostInstall,
    /// Before an uninstall deletes resources.
    PreDelete,
    /// After an uninstall deleted resources.
    PostDelete,
    /// Before an upgrade applies resources.
    PreUpgrade,
    /// After an upgrade applied resources.
    PostUpgrade,
    /// Before a rollback applies resources.
    PreRollback,
    /// After a rollback applied resources.
    PostRollback,
    /// On `helm test` (`test-success` is Helm 2's spelling).
    #[serde(alias = "test-success")]
    Test,
}

impl HookEvent {
    /// The wire string (`pre-install`).
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::PreInstall => "pre-install",
            HookEvent::PostInstall => "post-install",
            HookEvent::PreDelete => "pre-delete",
            HookEvent::PostDelete => "post-delete",
            HookEvent::PreUpgrade => "pre-upgrade",
            HookEvent::PostUpgrade => "post-upgrade",
            HookEvent::PreRollback => "pre-rollback",
            HookEvent::PostRollback => "post-rollback",
            HookEvent::Test => "test",
        }
    }

    /// Parses an annotation entry as Helm does (already trimmed and lower-cased by the
    /// caller); `test-success` means `test`. `None` for an unknown event.
    pub fn from_annotation(text: &str) -> Option<Self> {
        Some(match text {
            "pre-install" => HookEvent::PreInstall,
            "post-install" => HookEvent::PostInstall,
            "pre-delete" => HookEvent::PreDelete,
            "post-delete" => HookEvent::PostDelete,
            "pre-upgrade" => HookEvent::PreUpgrade,
            "post-upgrade" => HookEvent::PostUpgrade,
            "pre-rollback" => HookEvent::PreRollback,
            "post-rollback" => HookEvent::PostRollback,
            "test" | "test-success" => HookEvent::Test,
            _ => return None,
        })
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a hook resource is deleted. Helm stores whatever the annotation says, so unknown
/// policies are kept (`Other`) rather than failing to read a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum HookDeletePolicy {
    /// `hook-succeeded`: delete after the hook succeeded.
    HookSucceeded,
    /// `hook-failed`: delete after the hook failed.
    HookFailed,
    /// `before-hook-creation`: delete the previous resource before creating the hook anew.
    BeforeHookCreation,
    /// Any other string found in the annotation.
    Other(String),
}

impl From<String> for HookDeletePolicy {
    fn from(text: String) -> Self {
        match text.as_str() {
            "hook-succeeded" => HookDeletePolicy::HookSucceeded,
            "hook-failed" => HookDeletePolicy::HookFailed,
            "before-hook-creation" => HookDeletePolicy::BeforeHookCreation,
            _ => HookDeletePolicy::Other(text),
        }
    }
}

impl From<HookDeletePolicy> for String {
    fn from(policy: HookDeletePolicy) -> Self {
        match policy {
            HookDeletePolicy::HookSucceeded => "hook-succeeded".to_string(),
            HookDeletePolicy::HookFailed => "hook-failed".to_string(),
            HookDeletePolicy::BeforeHookCreation => "before-hook-creation".to_string(),
            HookDeletePolicy::Other(text) => text,
        }
    }
}

/// When a hook's logs are shown. Unknown strings are kept, as Helm keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum HookOutputLogPolicy {
    /// `hook-succeeded`: show logs when the hook succeeded.
    OnSucceeded,
    /// `hook-failed`: show logs when the hook failed.
    OnFailed,
    /// Any other string found in the annotation.
    Other(String),
}

impl From<String> for HookOutputLogPolicy {
    fn from(text: String) -> Self {
        match text.as_str() {
            "hook-succeeded" => HookOutputLogPolicy::OnSucceeded,
            "hook-failed" => HookOutputLogPolicy::OnFailed,
            _ => HookOutputLogPolicy::Other(text),
        }
    }
}

impl From<HookOutputLogPolicy> for String {
    fn from(policy: HookOutputLogPolicy) -> Self {
        match policy {
            HookOutputLogPolicy::OnSucceeded => "hook-succeeded".to_string(),
            HookOutputLogPolicy::OnFailed => "hook-failed".to_string(),
            HookOutputLogPolicy::Other(text) => text,
        }
    }
}

/// The outcome of a hook's last run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HookExecution {
    /// When the run started.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp_serde"
    )]
    pub started_at: Option<Timestamp>,
    /// When the run completed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp_serde"
    )]
    pub completed_at: Option<Timestamp>,
    /// Phase of the run; `None` (written `""`) if the hook never ran.
    #[serde(default, with = "phase_serde")]
    pub phase: Option<HookPhase>,
}

/// The phase of a hook run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HookPhase {
    /// State unknown.
    Unknown,
    /// Running now.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
}

mod phase_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::HookPhase;

    pub fn serialize<S: Serializer>(phase: &Option<HookPhase>, s: S) -> Result<S::Ok, S::Error> {
        match phase {
            Some(phase) => phase.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HookPhase>, D::Error> {
        Ok(match Option::<String>::deserialize(d)?.as_deref() {
            None | Some("") => None,
            Some("Running") => Some(HookPhase::Running),
            Some("Succeeded") => Some(HookPhase::Succeeded),
            Some("Failed") => Some(HookPhase::Failed),
            Some(_) => Some(HookPhase::Unknown),
        })
    }
}

/// Orders hooks for execution as Helm does: by weight, then by name (stable otherwise).
pub fn execution_order(a: &Hook, b: &Hook) -> Ordering {
    a.weight.cmp(&b.weight).then_with(|| a.name.cmp(&b.name))
}

/// The hooks firing on `event`, in execution order (weight, then name).
pub fn hooks_for_event(hooks: &[Hook], event: HookEvent) -> Vec<&Hook> {
    let mut selected: Vec<&Hook> = hooks.iter().filter(|h| h.fires_on(event)).collect();
    selected.sort_by(|a, b| execution_order(a, b));
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(name: &str, weight: i64, events: &[HookEvent]) -> Hook {
        Hook {
            name: name.into(),
            kind: "Job".into(),
            weight,
            events: events.to_vec(),
            ..Hook::default()
        }
    }

    #[test]
    fn never_run_hook_writes_an_empty_phase_and_no_times() {
        let h = Hook {
            name: "setup".into(),
            kind: "Job".into(),
            path: "c/templates/job.yaml".into(),
            manifest: "kind: Job".into(),
            events: vec![HookEvent::PreInstall, HookEvent::PreUpgrade],
            delete_policies: vec![HookDeletePolicy::BeforeHookCreation],
            ..Hook::default()
        };
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"name":"setup","kind":"Job","path":"c/templates/job.yaml","manifest":"kind: Job","events":["pre-install","pre-upgrade"],"last_run":{"phase":""},"delete_policies":["before-hook-creation"]}"#
        );
        let back: Hook = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn last_run_with_times_and_phase_round_trips() {
        let json = r#"{"started_at":"2026-11-27T08:16:55.1Z","completed_at":"2026-11-27T08:16:56Z","phase":"Succeeded"}"#;
        let run: HookExecution = serde_json::from_str(json).unwrap();
        assert_eq!(run.phase, Some(HookPhase::Succeeded));
        assert_eq!(serde_json::to_string(&run).unwrap(), json);
    }

    #[test]
    fn helm3_empty_hook_times_read_as_absent() {
        let run: HookExecution =
            serde_json::from_str(r#"{"started_at":"","completed_at":"","phase":""}"#).unwrap();
        assert_eq!(run, HookExecution::default());
    }

    #[test]
    fn unknown_delete_policy_is_kept_verbatim() {
        let policies: Vec<HookDeletePolicy> =
            serde_json::from_str(r#"["hook-succeeded","hook-succeded"]"#).unwrap();
        assert_eq!(
            policies,
            [
                HookDeletePolicy::HookSucceeded,
                HookDeletePolicy::Other("hook-succeded".into())
            ]
        );
        assert_eq!(
            serde_json::to_string(&policies).unwrap(),
            r#"["hook-succeeded","hook-succeded"]"#
        );
    }

    #[test]
    fn test_success_annotation_means_test() {
        assert_eq!(
            HookEvent::from_annotation("test-success"),
            Some(HookEvent::Test)
        );
        assert_eq!(HookEvent::from_annotation("pre-instal"), None);
    }

    #[test]
    fn hooks_for_event_orders_by_weight_then_name() {
        let hooks = vec![
            hook("b", 0, &[HookEvent::PreInstall]),
            hook("z", -5, &[HookEvent::PreInstall]),
            hook("a", 0, &[HookEvent::PreInstall, HookEvent::PostInstall]),
            hook("c", -10, &[HookEvent::PostInstall]),
        ];
        let names: Vec<&str> = hooks_for_event(&hooks, HookEvent::PreInstall)
            .iter()
            .map(|h| h.name.as_str())
            .collect();
        assert_eq!(names, ["z", "a", "b"]);
    }
}
