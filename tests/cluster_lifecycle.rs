//! The release lifecycle against a real API server: the per-release lock (a Lease), what
//! happens when a holder is killed or interrupted, concurrent upgrades, rollback-on-failure,
//! `--wait` timeouts, `--recover` of Helm's stuck release, CRDs.
//!
//! No sleep-then-assert: every wait polls a condition with a deadline (the one exception
//! checks that a command is *still* waiting after a while, which no poll can show). Timings
//! measured here are printed (`--nocapture`) as figures, never asserted.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// The lease duration the tests run with (seconds), so that a dead holder expires quickly.
const LOCK_SECONDS: &str = "3";

/// Starts `rhelm ARGS` against the test cluster without waiting for it (for the tests that
/// race it, kill it or signal it). Same clean environment as the harness's runs.
fn spawn_rhelm(args: &[&str]) -> Child {
    spawn_rhelm_on(cluster(), args)
}

/// [`spawn_rhelm`] against a given cluster (a test's own).
fn spawn_rhelm_on(c: &Cluster, args: &[&str]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rhelm"));
    cmd.args(args);
    for var in [
        "HELM_DRIVER",
        "HELM_NAMESPACE",
        "HELM_MAX_HISTORY",
        "HELM_DEBUG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("KUBECONFIG", &c.kubeconfig)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .env("RHELM_LOCK_DURATION", LOCK_SECONDS)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("spawning rhelm")
}

/// Waits for a spawned run and collects it as the harness's [`Run`].
fn finish(child: Child, shown: &str) -> Run {
    let out = child.wait_with_output().expect("waiting for rhelm");
    Run {
        cmd: shown.to_string(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `attempt` until it succeeds, as CI would retry; every failure before must be the
/// lock's refusal (a dead holder's lease not yet expired). Returns the success and how many
/// refusals came first.
fn retry_past_the_lock(what: &str, mut attempt: impl FnMut() -> Run) -> (Run, u32) {
    let mut refusals = 0;
    let run = eventually(what, || {
        let run = attempt();
        if run.code == Some(0) {
            return Some(run);
        }
        assert!(
            run.stderr
                .contains("another operation (install/upgrade/rollback) is in progress: ")
                && run.stderr.contains("has held the lock for"),
            "only the lock may refuse it\n{run}"
        );
        refusals += 1;
        None
    });
    (run, refusals)
}

fn rhelm_locked(args: &[&str]) -> Run {
    rhelm_env(args, &[("RHELM_LOCK_DURATION", LOCK_SECONDS)])
}

/// The lock Lease of `release`, if any.
fn lease(ns: &str, release: &str) -> Option<serde_json::Value> {
    let name = format!("rhelm-lock.{release}");
    let out = kubectl(&[
        "get",
        "lease",
        &name,
        "-n",
        ns,
        "--ignore-not-found",
        "-o",
        "json",
    ])
    .ok();
    (!out.stdout.trim().is_empty()).then(|| serde_json::from_str(&out.stdout).expect("lease json"))
}

fn status_of(ns: &str, release: &str, revision: u64) -> Option<String> {
    stored_releases(ns, release)
        .into_iter()
        .find(|r| r.revision() == revision)
        .map(|r| r.status().to_string())
}

/// A chart of `count` ConfigMaps (so that applying it takes a while) and an optional
/// Deployment that nothing makes ready unless the test does.
fn many_objects_chart(count: usize, deployment: bool) -> tempfile::TempDir {
    let mut files = vec![
        (
            "Chart.yaml".to_string(),
            "apiVersion: v2\nname: many\nversion: 1.0.0\n".to_string(),
        ),
        ("values.yaml".to_string(), format!("count: {count}\ngreeting: hello\n")),
        (
            "templates/configmaps.yaml".to_string(),
            "{{- range $i := until (int .Values.count) }}\n---\napiVersion: v1\nkind: ConfigMap\n\
             metadata:\n  name: {{ $.Release.Name }}-{{ $i }}\ndata:\n  greeting: {{ $.Values.greeting | quote }}\n{{- end }}\n"
                .to_string(),
        ),
    ];
    if deployment {
        files.push((
            "templates/deployment.yaml".to_string(),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: 1\n  \
             selector:\n    matchLabels:\n      app: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n        \
             app: {{ .Release.Name }}\n      annotations:\n        greeting: {{ .Values.greeting | quote }}\n    spec:\n      \
             containers:\n      - name: main\n        image: busybox:1.36\n"
                .to_string(),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_chart(&refs)
}

#[test]
fn a_second_operation_fails_at_once_naming_the_lock_holder() {
    let ns = create_ns("lock-held");
    let chart = many_objects_chart(2, true);
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "held", chart, "-n", &ns]).ok();
    // The first upgrade waits for a Deployment nobody makes ready: it holds the lock.
    let shown = "rhelm upgrade held --wait";
    let first = spawn_rhelm(&[
        "upgrade",
        "held",
        chart,
        "-n",
        &ns,
        "--set",
        "greeting=v2",
        "--wait",
        "--timeout",
        "90s",
    ]);
    let holder = eventually("the first upgrade holds the lock", || {
        lease(&ns, "held").and_then(|l| l["spec"]["holderIdentity"].as_str().map(str::to_string))
    });
    assert!(holder.ends_with("/upgrade"), "holder {holder:?}");
    let started = Instant::now();
    let second =
        rhelm_locked(&["upgrade", "held", chart, "-n", &ns, "--set", "greeting=v3"]).fails();
    let refused_in = started.elapsed();
    assert!(
        second.stderr.contains(&format!(
            "another operation (install/upgrade/rollback) is in progress: {holder} has held the lock for "
        )),
        "\n{second}"
    );
    // Renewed in the background: still held after several lease durations.
    eventually("the lease is renewed past its first duration", || {
        let l = lease(&ns, "held")?;
        (l["spec"]["renewTime"] != l["spec"]["acquireTime"]).then_some(())
    });
    mark_deployment_ready(&ns, "held");
    let first = finish(first, shown).ok();
    assert!(first.stdout.contains("has been upgraded"), "\n{first}");
    assert_eq!(status_of(&ns, "held", 2).as_deref(), Some("deployed"));
    assert_eq!(
        stored_releases(&ns, "held").len(),
        2,
        "the refused upgrade wrote nothing"
    );
    assert!(lease(&ns, "held").is_none(), "the lock is released");
    eprintln!("figure: a held lock refused a second upgrade in {refused_in:?} (whole process)");
}

/// The `greeting` of every ConfigMap of the namespace that has one (one kubectl call).
fn greetings(ns: &str) -> Vec<String> {
    let list = kubectl_json(&["get", "configmaps", "-n", ns]);
    list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["data"]["greeting"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Enough ConfigMaps that applying them takes a few seconds, so the kill lands mid-apply.
const KILL_OBJECTS: usize = 300;

#[test]
fn an_upgrade_killed_mid_apply_is_taken_over_after_the_lease_expires() {
    let ns = create_ns("lock-kill");
    let chart = many_objects_chart(KILL_OBJECTS, false);
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "victim", chart, "-n", &ns]).ok();
    let mut child = spawn_rhelm(&[
        "upgrade",
        "victim",
        chart,
        "-n",
        &ns,
        "--set",
        "greeting=v2",
    ]);
    // The pending record is written after planning, right before objects are applied; its
    // `status` label is the cheapest thing to poll.
    eventually("the upgrade wrote its pending-upgrade record", || {
        let label = kubectl(&[
            "get",
            "secret",
            "sh.helm.release.v1.victim.v2",
            "-n",
            &ns,
            "--ignore-not-found",
            "-o",
            "jsonpath={.metadata.labels.status}",
        ]);
        (label.stdout == "pending-upgrade").then_some(())
    });
    child.kill().expect("kill -9"); // SIGKILL: no cleanup at all
    let killed_at = Instant::now();
    let _ = child.wait();
    let applied = greetings(&ns).iter().filter(|g| *g == "v2").count();
    assert_eq!(
        status_of(&ns, "victim", 2).as_deref(),
        Some("pending-upgrade")
    );

    // Retry as CI would: refused with the lock message until the dead holder's lease expires.
    let (next, refusals) =
        retry_past_the_lock("an upgrade succeeds after the lease expires", || {
            rhelm_locked(&[
                "upgrade",
                "victim",
                chart,
                "-n",
                &ns,
                "--set",
                "greeting=v3",
            ])
        });
    let recovered_in = killed_at.elapsed();
    assert!(next.stdout.contains("has been upgraded"), "\n{next}");
    let records = stored_releases(&ns, "victim");
    let summary: Vec<(u64, String, String)> = records
        .iter()
        .map(|r| {
            (
                r.revision(),
                r.status().to_string(),
                r.description().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "superseded".to_string(), "Install complete".to_string()),
            (
                2,
                "failed".to_string(),
                "interrupted: Preparing upgrade".to_string()
            ),
            (3, "deployed".to_string(), "Upgrade complete".to_string()),
        ]
    );
    assert_nothing_pending(&ns, "victim");
    for i in 0..KILL_OBJECTS {
        assert_eq!(
            field(&ns, "configmap", &format!("victim-{i}"), "{.data.greeting}"),
            "v3"
        );
    }
    assert!(lease(&ns, "victim").is_none());
    eprintln!(
        "figure: killed with {applied}/{KILL_OBJECTS} objects updated; {refusals} refusals, then recovered \
         {recovered_in:?} after the kill (lease {LOCK_SECONDS}s)"
    );
}

#[test]
fn ten_concurrent_upgrades_run_one_at_a_time_and_none_is_lost() {
    let ns = create_ns("lock-ten");
    let chart = many_objects_chart(3, false);
    let chart = chart.path().to_str().expect("path").to_string();
    rhelm_locked(&["install", "ten", &chart, "-n", &ns]).ok();
    let started = Instant::now();
    let workers: Vec<_> = (0..10)
        .map(|i| {
            let (ns, chart) = (ns.clone(), chart.clone());
            std::thread::spawn(move || {
                let greeting = format!("greeting=g{i}");
                let args = [
                    "upgrade",
                    "ten",
                    &chart,
                    "-n",
                    &ns,
                    "--set",
                    &greeting,
                    "--history-max",
                    "0",
                ];
                let mut refusals = 0u32;
                let deadline = Instant::now() + Duration::from_secs(240);
                loop {
                    let run = rhelm_locked(&args);
                    if run.code == Some(0) {
                        return refusals;
                    }
                    assert!(
                        run.stderr.contains(
                            "another operation (install/upgrade/rollback) is in progress: "
                        ),
                        "worker {i}: only the lock may refuse an upgrade\n{run}"
                    );
                    refusals += 1;
                    assert!(Instant::now() < deadline, "worker {i} never got the lock");
                    std::thread::sleep(Duration::from_millis(50 + 37 * i as u64));
                }
            })
        })
        .collect();
    let refusals: u32 = workers.into_iter().map(|w| w.join().expect("worker")).sum();
    let elapsed = started.elapsed();
    let records = stored_releases(&ns, "ten");
    assert_eq!(
        records.iter().map(|r| r.revision()).collect::<Vec<_>>(),
        (1..=11).collect::<Vec<_>>(),
        "one revision per upgrade, none lost, none duplicated"
    );
    assert_nothing_pending(&ns, "ten");
    let deployed: Vec<u64> = records
        .iter()
        .filter(|r| r.status() == "deployed")
        .map(|r| r.revision())
        .collect();
    assert_eq!(deployed, [11]);
    let mut greetings: Vec<String> = records[1..]
        .iter()
        .map(|r| {
            r.release["config"]["greeting"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    greetings.sort();
    let mut expected: Vec<String> = (0..10).map(|i| format!("g{i}")).collect();
    expected.sort();
    assert_eq!(greetings, expected, "every upgrade's values recorded once");
    let last = records[10].release["config"]["greeting"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(field(&ns, "configmap", "ten-0", "{.data.greeting}"), last);
    eprintln!("figure: 10 contending upgrades serialized in {elapsed:?}, {refusals} lock refusals");
}

#[test]
fn a_failing_pre_upgrade_hook_with_rollback_on_failure_returns_to_the_previous_revision() {
    let ns = create_ns("atomic-hook");
    let chart = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: hooked\nversion: 1.0.0\n",
        ),
        ("values.yaml", "greeting: hello\n"),
        (
            "templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
        ),
        (
            "templates/hook.yaml",
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-pre\n  annotations:\n    \
             \"helm.sh/hook\": pre-upgrade\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      \
             containers:\n      - name: check\n        image: busybox:1.36\n        command: [\"false\"]\n",
        ),
    ]);
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "atomic", chart, "-n", &ns]).ok();
    let child = spawn_rhelm(&[
        "upgrade",
        "atomic",
        chart,
        "-n",
        &ns,
        "--set",
        "greeting=v2",
        "--atomic",
        "--timeout",
        "90s",
    ]);
    eventually("the pre-upgrade hook Job exists", || {
        exists(&ns, "job", "atomic-pre").then_some(())
    });
    // Play the Job controller: the hook fails.
    mark_job_failed(&ns, "atomic-pre");
    let out = finish(child, "rhelm upgrade atomic --atomic").fails();
    assert!(
        out.error_line().starts_with(
            "Error: UPGRADE FAILED: release atomic failed, and has been rolled back due to rollback-on-failure being set: "
        ),
        "\n{out}"
    );
    let records = stored_releases(&ns, "atomic");
    let summary: Vec<(u64, &str)> = records.iter().map(|r| (r.revision(), r.status())).collect();
    assert_eq!(summary, [(1, "superseded"), (2, "failed"), (3, "deployed")]);
    assert_eq!(records[2].description(), "Rollback to 1");
    assert_eq!(records[2].manifest(), records[0].manifest());
    assert_eq!(
        field(&ns, "configmap", "atomic", "{.data.greeting}"),
        "hello"
    );
    assert!(lease(&ns, "atomic").is_none());
}

#[test]
fn a_wait_timeout_records_failed_naming_each_unready_resource() {
    let ns = create_ns("wait-timeout");
    let chart = many_objects_chart(1, true);
    let chart = chart.path().to_str().expect("path");
    let started = Instant::now();
    let out = rhelm_locked(&[
        "install",
        "slow",
        chart,
        "-n",
        &ns,
        "--wait",
        "--timeout",
        "3s",
    ])
    .fails();
    let took = started.elapsed();
    let line = format!("resource Deployment/{ns}/slow not ready. status: InProgress, message: ");
    assert!(out.stderr.contains(&line), "\n{out}");
    assert!(out.stderr.contains("context deadline exceeded"), "\n{out}");
    let record = stored_revision(&ns, "slow", 1);
    assert_eq!(record.status(), "failed");
    assert!(
        record.description().contains(&line),
        "{}",
        record.description()
    );
    assert!(lease(&ns, "slow").is_none());
    eprintln!("figure: install --wait --timeout 3s failed after {took:?}");
}

#[test]
fn wait_succeeds_once_the_deployment_becomes_ready() {
    let ns = create_ns("wait-ready");
    let chart = many_objects_chart(1, true);
    let chart = chart.path().to_str().expect("path");
    let child = spawn_rhelm(&[
        "install",
        "ready",
        chart,
        "-n",
        &ns,
        "--wait",
        "--timeout",
        "90s",
    ]);
    eventually("the deployment exists", || {
        exists(&ns, "deployment", "ready").then_some(())
    });
    mark_deployment_ready(&ns, "ready");
    let out = finish(child, "rhelm install ready --wait").ok();
    assert!(out.stdout.contains("STATUS: deployed"), "\n{out}");
    // Off a terminal, progress is plain timestamped lines on stderr.
    assert!(
        out.stderr
            .contains(&format!("Deployment \"ready\" in namespace \"{ns}\"")),
        "\n{out}"
    );
}

#[test]
fn sigterm_during_an_upgrade_marks_it_failed_and_releases_the_lock() {
    let ns = create_ns("lock-signal");
    let chart = many_objects_chart(1, true);
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "sig", chart, "-n", &ns]).ok();
    let child = spawn_rhelm(&[
        "upgrade",
        "sig",
        chart,
        "-n",
        &ns,
        "--set",
        "greeting=v2",
        "--wait",
        "--timeout",
        "90s",
    ]);
    eventually("the upgrade is pending", || {
        (status_of(&ns, "sig", 2).as_deref() == Some("pending-upgrade")).then_some(())
    });
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    let out = finish(child, "rhelm upgrade sig --wait");
    assert_eq!(out.code, Some(1), "\n{out}");
    assert!(out.stderr.contains("interrupted by signal"), "\n{out}");
    let record = stored_revision(&ns, "sig", 2);
    assert_eq!(
        (record.status(), record.description()),
        ("failed", "interrupted by signal")
    );
    assert!(lease(&ns, "sig").is_none(), "the lock is released at once");
    // And the next upgrade proceeds immediately.
    rhelm_locked(&["upgrade", "sig", chart, "-n", &ns, "--set", "greeting=v3"]).ok();
}

#[test]
fn recover_marks_helms_pending_rollback_failed_and_upgrades() {
    let ns = create_ns("recover");
    load_helm_fixtures(&ns, &[1, 2, 3], true);
    let chart = shared_dir().join("conformance/guestbook/chart");
    let chart = chart.to_str().expect("path");
    let refused = rhelm_locked(&["upgrade", LAB_RELEASE, chart, "-n", &ns]).fails();
    assert!(
        refused
            .stderr
            .contains("another operation (install/upgrade/rollback) is in progress")
            && refused.stderr.contains("--recover"),
        "\n{refused}"
    );
    assert_eq!(
        stored_releases(&ns, LAB_RELEASE).len(),
        3,
        "nothing written"
    );
    rhelm_locked(&["upgrade", LAB_RELEASE, chart, "-n", &ns, "--recover"]).ok();
    let r3 = stored_revision(&ns, LAB_RELEASE, 3);
    assert_eq!(
        (r3.status(), r3.description()),
        ("failed", "interrupted: Rollback to 1")
    );
    assert_eq!(stored_revision(&ns, LAB_RELEASE, 4).status(), "deployed");
    assert_nothing_pending(&ns, LAB_RELEASE);
}

#[test]
fn crds_are_created_before_the_templates_skipped_when_present_and_never_deleted() {
    let ns = create_ns("crds");
    let group = format!("{}.example.com", ns);
    let crd = format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.{group}\nspec:\n  \
         group: {group}\n  scope: Namespaced\n  names:\n    plural: widgets\n    singular: widget\n    kind: Widget\n  \
         versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        \
         type: object\n        x-kubernetes-preserve-unknown-fields: true\n"
    );
    let widget = format!(
        "apiVersion: {group}/v1\nkind: Widget\nmetadata:\n  name: {{{{ .Release.Name }}}}\nspec:\n  size: 3\n"
    );
    let chart = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: widgets\nversion: 1.0.0\n",
        ),
        ("crds/widget.yaml", &crd),
        ("templates/widget.yaml", &widget),
    ]);
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "w1", chart, "-n", &ns]).ok();
    let crd_name = format!("widgets.{group}");
    assert_eq!(
        kubectl(&["get", "crd", &crd_name, "-o", "name"])
            .ok()
            .stdout
            .trim(),
        format!("customresourcedefinition.apiextensions.k8s.io/{crd_name}")
    );
    assert!(exists(&ns, &format!("widgets.{group}"), "w1"));
    // Present already: skipped; and --skip-crds installs templates only.
    rhelm_locked(&["install", "w2", chart, "-n", &ns]).ok();
    rhelm_locked(&["install", "w3", chart, "-n", &ns, "--skip-crds"]).ok();
    rhelm_locked(&["uninstall", "w1", "-n", &ns]).ok();
    rhelm_locked(&["uninstall", "w2", "-n", &ns]).ok();
    rhelm_locked(&["uninstall", "w3", "-n", &ns]).ok();
    assert!(
        !kubectl(&["get", "crd", &crd_name, "-o", "name"])
            .ok()
            .stdout
            .trim()
            .is_empty(),
        "CRDs are never deleted"
    );
}

/// A chart with ConfigMaps `<release>-<i>` and a Secret, for the diff tests.
fn diff_chart() -> tempfile::TempDir {
    write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: differ\nversion: 1.0.0\n",
        ),
        (
            "values.yaml",
            "count: 2\ngreeting: hello\npassword: s3cret\n",
        ),
        (
            "templates/configmaps.yaml",
            "{{- range $i := until (int .Values.count) }}\n---\napiVersion: v1\nkind: ConfigMap\n\
             metadata:\n  name: {{ $.Release.Name }}-{{ $i }}\ndata:\n  greeting: {{ $.Values.greeting | quote }}\n{{- end }}\n",
        ),
        (
            "templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  password: {{ .Values.password | b64enc }}\n",
        ),
    ])
}

#[test]
fn diff_upgrade_shows_changes_creations_and_deletions_without_applying_them() {
    let ns = create_ns("diff-upgrade");
    let chart = diff_chart();
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "d", chart, "-n", &ns]).ok();

    let same = rhelm_locked(&[
        "diff",
        "upgrade",
        "d",
        chart,
        "-n",
        &ns,
        "--detailed-exitcode",
    ])
    .ok();
    assert_eq!(same.stdout, "release \"d\": no changes\n", "\n{same}");

    let started = Instant::now();
    let out = rhelm_locked(&[
        "diff",
        "upgrade",
        "d",
        chart,
        "-n",
        &ns,
        "--set",
        "greeting=v2,password=n3w",
        "--detailed-exitcode",
    ]);
    let took = started.elapsed();
    assert_eq!(out.code, Some(2), "changes: exit 2\n{out}");
    let changed = format!("ConfigMap \"d-0\" in namespace \"{ns}\" will be changed\n");
    assert!(out.stdout.contains(&changed), "\n{out}");
    assert!(out.stdout.contains("-  greeting: hello\n"), "\n{out}");
    assert!(out.stdout.contains("+  greeting: v2\n"), "\n{out}");
    assert!(
        out.stdout
            .contains("+  password: '(masked: 3 bytes, changed)'\n"),
        "\n{out}"
    );
    assert!(
        !out.stdout.contains("bjN3"),
        "no Secret value is shown\n{out}"
    );
    assert!(
        !out.stdout.contains("managedFields") && !out.stdout.contains("resourceVersion"),
        "\n{out}"
    );
    // Nothing was applied or recorded.
    assert_eq!(field(&ns, "configmap", "d-0", "{.data.greeting}"), "hello");
    assert_eq!(stored_releases(&ns, "d").len(), 1);

    let shown = rhelm_locked(&[
        "diff",
        "upgrade",
        "d",
        chart,
        "-n",
        &ns,
        "--set",
        "password=n3w",
        "--show-secrets",
    ])
    .ok();
    assert!(shown.stdout.contains("+  password: bjN3\n"), "\n{shown}");

    let json = rhelm_locked(&[
        "diff", "upgrade", "d", chart, "-n", &ns, "--set", "count=3", "-o", "json",
    ])
    .ok();
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let changes: Vec<(String, String)> = report["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap_or_default().to_string(),
                o["change"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        changes.contains(&("d-2".to_string(), "create".to_string())),
        "{changes:?}"
    );
    assert!(
        changes.contains(&("d-0".to_string(), "unchanged".to_string())),
        "{changes:?}"
    );

    let fewer = rhelm_locked(&["diff", "upgrade", "d", chart, "-n", &ns, "--set", "count=1"]).ok();
    assert!(
        fewer.stdout.contains(&format!(
            "ConfigMap \"d-1\" in namespace \"{ns}\" will be deleted\n"
        )),
        "\n{fewer}"
    );
    eprintln!("figure: diff upgrade of 3 objects took {took:?} (whole process)");
}

#[test]
fn diff_rollback_shows_what_returning_to_a_revision_changes() {
    let ns = create_ns("diff-rollback");
    let chart = diff_chart();
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "d", chart, "-n", &ns]).ok();
    rhelm_locked(&["upgrade", "d", chart, "-n", &ns, "--set", "greeting=v2"]).ok();
    let out = rhelm_locked(&[
        "diff",
        "rollback",
        "d",
        "1",
        "-n",
        &ns,
        "--detailed-exitcode",
    ]);
    assert_eq!(out.code, Some(2), "\n{out}");
    assert!(
        out.stdout.contains("-  greeting: v2\n+  greeting: hello\n"),
        "\n{out}"
    );
    assert_eq!(field(&ns, "configmap", "d-0", "{.data.greeting}"), "v2");
    let missing = rhelm_locked(&["diff", "rollback", "d", "9", "-n", &ns]).fails();
    assert!(
        missing.stderr.contains("release has no 9 version"),
        "\n{missing}"
    );
}

#[test]
fn take_ownership_adopts_objects_another_owner_left_and_cleanup_on_fail_removes_new_ones() {
    let ns = create_ns("ownership");
    kubectl(&[
        "create",
        "configmap",
        "own-0",
        "-n",
        &ns,
        "--from-literal=other=theirs",
    ])
    .ok();
    let chart = many_objects_chart(1, false);
    let chart = chart.path().to_str().expect("path");
    let refused = rhelm_locked(&["install", "own", chart, "-n", &ns]).fails();
    assert!(
        refused.stderr.contains("invalid ownership metadata"),
        "\n{refused}"
    );
    assert!(
        stored_releases(&ns, "own").is_empty(),
        "a refused install records nothing"
    );
    // (Fields both set would conflict, as in Helm 4, until --force-conflicts; this object
    // only has a field the chart does not set.)
    rhelm_locked(&["install", "own", chart, "-n", &ns, "--take-ownership"]).ok();
    assert_eq!(field(&ns, "configmap", "own-0", "{.data.other}"), "theirs");
    assert_eq!(
        field(&ns, "configmap", "own-0", "{.data.greeting}"),
        "hello"
    );
    assert_eq!(
        field(
            &ns,
            "configmap",
            "own-0",
            "{.metadata.annotations.meta\\.helm\\.sh/release-name}"
        ),
        "own"
    );

    // An upgrade adding objects and then failing (a Deployment the server rejects).
    let bad = write_chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: many\nversion: 1.0.1\n"),
        (
            "templates/a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own-0\ndata:\n  greeting: hello\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own-new\ndata:\n  x: y\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: own-bad\nspec:\n  replicas: -1\n  selector:\n    \
             matchLabels:\n      app: x\n  template:\n    metadata:\n      labels:\n        app: x\n    spec:\n      \
             containers:\n      - name: c\n        image: busybox\n",
        ),
    ]);
    let bad = bad.path().to_str().expect("path");
    rhelm_locked(&["upgrade", "own", bad, "-n", &ns, "--cleanup-on-fail"]).fails();
    assert_gone(&ns, "configmap", "own-new");
    assert!(
        exists(&ns, "configmap", "own-0"),
        "objects of the previous revision stay"
    );
    assert_eq!(status_of(&ns, "own", 2).as_deref(), Some("failed"));
}

#[test]
fn uninstall_wait_returns_once_the_objects_are_gone_and_dry_run_server_writes_nothing() {
    let ns = create_ns("uninstall-wait");
    let chart = many_objects_chart(3, false);
    let chart = chart.path().to_str().expect("path");
    let dry = rhelm_locked(&["install", "u", chart, "-n", &ns, "--dry-run=server"]).ok();
    assert!(dry.stdout.contains("STATUS: pending-install"), "\n{dry}");
    assert!(!exists(&ns, "configmap", "u-0"));
    assert!(stored_releases(&ns, "u").is_empty());
    // The server validates on --dry-run=server (a negative replica count), not on client.
    let tiny = tiny_chart();
    let tiny = tiny.path().to_str().expect("path");
    rhelm_locked(&[
        "install",
        "t",
        tiny,
        "-n",
        &ns,
        "--dry-run",
        "--set",
        "replicas=-1",
    ])
    .ok();
    let rejected = rhelm_locked(&[
        "install",
        "t",
        tiny,
        "-n",
        &ns,
        "--dry-run=server",
        "--set",
        "replicas=-1",
    ])
    .fails();
    assert!(rejected.stderr.contains("replicas"), "\n{rejected}");
    assert!(!exists(&ns, "deployment", "t"));

    rhelm_locked(&["install", "u", chart, "-n", &ns]).ok();
    let out = rhelm_locked(&["uninstall", "u", "-n", &ns, "--wait", "--timeout", "60s"]).ok();
    assert_eq!(out.stdout, "release \"u\" uninstalled\n");
    // Right after it returns, nothing is left (no eventually: --wait promised it).
    for i in 0..3 {
        assert!(!exists(&ns, "configmap", &format!("u-{i}")));
    }
    assert!(lease(&ns, "u").is_none());
}

#[test]
fn rhelm_test_runs_the_selected_test_hooks_and_records_their_phase() {
    let ns = create_ns("rhelm-test");
    let job = |name: &str| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{{{ .Release.Name }}}}-{name}\n  annotations:\n    \
             \"helm.sh/hook\": test\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      \
             - name: t\n        image: busybox:1.36\n        command: [\"true\"]\n"
        )
    };
    let (smoke, slow) = (job("smoke"), job("slow"));
    let chart = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: tested\nversion: 1.0.0\n",
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: b\n",
        ),
        ("templates/tests/smoke.yaml", &smoke),
        ("templates/tests/slow.yaml", &slow),
    ]);
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "tt", chart, "-n", &ns]).ok();
    assert!(
        !exists(&ns, "job", "tt-smoke"),
        "tests run only on `rhelm test`"
    );
    let child = spawn_rhelm(&[
        "test",
        "tt",
        "-n",
        &ns,
        "--filter",
        "!name=tt-slow",
        "--timeout",
        "60s",
    ]);
    eventually("the test Job exists", || {
        exists(&ns, "job", "tt-smoke").then_some(())
    });
    mark_job_complete(&ns, "tt-smoke");
    let out = finish(child, "rhelm test tt").ok();
    assert!(out.stdout.contains("TEST SUITE:     tt-smoke\n"), "\n{out}");
    assert!(
        out.stdout.contains("Phase:          Succeeded\n"),
        "\n{out}"
    );
    assert!(!exists(&ns, "job", "tt-slow"), "filtered out");
    let hooks = stored_revision(&ns, "tt", 1).release["hooks"].clone();
    let smoke_run = hooks
        .as_array()
        .expect("hooks")
        .iter()
        .find(|h| h["name"] == "tt-smoke")
        .expect("smoke hook")["last_run"]
        .clone();
    assert_eq!(smoke_run["phase"], "Succeeded");

    // A failing test fails the command and is recorded as such.
    let child = spawn_rhelm(&[
        "test",
        "tt",
        "-n",
        &ns,
        "--filter",
        "name=tt-slow",
        "--timeout",
        "60s",
    ]);
    eventually("the second test Job exists", || {
        exists(&ns, "job", "tt-slow").then_some(())
    });
    mark_job_failed(&ns, "tt-slow");
    let failed = finish(child, "rhelm test tt --filter name=tt-slow").fails();
    assert!(
        failed.stderr.contains("tt-slow"),
        "the failing test is named\n{failed}"
    );
    let hooks = stored_revision(&ns, "tt", 1).release["hooks"].clone();
    let phase = |name: &str| {
        hooks
            .as_array()
            .expect("hooks")
            .iter()
            .find(|h| h["name"] == name)
            .expect("hook")["last_run"]["phase"]
            .clone()
    };
    assert_eq!(phase("tt-slow"), "Failed");
    assert_eq!(
        phase("tt-smoke"),
        "Succeeded",
        "the earlier run stays recorded"
    );
}

#[test]
fn a_failed_install_with_rollback_on_failure_is_uninstalled() {
    let ns = create_ns("atomic-install");
    let chart = many_objects_chart(2, true);
    let chart = chart.path().to_str().expect("path");
    // --atomic implies --wait; nothing makes the Deployment ready.
    let out = rhelm_locked(&[
        "install",
        "gone",
        chart,
        "-n",
        &ns,
        "--atomic",
        "--timeout",
        "2s",
    ])
    .fails();
    assert!(
        out.error_line().starts_with(
            "Error: INSTALLATION FAILED: release gone failed, and has been uninstalled due to rollback-on-failure being set: "
        ),
        "\n{out}"
    );
    assert!(
        out.stderr.contains("resource Deployment/"),
        "the cause is kept\n{out}"
    );
    assert!(
        stored_releases(&ns, "gone").is_empty(),
        "no history is kept"
    );
    assert_gone(&ns, "configmap", "gone-0");
    assert_gone(&ns, "deployment", "gone");
    assert!(lease(&ns, "gone").is_none());
    // The name is free again.
    rhelm_locked(&["install", "gone", chart, "-n", &ns]).ok();
}

#[test]
fn upgrade_crds_applies_changed_crds_which_plain_upgrades_leave_alone() {
    let ns = create_ns("upgrade-crds");
    let group = format!("{ns}.example.com");
    let crd = |column: &str| {
        format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.{group}\nspec:\n  \
             group: {group}\n  scope: Namespaced\n  names:\n    plural: gadgets\n    singular: gadget\n    kind: Gadget\n  \
             versions:\n  - name: v1\n    served: true\n    storage: true\n    additionalPrinterColumns:\n    \
             - name: {column}\n      type: string\n      jsonPath: .spec.size\n    schema:\n      openAPIV3Schema:\n        \
             type: object\n        x-kubernetes-preserve-unknown-fields: true\n"
        )
    };
    let chart_files = |column: &str| {
        let crd = crd(column);
        write_chart(&[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: gadgets\nversion: 1.0.0\n",
            ),
            ("crds/gadget.yaml", &crd),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: b\n",
            ),
        ])
    };
    let v1 = chart_files("Size");
    let v2 = chart_files("Bigness");
    let (v1, v2) = (
        v1.path().to_str().expect("path"),
        v2.path().to_str().expect("path"),
    );
    let crd_name = format!("gadgets.{group}");
    let column = || {
        kubectl(&[
            "get",
            "crd",
            &crd_name,
            "-o",
            "jsonpath={.spec.versions[0].additionalPrinterColumns[0].name}",
        ])
        .ok()
        .stdout
    };
    rhelm_locked(&["install", "g", v1, "-n", &ns]).ok();
    assert_eq!(column(), "Size");
    rhelm_locked(&["upgrade", "g", v2, "-n", &ns]).ok();
    assert_eq!(
        column(),
        "Size",
        "like Helm, a plain upgrade leaves CRDs alone"
    );
    let out = rhelm_locked(&["upgrade", "g", v2, "-n", &ns, "--upgrade-crds", "--debug"]).ok();
    assert_eq!(column(), "Bigness");
    assert!(
        out.stderr
            .contains(&format!("applied changed CRD {crd_name}")),
        "\n{out}"
    );
    let again = rhelm_locked(&["upgrade", "g", v2, "-n", &ns, "--upgrade-crds", "--debug"]).ok();
    assert!(
        !again.stderr.contains("applied changed CRD"),
        "unchanged CRDs are not reported\n{again}"
    );
}

/// A cluster of the test's own, for faults that would disturb the shared one; stopped when
/// dropped (also when the test fails), its state directory removed after.
struct OwnCluster {
    dir: tempfile::TempDir,
    cluster: Cluster,
}

impl OwnCluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let cluster = start_cluster_in(dir.path());
        OwnCluster { dir, cluster }
    }

    /// `scripts/test-cluster.sh start DIR` again: a stopped API server comes back on the same
    /// etcd data (perhaps on new ports; the kubeconfig is rewritten).
    fn restart(&mut self) {
        self.cluster = start_cluster_in(self.dir.path());
    }

    /// SIGKILL to the kube-apiserver process only (etcd keeps running); returns once its port
    /// refuses connections.
    fn kill_apiserver(&self) {
        let pid_file = self.dir.path().join("kube-apiserver.pid");
        let pid = std::fs::read_to_string(&pid_file).expect("reading kube-apiserver.pid");
        let status = Command::new("kill")
            .args(["-KILL", pid.trim()])
            .status()
            .expect("kill -KILL");
        assert!(status.success(), "kill -KILL {pid} failed");
        let address = self
            .cluster
            .server
            .trim_start_matches("https://")
            .to_string();
        let address: std::net::SocketAddr = address.parse().expect("server address");
        eventually("the killed API server refuses connections", || {
            std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200))
                .is_err()
                .then_some(())
        });
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("scripts/test-cluster.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[test]
fn an_api_server_killed_mid_upgrade_and_restarted_leaves_a_recoverable_release() {
    let mut own = OwnCluster::start();
    let ns = unique_ns("apiserver-restart");
    own.cluster.kubectl(&["create", "namespace", &ns]).ok();
    let chart = many_objects_chart(KILL_OBJECTS, false);
    let chart = chart.path().to_str().expect("path");
    let locked = [("RHELM_LOCK_DURATION", LOCK_SECONDS)];
    own.cluster
        .rhelm_env(&["install", "phoenix", chart, "-n", &ns], &locked)
        .ok();
    let upgrade = spawn_rhelm_on(
        &own.cluster,
        &[
            "upgrade",
            "phoenix",
            chart,
            "-n",
            &ns,
            "--set",
            "greeting=v2",
        ],
    );
    eventually("the upgrade wrote its pending-upgrade record", || {
        let label = own.cluster.kubectl(&[
            "get",
            "secret",
            "sh.helm.release.v1.phoenix.v2",
            "-n",
            &ns,
            "--ignore-not-found",
            "-o",
            "jsonpath={.metadata.labels.status}",
        ]);
        (label.stdout == "pending-upgrade").then_some(())
    });
    let old_server = own.cluster.server.clone();
    let killed_at = Instant::now();
    own.kill_apiserver();
    let failed = finish(upgrade, "rhelm upgrade phoenix --set greeting=v2").fails();
    let failed_in = killed_at.elapsed();
    let address = old_server.trim_start_matches("https://");
    assert!(
        failed.error_line().starts_with("Error: UPGRADE FAILED: "),
        "\n{failed}"
    );
    // In-flight requests see the connection drop, later ones a refused connection.
    let line = failed.error_line().to_lowercase();
    assert!(
        line.contains(address) || line.contains("connection"),
        "the error names the unreachable server or the failed connection\n{failed}"
    );

    own.restart();
    let restarted_in = killed_at.elapsed();
    // Whatever the failed upgrade managed to record, nothing is lost across the restart.
    let after_restart = own.cluster.stored_releases(&ns, "phoenix");
    let kept: Vec<(u64, &str)> = after_restart
        .iter()
        .map(|r| (r.revision(), r.status()))
        .collect();
    assert!(
        kept == [(1, "deployed"), (2, "pending-upgrade")]
            || kept == [(1, "deployed"), (2, "failed")],
        "{kept:?}"
    );

    // Retry as CI would: only the dead holder's lock may refuse it, until its lease expires.
    let (next, refusals) = retry_past_the_lock("an upgrade succeeds after the restart", || {
        own.cluster.rhelm_env(
            &[
                "upgrade",
                "phoenix",
                chart,
                "-n",
                &ns,
                "--set",
                "greeting=v3",
            ],
            &locked,
        )
    });
    let recovered_in = killed_at.elapsed();
    assert!(next.stdout.contains("has been upgraded"), "\n{next}");
    let records = own.cluster.stored_releases(&ns, "phoenix");
    let summary: Vec<(u64, &str)> = records.iter().map(|r| (r.revision(), r.status())).collect();
    assert_eq!(summary, [(1, "superseded"), (2, "failed"), (3, "deployed")]);
    let why = records[1].description();
    assert!(
        why.starts_with("interrupted: ") || why.starts_with("Upgrade \"phoenix\" failed: "),
        "revision 2 says why it failed: {why:?}"
    );
    assert_eq!(records[2].description(), "Upgrade complete");
    for r in &records {
        assert_eq!(
            r.labels.get("status").map(String::as_str),
            Some(r.status()),
            "{}: the label agrees with the record",
            r.object_name
        );
    }
    // The user's view agrees: history lists the three revisions, values and objects are v3.
    let history = own
        .cluster
        .rhelm_env(&["history", "phoenix", "-n", &ns, "-o", "json"], &[])
        .ok();
    let history: serde_json::Value = serde_json::from_str(&history.stdout).expect("history json");
    let listed: Vec<(u64, &str)> = history
        .as_array()
        .expect("history array")
        .iter()
        .map(|h| {
            (
                h["revision"].as_u64().unwrap_or(0),
                h["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(listed, summary);
    let values = own
        .cluster
        .rhelm_env(&["get", "values", "phoenix", "-n", &ns], &[])
        .ok();
    assert_eq!(values.stdout, "USER-SUPPLIED VALUES:\ngreeting: v3\n");
    let configmaps = own.cluster.kubectl_json(&["get", "configmaps", "-n", &ns]);
    let mut greeting_of: Vec<(String, String)> = configmaps["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| {
            Some((
                i["metadata"]["name"].as_str()?.to_string(),
                i["data"]["greeting"].as_str()?.to_string(),
            ))
        })
        .collect();
    greeting_of.sort();
    let mut expected: Vec<(String, String)> = (0..KILL_OBJECTS)
        .map(|i| (format!("phoenix-{i}"), "v3".to_string()))
        .collect();
    expected.sort();
    assert_eq!(greeting_of, expected);
    let lease = own.cluster.kubectl(&[
        "get",
        "lease",
        "rhelm-lock.phoenix",
        "-n",
        &ns,
        "--ignore-not-found",
        "-o",
        "name",
    ]);
    assert_eq!(lease.ok().stdout, "", "the lock is released");
    eprintln!(
        "figure: API server killed mid-upgrade; the upgrade exited {failed_in:?} after the kill; \
         API server back {restarted_in:?} and release upgraded {recovered_in:?} after the kill \
         ({refusals} lock refusals, lease {LOCK_SECONDS}s); revision 2: {why:?}"
    );
}

/// A chart whose ConfigMap reports what `lookup` saw while rendering: one named object, a list
/// of the namespace's ConfigMaps, a missing object and a cluster-scoped object.
fn lookup_chart() -> tempfile::TempDir {
    write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: looker\nversion: 0.1.0\n",
        ),
        (
            "templates/seen.yaml",
            "{{- $one := lookup \"v1\" \"ConfigMap\" .Release.Namespace \"preexisting\" }}\n\
             {{- $all := lookup \"v1\" \"ConfigMap\" .Release.Namespace \"\" }}\n\
             {{- $ns := lookup \"v1\" \"Namespace\" \"\" .Release.Namespace }}\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-seen\ndata:\n\
             \x20 color: {{ dig \"data\" \"color\" \"none\" $one | quote }}\n\
             \x20 names: \"{{ range $all.items }}{{ .metadata.name }},{{ end }}\"\n\
             \x20 missing: {{ empty (lookup \"v1\" \"Secret\" .Release.Namespace \"nope\") | quote }}\n\
             \x20 namespace: {{ dig \"metadata\" \"name\" \"none\" $ns | quote }}\n",
        ),
    ])
}

#[test]
fn lookup_reads_the_cluster_when_installing_and_upgrading_and_nothing_in_template() {
    let ns = create_ns("lookup-e2e");
    kubectl(&[
        "create",
        "configmap",
        "preexisting",
        "-n",
        &ns,
        "--from-literal=color=blue",
    ])
    .ok();
    let chart = lookup_chart();
    let chart = chart.path().to_str().unwrap();
    let seen = |key: &str| field(&ns, "configmap", "rel-seen", &format!("{{.data.{key}}}"));

    rhelm(&["install", "rel", chart, "-n", &ns]).ok();
    assert_eq!(seen("color"), "blue");
    assert_eq!(seen("names"), "preexisting,");
    assert_eq!(seen("missing"), "true");
    assert_eq!(seen("namespace"), ns);

    // On upgrade the release's own object exists and the list sees it.
    kubectl(&[
        "patch",
        "configmap",
        "preexisting",
        "-n",
        &ns,
        "-p",
        r#"{"data":{"color":"red"}}"#,
    ])
    .ok();
    rhelm(&["upgrade", "rel", chart, "-n", &ns]).ok();
    assert_eq!(seen("color"), "red");
    assert_eq!(seen("names"), "preexisting,rel-seen,");

    // Without a cluster, lookup gives empty maps (Helm's `template`).
    let offline = rhelm_offline(&["template", "rel", chart, "-n", &ns]).ok();
    assert!(offline.stdout.contains("color: \"none\""), "{offline}");
    assert!(offline.stdout.contains("names: \"\""), "{offline}");
    assert!(offline.stdout.contains("namespace: \"none\""), "{offline}");
}

#[test]
fn a_test_pod_is_done_only_when_it_has_succeeded_or_failed_not_when_it_is_ready() {
    let ns = create_ns("rhelm-test-pod");
    let chart = write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: podtest\nversion: 1.0.0\n",
        ),
        (
            "templates/tests/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-probe\n  annotations:\n    \
             \"helm.sh/hook\": test\nspec:\n  restartPolicy: Never\n  containers:\n  - name: t\n    \
             image: busybox:1.36\n    command: [\"false\"]\n",
        ),
    ]);
    let chart = chart.path().to_str().expect("path");
    rhelm_locked(&["install", "pt", chart, "-n", &ns]).ok();
    let mut child = spawn_rhelm(&["test", "pt", "-n", &ns, "--timeout", "60s"]);
    eventually("the test Pod exists", || {
        exists(&ns, "pod", "pt-probe").then_some(())
    });
    let pod = format!("/api/v1/namespaces/{ns}/pods/pt-probe");
    // Running and Ready is not done: Helm waits for a test Pod to finish. (Before the
    // hook wait judged completion, `rhelm test` returned here, within a second.)
    patch_status(
        &pod,
        serde_json::json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}),
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        child.try_wait().expect("child status").is_none(),
        "`rhelm test` returned while the test Pod was still running"
    );
    patch_status(
        &pod,
        serde_json::json!({"phase": "Failed", "message": "exit code 1"}),
    );
    let failed = finish(child, "rhelm test pt").fails();
    assert!(
        failed.stderr.contains("pt-probe") && failed.stderr.contains("exit code 1"),
        "the failing Pod and why are named\n{failed}"
    );
}
