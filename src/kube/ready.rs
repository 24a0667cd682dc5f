//! Readiness predicates: is this object, as the server reports it, ready? Pure functions on
//! the object's JSON, so they are tested on hand-built objects (our test cluster has no
//! controllers). Helm counterpart: `pkg/kube/ready.go` (the legacy waiter); Helm 4's default
//! kstatus waiter additionally wants controller conditions, which these do not require.

use serde_json::Value;

/// Whether an object is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Ready (or a kind that has no readiness).
    Ready,
    /// Not yet; says what is missing.
    Pending(String),
    /// Will not become ready without a change (failed Job, rejected CRD names, …).
    Failed(String),
}

/// True for the kinds [`readiness`] inspects; others are ready as soon as they exist.
pub fn has_readiness(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Pod"
            | "Job"
            | "PersistentVolumeClaim"
            | "Service"
            | "CustomResourceDefinition"
    )
}

/// The readiness of `object` (a full object with `kind`, `spec` and `status`). Kinds without
/// a notion of readiness (ConfigMap, Secret, RBAC, custom resources, …) are always ready.
pub fn readiness(object: &Value) -> Readiness {
    let kind = str_at(object, &["kind"]).unwrap_or_default();
    let group = str_at(object, &["apiVersion"])
        .and_then(|v| v.split_once('/').map(|(g, _)| g))
        .unwrap_or_default();
    match (group, kind) {
        ("apps" | "extensions", "Deployment") => deployment(object),
        ("apps", "StatefulSet") => stateful_set(object),
        ("apps" | "extensions", "DaemonSet") => daemon_set(object),
        ("apps" | "extensions", "ReplicaSet") | ("", "ReplicationController") => {
            replica_set(object)
        }
        ("", "Pod") => pod(object),
        ("batch", "Job") => job(object),
        ("", "PersistentVolumeClaim") => pvc(object),
        ("", "Service") => service(object),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => crd(object),
        _ => Readiness::Ready,
    }
}

/// Whether a hook object has run to completion, as Helm waits for hooks: a Job must complete
/// (see [`readiness`]), a Pod must have succeeded; any other kind is done at once.
pub fn completion(object: &Value) -> Readiness {
    match str_at(object, &["kind"]).unwrap_or_default() {
        "Job" => job(object),
        "Pod" => match str_at(object, &["status", "phase"]) {
            Some("Succeeded") => Readiness::Ready,
            Some("Failed") => Readiness::Failed(
                str_at(object, &["status", "message"])
                    .or(str_at(object, &["status", "reason"]))
                    .unwrap_or("pod failed")
                    .to_owned(),
            ),
            phase => Readiness::Pending(format!("pod is {}", phase.unwrap_or("Pending"))),
        },
        _ => Readiness::Ready,
    }
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, key| v.get(key))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    at(v, path).and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
}

/// The `status` of the condition of type `kind`, with its reason and message.
fn condition<'a>(v: &'a Value, kind: &str) -> Option<(&'a str, &'a str, &'a str)> {
    at(v, &["status", "conditions"])?
        .as_array()?
        .iter()
        .find(|c| str_at(c, &["type"]) == Some(kind))
        .map(|c| {
            (
                str_at(c, &["status"]).unwrap_or_default(),
                str_at(c, &["reason"]).unwrap_or_default(),
                str_at(c, &["message"]).unwrap_or_default(),
            )
        })
}

/// `Pending` if the controller has not yet seen the latest spec.
fn generation_observed(v: &Value) -> Option<Readiness> {
    let generation = int_at(v, &["metadata", "generation"]).unwrap_or(0);
    let observed = int_at(v, &["status", "observedGeneration"]).unwrap_or(0);
    (observed < generation).then(|| {
        Readiness::Pending(format!(
            "observed generation {observed} is older than generation {generation}"
        ))
    })
}

/// An int-or-percent (`1`, `"25%"`) scaled against `total`, rounding up or down.
fn scaled(value: Option<&Value>, default: &str, total: i64, round_up: bool) -> i64 {
    let text = match value {
        Some(Value::Number(n)) => return n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.as_str(),
        _ => default,
    };
    match text.strip_suffix('%').map(str::parse::<i64>) {
        Some(Ok(pct)) => {
            let product = pct * total;
            if round_up {
                (product + 99) / 100
            } else {
                product / 100
            }
        }
        _ => text.parse().unwrap_or(0),
    }
}

fn deployment(v: &Value) -> Readiness {
    if at(v, &["spec", "paused"]).and_then(Value::as_bool) == Some(true) {
        return Readiness::Ready;
    }
    if let Some(("False", "ProgressDeadlineExceeded", message)) = condition(v, "Progressing") {
        return Readiness::Failed(message.to_owned());
    }
    if let Some(pending) = generation_observed(v) {
        return pending;
    }
    let desired = int_at(v, &["spec", "replicas"]).unwrap_or(1);
    let updated = int_at(v, &["status", "updatedReplicas"]).unwrap_or(0);
    if updated < desired {
        return Readiness::Pending(format!("{updated} of {desired} replicas updated"));
    }
    let max_unavailable = if str_at(v, &["spec", "strategy", "type"]) == Some("Recreate") {
        0
    } else {
        scaled(
            at(v, &["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
            "25%",
            desired,
            false,
        )
    };
    let ready = int_at(v, &["status", "readyReplicas"]).unwrap_or(0);
    let wanted = desired - max_unavailable;
    if ready < wanted {
        return Readiness::Pending(format!("{ready} of {wanted} replicas ready"));
    }
    Readiness::Ready
}

fn stateful_set(v: &Value) -> Readiness {
    let strategy = str_at(v, &["spec", "updateStrategy", "type"]).unwrap_or("RollingUpdate");
    if strategy != "RollingUpdate" {
        return Readiness::Ready;
    }
    if let Some(pending) = generation_observed(v) {
        return pending;
    }
    let replicas = int_at(v, &["spec", "replicas"]).unwrap_or(1);
    let partition =
        int_at(v, &["spec", "updateStrategy", "rollingUpdate", "partition"]).unwrap_or(0);
    let expected = replicas - partition;
    let updated = int_at(v, &["status", "updatedReplicas"]).unwrap_or(0);
    if updated < expected {
        return Readiness::Pending(format!("{updated} of {expected} replicas updated"));
    }
    let ready = int_at(v, &["status", "readyReplicas"]).unwrap_or(0);
    if ready != replicas {
        return Readiness::Pending(format!("{ready} of {replicas} replicas ready"));
    }
    if partition == 0
        && str_at(v, &["status", "currentRevision"]) != str_at(v, &["status", "updateRevision"])
    {
        return Readiness::Pending("current revision is not the update revision".into());
    }
    Readiness::Ready
}

fn daemon_set(v: &Value) -> Readiness {
    let strategy = str_at(v, &["spec", "updateStrategy", "type"]).unwrap_or("RollingUpdate");
    if strategy != "RollingUpdate" {
        return Readiness::Ready;
    }
    if let Some(pending) = generation_observed(v) {
        return pending;
    }
    let desired = int_at(v, &["status", "desiredNumberScheduled"]).unwrap_or(0);
    let updated = int_at(v, &["status", "updatedNumberScheduled"]).unwrap_or(0);
    if updated < desired {
        return Readiness::Pending(format!("{updated} of {desired} pods updated"));
    }
    let max_unavailable = scaled(
        at(
            v,
            &["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"],
        ),
        "1",
        desired,
        true,
    );
    let ready = int_at(v, &["status", "numberReady"]).unwrap_or(0);
    let wanted = desired - max_unavailable;
    if ready < wanted {
        return Readiness::Pending(format!("{ready} of {wanted} pods ready"));
    }
    Readiness::Ready
}

fn replica_set(v: &Value) -> Readiness {
    if let Some(pending) = generation_observed(v) {
        return pending;
    }
    let desired = int_at(v, &["spec", "replicas"]).unwrap_or(1);
    let ready = int_at(v, &["status", "readyReplicas"]).unwrap_or(0);
    if ready < desired {
        return Readiness::Pending(format!("{ready} of {desired} replicas ready"));
    }
    Readiness::Ready
}

fn pod(v: &Value) -> Readiness {
    match str_at(v, &["status", "phase"]) {
        Some("Succeeded") => return Readiness::Ready,
        Some("Failed") => {
            let reason = str_at(v, &["status", "reason"]).unwrap_or("pod failed");
            return Readiness::Failed(reason.to_owned());
        }
        _ => {}
    }
    match condition(v, "Ready") {
        Some(("True", _, _)) => Readiness::Ready,
        _ => Readiness::Pending(format!(
            "pod is {}",
            str_at(v, &["status", "phase"]).unwrap_or("Pending")
        )),
    }
}

fn job(v: &Value) -> Readiness {
    if let Some(("True", reason, message)) = condition(v, "Failed") {
        let why = if message.is_empty() { reason } else { message };
        return Readiness::Failed(format!("job failed: {why}"));
    }
    let backoff_limit = int_at(v, &["spec", "backoffLimit"]).unwrap_or(6);
    let failed = int_at(v, &["status", "failed"]).unwrap_or(0);
    if failed > backoff_limit {
        return Readiness::Failed(format!(
            "job failed: {failed} failed pods, backoff limit {backoff_limit}"
        ));
    }
    if let Some(("True", _, _)) = condition(v, "Complete") {
        return Readiness::Ready;
    }
    let completions = int_at(v, &["spec", "completions"]).unwrap_or(1);
    let succeeded = int_at(v, &["status", "succeeded"]).unwrap_or(0);
    if succeeded < completions {
        return Readiness::Pending(format!("{succeeded} of {completions} completions"));
    }
    Readiness::Ready
}

fn pvc(v: &Value) -> Readiness {
    match str_at(v, &["status", "phase"]) {
        Some("Bound") => Readiness::Ready,
        Some("Lost") => Readiness::Failed("claim lost its volume".into()),
        phase => Readiness::Pending(format!("claim is {}", phase.unwrap_or("Pending"))),
    }
}

fn service(v: &Value) -> Readiness {
    let kind = str_at(v, &["spec", "type"]).unwrap_or("ClusterIP");
    if kind == "ExternalName" {
        return Readiness::Ready;
    }
    if str_at(v, &["spec", "clusterIP"])
        .unwrap_or_default()
        .is_empty()
    {
        return Readiness::Pending("no cluster IP assigned".into());
    }
    if kind == "LoadBalancer" {
        let has_external = at(v, &["spec", "externalIPs"])
            .and_then(Value::as_array)
            .is_some_and(|ips| !ips.is_empty());
        let has_ingress = at(v, &["status", "loadBalancer", "ingress"])
            .and_then(Value::as_array)
            .is_some_and(|i| !i.is_empty());
        if !has_external && !has_ingress {
            return Readiness::Pending("load balancer has no ingress".into());
        }
    }
    Readiness::Ready
}

fn crd(v: &Value) -> Readiness {
    if let Some(("False", _, message)) = condition(v, "NamesAccepted") {
        return Readiness::Failed(format!("names not accepted: {message}"));
    }
    match condition(v, "Established") {
        Some(("True", _, _)) => Readiness::Ready,
        _ => Readiness::Pending("not established".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(replicas: i64, status: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"generation": 2}, "spec": {"replicas": replicas}, "status": status})
    }

    #[test]
    fn a_deployment_without_status_is_pending() {
        assert!(matches!(
            readiness(&deploy(2, json!({}))),
            Readiness::Pending(_)
        ));
    }

    #[test]
    fn a_deployment_is_ready_when_observed_updated_and_ready() {
        let s = json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2});
        assert_eq!(readiness(&deploy(2, s)), Readiness::Ready);
    }

    #[test]
    fn a_deployment_with_an_old_observed_generation_is_pending() {
        let s = json!({"observedGeneration": 1, "updatedReplicas": 2, "readyReplicas": 2});
        assert!(
            matches!(readiness(&deploy(2, s)), Readiness::Pending(m) if m.contains("generation"))
        );
    }

    #[test]
    fn a_deployment_tolerates_max_unavailable_like_helm() {
        // 4 replicas, default maxUnavailable 25% → 3 ready suffice.
        let s = json!({"observedGeneration": 2, "updatedReplicas": 4, "readyReplicas": 3});
        assert_eq!(readiness(&deploy(4, s)), Readiness::Ready);
        let s = json!({"observedGeneration": 2, "updatedReplicas": 4, "readyReplicas": 2});
        assert!(matches!(readiness(&deploy(4, s)), Readiness::Pending(_)));
    }

    #[test]
    fn a_deployment_past_its_progress_deadline_failed() {
        let s = json!({"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}]});
        assert_eq!(
            readiness(&deploy(1, s)),
            Readiness::Failed("too slow".into())
        );
    }

    #[test]
    fn a_stateful_set_needs_all_replicas_ready_and_revisions_equal() {
        let mut sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"generation": 1},
            "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "updatedReplicas": 2, "readyReplicas": 2, "currentRevision": "a", "updateRevision": "b"}});
        assert!(matches!(readiness(&sts), Readiness::Pending(_)));
        sts["status"]["updateRevision"] = json!("a");
        assert_eq!(readiness(&sts), Readiness::Ready);
        sts["status"]["readyReplicas"] = json!(1);
        assert!(matches!(readiness(&sts), Readiness::Pending(_)));
    }

    #[test]
    fn an_on_delete_stateful_set_is_always_ready() {
        let sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"updateStrategy": {"type": "OnDelete"}}});
        assert_eq!(readiness(&sts), Readiness::Ready);
    }

    #[test]
    fn a_daemon_set_allows_one_unavailable_by_default() {
        let ds = |ready| {
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"generation": 1},
            "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberReady": ready}})
        };
        assert_eq!(readiness(&ds(2)), Readiness::Ready);
        assert!(matches!(readiness(&ds(1)), Readiness::Pending(_)));
    }

    #[test]
    fn a_replica_set_needs_its_replicas_ready() {
        let rs = |ready| json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {"replicas": 2}, "status": {"readyReplicas": ready}});
        assert_eq!(readiness(&rs(2)), Readiness::Ready);
        assert!(matches!(readiness(&rs(1)), Readiness::Pending(_)));
    }

    #[test]
    fn a_pod_is_ready_by_condition_or_when_succeeded() {
        let p = |status| json!({"apiVersion": "v1", "kind": "Pod", "status": status});
        assert_eq!(
            readiness(&p(
                json!({"conditions": [{"type": "Ready", "status": "True"}]})
            )),
            Readiness::Ready
        );
        assert_eq!(
            readiness(&p(json!({"phase": "Succeeded"}))),
            Readiness::Ready
        );
        assert!(matches!(
            readiness(&p(json!({"phase": "Pending"}))),
            Readiness::Pending(_)
        ));
        assert!(matches!(
            readiness(&p(json!({"phase": "Failed"}))),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn a_job_is_ready_when_complete_and_failed_when_its_condition_says_so() {
        let j =
            |status| json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {}, "status": status});
        assert!(matches!(readiness(&j(json!({}))), Readiness::Pending(_)));
        assert_eq!(readiness(&j(json!({"succeeded": 1}))), Readiness::Ready);
        assert_eq!(
            readiness(&j(
                json!({"conditions": [{"type": "Complete", "status": "True"}]})
            )),
            Readiness::Ready
        );
        assert!(matches!(
            readiness(&j(json!({"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}))),
            Readiness::Failed(m) if m.contains("BackoffLimitExceeded")
        ));
    }

    #[test]
    fn a_claim_is_ready_when_bound() {
        let c = |phase| json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": {"phase": phase}});
        assert_eq!(readiness(&c("Bound")), Readiness::Ready);
        assert!(matches!(readiness(&c("Pending")), Readiness::Pending(_)));
    }

    #[test]
    fn a_load_balancer_needs_an_ingress_but_a_cluster_ip_service_does_not() {
        let svc = |ty, status| json!({"apiVersion": "v1", "kind": "Service", "spec": {"type": ty, "clusterIP": "10.0.0.1"}, "status": status});
        assert_eq!(readiness(&svc("ClusterIP", json!({}))), Readiness::Ready);
        assert!(matches!(
            readiness(&svc("LoadBalancer", json!({"loadBalancer": {}}))),
            Readiness::Pending(_)
        ));
        assert_eq!(
            readiness(&svc(
                "LoadBalancer",
                json!({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})
            )),
            Readiness::Ready
        );
    }

    #[test]
    fn a_crd_is_ready_when_established() {
        let crd = |conds| json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "status": {"conditions": conds}});
        assert!(matches!(readiness(&crd(json!([]))), Readiness::Pending(_)));
        assert_eq!(
            readiness(&crd(json!([{"type": "Established", "status": "True"}]))),
            Readiness::Ready
        );
        assert!(matches!(
            readiness(&crd(json!([{"type": "NamesAccepted", "status": "False"}]))),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn a_hook_pod_completes_only_when_it_succeeded() {
        let p = |status| json!({"apiVersion": "v1", "kind": "Pod", "status": status});
        let running_and_ready =
            p(json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}));
        assert_eq!(readiness(&running_and_ready), Readiness::Ready);
        assert!(matches!(
            completion(&running_and_ready),
            Readiness::Pending(_)
        ));
        assert_eq!(
            completion(&p(json!({"phase": "Succeeded"}))),
            Readiness::Ready
        );
        assert!(matches!(
            completion(&p(json!({"phase": "Failed"}))),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn a_hook_job_completes_when_it_succeeded_and_other_kinds_at_once() {
        let j = json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {}, "status": {}});
        assert!(matches!(completion(&j), Readiness::Pending(_)));
        let done = json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {}, "status": {"succeeded": 1}});
        assert_eq!(completion(&done), Readiness::Ready);
        assert_eq!(
            completion(&json!({"apiVersion": "v1", "kind": "ConfigMap"})),
            Readiness::Ready
        );
    }

    #[test]
    fn kinds_without_readiness_are_ready() {
        assert_eq!(
            readiness(&json!({"apiVersion": "v1", "kind": "ConfigMap"})),
            Readiness::Ready
        );
    }
}
