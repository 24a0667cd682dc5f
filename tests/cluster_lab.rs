//! The Helm 101 revision-management lab on a real API server, step by step, and the storage,
//! history, list, status and get behaviour around it. Expected texts are built from what is
//! stored (times, notes, manifests) in Helm's formats; Helm's fixed words (statuses,
//! descriptions, messages) are written out.

use serde_json::Value as Json;

use crate::common::*;

const UPGRADE_SET: &str = "redis.slaveEnabled=false,service.type=NodePort";

fn install(ns: &str, name: &str, extra: &[&str]) -> Run {
    let chart = guestbook_chart();
    let mut args = vec!["install", name, chart.as_str(), "-n", ns];
    args.extend(extra);
    rhelm(&args).ok()
}

fn upgrade(ns: &str, name: &str, extra: &[&str]) -> Run {
    let chart = guestbook_chart();
    let mut args = vec!["upgrade", name, chart.as_str(), "-n", ns];
    args.extend(extra);
    rhelm(&args).ok()
}

fn revisions(records: &[StoredRelease]) -> Vec<(u64, String, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.revision(),
                r.status().to_string(),
                r.description().to_string(),
            )
        })
        .collect()
}

/// Helm's labels on a record that was created and then updated: exactly name, owner, status,
/// version and modifiedAt (Unix seconds, within [from, to]).
#[track_caller]
fn assert_record_labels(r: &StoredRelease, status: &str, from: i64, to: i64) {
    let name = r.release["name"].as_str().unwrap_or("");
    let version = r.revision().to_string();
    let keys: Vec<&str> = r.labels.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["modifiedAt", "name", "owner", "status", "version"],
        "{}",
        r.object_name
    );
    for (k, v) in [
        ("name", name),
        ("owner", "helm"),
        ("status", status),
        ("version", version.as_str()),
    ] {
        assert_eq!(
            r.labels.get(k).map(String::as_str),
            Some(v),
            "{}: label {k}",
            r.object_name
        );
    }
    let modified: i64 = r.labels["modifiedAt"]
        .parse()
        .unwrap_or_else(|e| panic!("modifiedAt: {e}"));
    assert!(
        (from - 1..=to + 1).contains(&modified),
        "modifiedAt {modified} not within [{from}, {to}]"
    );
}

fn rev(n: u64, status: &str, description: &str) -> (u64, String, String) {
    (n, status.to_string(), description.to_string())
}

/// The lab's objects with a redis-slave tier: (kind, name).
const SLAVE_OBJECTS: [(&str, &str); 2] =
    [("deployment", "redis-slave"), ("service", "redis-slave")];

#[test]
fn the_helm_101_lab_runs_end_to_end() {
    let ns = unique_ns("lab");
    let chart = guestbook_chart();

    // 1. install into a namespace that does not exist yet.
    let out = rhelm(&[
        "install",
        LAB_RELEASE,
        &chart,
        "-n",
        &ns,
        "--create-namespace",
    ])
    .ok();
    let r1 = stored_revision(&ns, LAB_RELEASE, 1);
    assert_eq!(
        (r1.status(), r1.description()),
        ("deployed", "Install complete")
    );
    assert_text(&out.stdout, &status_block(&r1), &out);
    assert!(
        out.stdout
            .contains("NOTES:\n1. Get the application URL by running these commands:\n"),
        "\n{out}"
    );
    for (kind, name) in [
        ("deployment", LAB_RELEASE),
        ("service", LAB_RELEASE),
        ("deployment", "redis-master"),
        ("service", "redis-master"),
        ("deployment", "redis-slave"),
        ("service", "redis-slave"),
    ] {
        assert!(
            exists(&ns, kind, name),
            "{kind}/{name} must exist after install"
        );
    }
    assert_eq!(
        field(&ns, "service", LAB_RELEASE, "{.spec.type}"),
        "LoadBalancer"
    );

    // 2. list.
    let out = rhelm(&["list", "-n", &ns]).ok();
    assert_text(&out.stdout, &list_table(&[&r1]), &out);

    // 3. upgrade: no more read replicas, NodePort.
    let out = rhelm(&[
        "upgrade",
        LAB_RELEASE,
        &chart,
        "--set",
        UPGRADE_SET,
        "-n",
        &ns,
    ])
    .ok();
    let r2 = stored_revision(&ns, LAB_RELEASE, 2);
    assert_text(
        &out.stdout,
        &format!(
            "Release \"{LAB_RELEASE}\" has been upgraded. Happy Helming!\n{}",
            status_block(&r2)
        ),
        &out,
    );
    for (kind, name) in SLAVE_OBJECTS {
        assert_gone(&ns, kind, name);
    }
    assert!(
        exists(&ns, "deployment", "redis-master"),
        "redis-master must stay"
    );
    assert_eq!(
        field(&ns, "service", LAB_RELEASE, "{.spec.type}"),
        "NodePort"
    );

    // 4. history.
    let records = stored_releases(&ns, LAB_RELEASE);
    assert_eq!(
        revisions(&records),
        [
            rev(1, "superseded", "Install complete"),
            rev(2, "deployed", "Upgrade complete")
        ]
    );
    let out = rhelm(&["history", LAB_RELEASE, "-n", &ns]).ok();
    assert_text(&out.stdout, &history_table(&records), &out);

    // 5. rollback to 1: a new revision 3 with revision 1's manifest and values.
    let out = rhelm(&["rollback", LAB_RELEASE, "1", "-n", &ns]).ok();
    assert_text(
        &out.stdout,
        "Rollback was a success! Happy Helming!\n",
        &out,
    );
    let records = stored_releases(&ns, LAB_RELEASE);
    assert_eq!(
        revisions(&records),
        [
            rev(1, "superseded", "Install complete"),
            rev(2, "superseded", "Upgrade complete"),
            rev(3, "deployed", "Rollback to 1")
        ]
    );
    assert_eq!(
        records[2].manifest(),
        records[0].manifest(),
        "rollback re-applies revision 1's manifest"
    );
    assert_eq!(
        records[2].release["config"], records[0].release["config"],
        "and its values"
    );
    let out = rhelm(&["history", LAB_RELEASE, "-n", &ns]).ok();
    assert_text(&out.stdout, &history_table(&records), &out);
    for (kind, name) in SLAVE_OBJECTS {
        assert!(
            exists(&ns, kind, name),
            "{kind}/{name} must be back after the rollback"
        );
    }
    assert_eq!(
        field(&ns, "service", LAB_RELEASE, "{.spec.type}"),
        "LoadBalancer"
    );

    // Rollback without a revision goes to the previous one (2).
    let out = rhelm(&["rollback", LAB_RELEASE, "-n", &ns]).ok();
    assert_text(
        &out.stdout,
        "Rollback was a success! Happy Helming!\n",
        &out,
    );
    let r4 = stored_revision(&ns, LAB_RELEASE, 4);
    assert_eq!(
        (r4.status(), r4.description()),
        ("deployed", "Rollback to 2")
    );
    assert_eq!(r4.manifest(), r2.manifest());
    for (kind, name) in SLAVE_OBJECTS {
        assert_gone(&ns, kind, name);
    }
    assert_eq!(
        field(&ns, "service", LAB_RELEASE, "{.spec.type}"),
        "NodePort"
    );

    // 6. uninstall: objects and records gone.
    let out = rhelm(&["uninstall", LAB_RELEASE, "-n", &ns]).ok();
    assert_text(
        &out.stdout,
        &format!("release \"{LAB_RELEASE}\" uninstalled\n"),
        &out,
    );
    for (kind, name) in [
        ("deployment", LAB_RELEASE),
        ("service", LAB_RELEASE),
        ("deployment", "redis-master"),
        ("service", "redis-master"),
    ] {
        assert_gone(&ns, kind, name);
    }
    assert!(
        stored_releases(&ns, LAB_RELEASE).is_empty(),
        "uninstall purges the release records"
    );
    let out = rhelm(&["list", "-a", "-n", &ns]).ok();
    assert_text(&out.stdout, &list_table(&[]), &out);
}

#[test]
fn uninstall_with_keep_history_keeps_the_records_as_uninstalled() {
    let ns = create_ns("keep-history");
    install(&ns, "gb", &[]);
    upgrade(&ns, "gb", &["--set", UPGRADE_SET]);
    let out = rhelm(&["uninstall", "gb", "-n", &ns, "--keep-history"]).ok();
    assert_text(&out.stdout, "release \"gb\" uninstalled\n", &out);
    assert_gone(&ns, "deployment", "gb-guestbook");
    assert_gone(&ns, "service", "redis-master");
    let records = stored_releases(&ns, "gb");
    assert_eq!(
        revisions(&records),
        [
            rev(1, "superseded", "Install complete"),
            rev(2, "uninstalled", "Uninstallation complete")
        ]
    );
    assert_eq!(
        records[1].labels.get("status").map(String::as_str),
        Some("uninstalled")
    );
    assert!(
        records[1].release["info"]["deleted"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "info.deleted is set"
    );
    // Hidden from the default list, shown with --uninstalled and -a, and in history.
    assert_eq!(rhelm(&["list", "-n", &ns]).ok().stdout, list_table(&[]));
    assert_eq!(
        rhelm(&["list", "--uninstalled", "-n", &ns]).ok().stdout,
        list_table(&[&records[1]])
    );
    assert_eq!(
        rhelm(&["history", "gb", "-n", &ns]).ok().stdout,
        history_table(&records)
    );
}

#[test]
fn release_records_are_secrets_in_helms_format() {
    let ns = create_ns("storage-format");
    let before = chrono::Utc::now().timestamp();
    install(&ns, LAB_RELEASE, &[]);
    let after = chrono::Utc::now().timestamp();
    let r1 = stored_revision(&ns, LAB_RELEASE, 1);

    assert_eq!(
        r1.object_name,
        format!("sh.helm.release.v1.{LAB_RELEASE}.v1")
    );
    assert_eq!(r1.secret_type.as_deref(), Some("helm.sh/release.v1"));
    assert_eq!(r1.data_keys, ["release"]);
    assert!(r1.gzipped, "the payload is gzip-compressed");
    // Install creates the record (pending-install) and then updates it (deployed): as with
    // Helm's secrets driver, an updated record carries `modifiedAt` and no longer `createdAt`.
    assert_record_labels(&r1, "deployed", before, after);

    // Helm's release object.
    let rel = &r1.release;
    assert_eq!(rel["name"], LAB_RELEASE);
    assert_eq!(rel["namespace"], ns.as_str());
    assert_eq!(rel["version"], 1);
    assert_eq!(rel["info"]["status"], "deployed");
    assert_eq!(rel["info"]["description"], "Install complete");
    for t in ["first_deployed", "last_deployed"] {
        let v = rel["info"][t]
            .as_str()
            .unwrap_or_else(|| panic!("info.{t} missing"));
        // As Go encodes time.Time (Helm writes local time; the tests run with TZ=UTC).
        assert_eq!(v, go_rfc3339_nano(v), "info.{t}");
    }
    assert_eq!(rel["info"]["first_deployed"], rel["info"]["last_deployed"]);
    assert_eq!(
        rel["info"]["notes"],
        golden("guestbook/default.notes.txt")
            .replace("helm-demo", &ns)
            .as_str()
    );
    // Helm 4 applies server-side by default and records it.
    assert_eq!(rel["apply_method"], "ssa");
    // The manifest string is Helm's, byte for byte (the chart never prints the namespace).
    assert_eq!(
        format!("{}\n", r1.manifest().trim()),
        golden("guestbook/default.manifest.yaml")
    );
    // config holds only user-supplied values: none here.
    assert!(
        rel.get("config")
            .is_none_or(|c| c.is_null() || c.as_object().is_some_and(|m| m.is_empty())),
        "config: {}",
        rel["config"]
    );
    assert!(
        rel["hooks"].as_array().is_none_or(|h| h.is_empty()),
        "no hooks: {}",
        rel["hooks"]
    );

    // The chart as loaded: metadata with Helm's JSON names, every template with its bytes
    // (base64), the default values.
    let chart = &rel["chart"];
    assert_eq!(chart["metadata"]["name"], "guestbook");
    assert_eq!(chart["metadata"]["version"], "0.2.0");
    assert_eq!(chart["metadata"]["apiVersion"], "v2");
    assert_eq!(chart["metadata"]["appVersion"], "v1");
    let defaults: Json = serde_yaml::from_str(
        &std::fs::read_to_string(format!("{}/values.yaml", guestbook_chart()))
            .expect("values.yaml"),
    )
    .expect("values.yaml is YAML");
    assert_eq!(chart["values"], defaults);
    let templates = chart["templates"].as_array().expect("chart.templates");
    let dir = std::path::Path::new(&guestbook_chart()).join("templates");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("templates dir")
        .filter_map(Result::ok)
        .map(|e| format!("templates/{}", e.file_name().to_string_lossy()))
        .collect();
    on_disk.sort();
    let mut stored: Vec<String> = templates
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    stored.sort();
    assert_eq!(stored, on_disk, "chart.templates names");
    use base64::Engine as _;
    for t in templates {
        let name = t["name"].as_str().expect("template name");
        let data = base64::engine::general_purpose::STANDARD
            .decode(t["data"].as_str().expect("template data"))
            .expect("base64 data");
        let file = std::fs::read(std::path::Path::new(&guestbook_chart()).join(name))
            .expect("template file");
        assert_eq!(data, file, "{name}: stored bytes differ from the chart's");
    }

    // Upgrade: the new record is created, the previous one updated.
    upgrade(&ns, LAB_RELEASE, &["--set", UPGRADE_SET]);
    let records = stored_releases(&ns, LAB_RELEASE);
    assert_eq!(records.len(), 2);
    let after = chrono::Utc::now().timestamp();
    assert_record_labels(&records[0], "superseded", before, after);
    assert_record_labels(&records[1], "deployed", before, after);

    assert_eq!(
        records[1].release["config"],
        serde_json::json!({"redis": {"slaveEnabled": false}, "service": {"type": "NodePort"}}),
        "config holds exactly the --set values"
    );
    assert_eq!(
        records[1].release["info"]["first_deployed"],
        records[0].release["info"]["first_deployed"]
    );
    assert_eq!(
        format!("{}\n", records[1].manifest().trim()),
        golden("guestbook/nodeport-no-slaves.manifest.yaml")
    );
}

#[test]
fn history_max_prunes_the_oldest_revisions() {
    let ns = create_ns("history-max");
    install(&ns, "gb", &[]);
    for n in 2..=5 {
        let replicas = format!("replicaCount={n}");
        upgrade(&ns, "gb", &["--set", &replicas, "--history-max", "3"]);
    }
    let records = stored_releases(&ns, "gb");
    assert_eq!(
        revisions(&records),
        [
            rev(3, "superseded", "Upgrade complete"),
            rev(4, "superseded", "Upgrade complete"),
            rev(5, "deployed", "Upgrade complete")
        ]
    );
    assert_eq!(
        rhelm(&["history", "gb", "-n", &ns]).ok().stdout,
        history_table(&records)
    );
}

#[test]
fn history_max_never_prunes_the_last_deployed_revision() {
    let ns = create_ns("history-max-deployed");
    install(&ns, "gb", &[]);
    // Two upgrades the API server rejects (replicas < 0): failed revisions pile up.
    for _ in 0..2 {
        rhelm_env(
            &[
                "upgrade",
                "gb",
                &guestbook_chart(),
                "-n",
                &ns,
                "--set",
                "replicaCount=-1",
            ],
            &[("HELM_MAX_HISTORY", "2")],
        )
        .fails();
    }
    let records = stored_releases(&ns, "gb");
    let kept: Vec<(u64, &str)> = records.iter().map(|r| (r.revision(), r.status())).collect();
    assert_eq!(
        kept,
        [(1, "deployed"), (3, "failed")],
        "revision 1 is the last deployed one and stays"
    );
}

#[test]
fn history_max_zero_keeps_everything() {
    let ns = create_ns("history-max-zero");
    install(&ns, "gb", &[]);
    for n in 2..=12 {
        let replicas = format!("replicaCount={n}");
        upgrade(&ns, "gb", &["--set", &replicas, "--history-max", "0"]);
    }
    assert_eq!(stored_releases(&ns, "gb").len(), 12);
}

#[test]
fn the_default_history_max_is_ten() {
    let ns = create_ns("history-max-default");
    install(&ns, "gb", &[]);
    for n in 2..=11 {
        let replicas = format!("replicaCount={n}");
        upgrade(&ns, "gb", &["--set", &replicas]);
    }
    let kept: Vec<u64> = stored_releases(&ns, "gb")
        .iter()
        .map(StoredRelease::revision)
        .collect();
    assert_eq!(kept, (2..=11).collect::<Vec<u64>>());
}

#[test]
fn the_configmap_driver_stores_releases_in_configmaps() {
    let ns = create_ns("configmap-driver");
    let driver = [("HELM_DRIVER", "configmap")];
    let chart = guestbook_chart();
    rhelm_env(&["install", "gb", &chart, "-n", &ns], &driver).ok();
    assert!(
        stored_releases(&ns, "gb").is_empty(),
        "no Secret with the configmap driver"
    );
    let records = stored_configmap_releases(&ns, "gb");
    assert_eq!(records.len(), 1);
    let r1 = &records[0];
    assert_eq!(r1.object_name, "sh.helm.release.v1.gb.v1");
    assert!(r1.gzipped);
    for (k, v) in [
        ("name", "gb"),
        ("owner", "helm"),
        ("status", "deployed"),
        ("version", "1"),
    ] {
        assert_eq!(r1.labels.get(k).map(String::as_str), Some(v), "label {k}");
    }
    assert_eq!(
        rhelm_env(&["list", "-n", &ns], &driver).ok().stdout,
        list_table(&[r1])
    );
    // The secret driver does not see it.
    assert_eq!(rhelm(&["list", "-n", &ns]).ok().stdout, list_table(&[]));
    rhelm_env(
        &["upgrade", "gb", &chart, "-n", &ns, "--set", UPGRADE_SET],
        &driver,
    )
    .ok();
    let records = stored_configmap_releases(&ns, "gb");
    assert_eq!(
        rhelm_env(&["history", "gb", "-n", &ns], &driver)
            .ok()
            .stdout,
        history_table(&records)
    );
    rhelm_env(&["uninstall", "gb", "-n", &ns], &driver).ok();
    assert!(stored_configmap_releases(&ns, "gb").is_empty());
}

#[test]
fn the_memory_driver_keeps_nothing_in_the_cluster() {
    let ns = create_ns("memory-driver");
    let out = rhelm_env(
        &["install", "gb", &guestbook_chart(), "-n", &ns],
        &[("HELM_DRIVER", "memory")],
    )
    .ok();
    assert!(out.stdout.starts_with("NAME: gb\n"), "\n{out}");
    assert!(stored_releases(&ns, "gb").is_empty());
    assert!(stored_configmap_releases(&ns, "gb").is_empty());
}

#[test]
fn status_shows_the_latest_or_the_given_revision() {
    let ns = create_ns("status");
    install(&ns, "gb", &[]);
    upgrade(&ns, "gb", &["--set", UPGRADE_SET]);
    let r1 = stored_revision(&ns, "gb", 1);
    let r2 = stored_revision(&ns, "gb", 2);

    let out = rhelm(&["status", "gb", "-n", &ns]).ok();
    assert!(out.stdout.starts_with(&status_header(&r2)), "\n{out}");
    assert!(
        out.stdout.ends_with(&format!(
            "TEST SUITE: None\nNOTES:\n{}\n",
            r2.notes().trim()
        )),
        "\n{out}"
    );

    let out = rhelm(&["status", "gb", "-n", &ns, "--revision", "1"]).ok();
    assert!(out.stdout.starts_with(&status_header(&r1)), "\n{out}");
    assert!(
        out.stdout
            .ends_with(&format!("NOTES:\n{}\n", r1.notes().trim())),
        "\n{out}"
    );

    for format in ["json", "yaml"] {
        let out = rhelm(&["status", "gb", "-n", &ns, "-o", format]).ok();
        let got: Json = if format == "json" {
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"))
        } else {
            serde_yaml::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"))
        };
        for key in ["name", "namespace", "version", "manifest", "config"] {
            assert_eq!(got[key], r2.release[key], "-o {format}: {key}");
        }
        for key in ["status", "description", "notes"] {
            assert_eq!(
                got["info"][key], r2.release["info"][key],
                "-o {format}: info.{key}"
            );
        }
        for key in ["first_deployed", "last_deployed"] {
            let stored = r2.release["info"][key].as_str().unwrap_or("");
            assert_eq!(
                got["info"][key],
                go_rfc3339_nano(stored).as_str(),
                "-o {format}: info.{key}"
            );
        }
        assert!(
            got.get("chart").is_none_or(Json::is_null),
            "status strips the chart (-o {format})"
        );
    }
}

#[test]
fn get_prints_manifest_values_notes_and_all() {
    let ns = create_ns("get");
    install(&ns, "gb", &[]);
    upgrade(&ns, "gb", &["--set", UPGRADE_SET]);
    let r1 = stored_revision(&ns, "gb", 1);
    let r2 = stored_revision(&ns, "gb", 2);

    assert_eq!(
        rhelm(&["get", "manifest", "gb", "-n", &ns]).ok().stdout,
        format!("{}\n", r2.manifest())
    );
    assert_eq!(
        rhelm(&["get", "manifest", "gb", "-n", &ns, "--revision", "1"])
            .ok()
            .stdout,
        format!("{}\n", r1.manifest())
    );

    let user = "redis:\n  slaveEnabled: false\nservice:\n  type: NodePort\n";
    assert_eq!(
        rhelm(&["get", "values", "gb", "-n", &ns]).ok().stdout,
        format!("USER-SUPPLIED VALUES:\n{user}")
    );
    assert_eq!(
        rhelm(&["get", "values", "gb", "-n", &ns, "-o", "json"])
            .ok()
            .stdout,
        "{\"redis\":{\"slaveEnabled\":false},\"service\":{\"type\":\"NodePort\"}}\n"
    );
    let computed = "image:\n  pullPolicy: Always\n  repository: ibmcom/guestbook\n  tag: v1\nredis:\n  port: 6379\n  \
                    slaveEnabled: false\nreplicaCount: 2\nservice:\n  port: 3000\n  type: NodePort\n";
    assert_eq!(
        rhelm(&["get", "values", "gb", "-n", &ns, "--all"])
            .ok()
            .stdout,
        format!("COMPUTED VALUES:\n{computed}")
    );
    let out = rhelm(&[
        "get",
        "values",
        "gb",
        "-n",
        &ns,
        "--revision",
        "1",
        "-o",
        "json",
    ])
    .ok();
    let v1: Json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(
        v1.is_null() || v1.as_object().is_some_and(|m| m.is_empty()),
        "revision 1 had no user values\n{out}"
    );

    assert_eq!(
        rhelm(&["get", "notes", "gb", "-n", &ns]).ok().stdout,
        format!("NOTES:\n{}\n", r2.notes())
    );
    assert_eq!(
        rhelm(&["get", "notes", "gb", "-n", &ns, "--revision", "1"])
            .ok()
            .stdout,
        format!("NOTES:\n{}\n", r1.notes())
    );

    let out = rhelm(&["get", "all", "gb", "-n", &ns]).ok();
    assert_in_order(
        &out.stdout,
        &[
            &status_header(&r2),
            &format!("USER-SUPPLIED VALUES:\n{user}"),
            &format!("COMPUTED VALUES:\n{computed}"),
            &format!("MANIFEST:\n{}\n", r2.manifest()),
            &format!("NOTES:\n{}\n", r2.notes().trim()),
        ],
    );
}

#[test]
fn list_filters_by_state_name_and_namespace() {
    let ns = create_ns("list");
    let other = create_ns("list-other");
    let tiny = tiny_chart();
    let chart = tiny.path().to_str().expect("utf-8");
    let install = |name: &str, in_ns: &str| rhelm(&["install", name, chart, "-n", in_ns]).ok();
    install("alpha", &ns);
    rhelm(&["install", "bravo", chart, "-n", &ns, "--set", "replicas=-1"]).fails();
    install("charlie", &ns);
    rhelm(&["uninstall", "charlie", "-n", &ns, "--keep-history"]).ok();
    install("delta", &ns);
    rhelm(&[
        "upgrade",
        "delta",
        chart,
        "-n",
        &ns,
        "--set",
        "greeting=bye",
    ])
    .ok();
    install("echo", &other);

    let latest = |name: &str, in_ns: &str| {
        stored_releases(in_ns, name)
            .pop()
            .unwrap_or_else(|| panic!("no records of {name}"))
    };
    let (a, b, c, d, e) = (
        latest("alpha", &ns),
        latest("bravo", &ns),
        latest("charlie", &ns),
        latest("delta", &ns),
        latest("echo", &other),
    );
    assert_eq!(
        [a.status(), b.status(), c.status(), d.status()],
        ["deployed", "failed", "uninstalled", "deployed"]
    );
    assert_eq!(d.revision(), 2);

    let list = |args: &[&str]| {
        let mut all = vec!["list"];
        all.extend(args);
        rhelm(&all).ok().stdout
    };
    // Default: deployed and failed, sorted by name, latest revision only.
    assert_eq!(list(&["-n", &ns]), list_table(&[&a, &b, &d]));
    assert_eq!(list(&["-n", &ns, "-a"]), list_table(&[&a, &b, &c, &d]));
    assert_eq!(list(&["-n", &ns, "--all"]), list_table(&[&a, &b, &c, &d]));
    assert_eq!(list(&["-n", &ns, "--deployed"]), list_table(&[&a, &d]));
    assert_eq!(list(&["-n", &ns, "--failed"]), list_table(&[&b]));
    assert_eq!(list(&["-n", &ns, "--uninstalled"]), list_table(&[&c]));
    assert_eq!(list(&["-n", &ns, "--pending"]), list_table(&[]));
    // Superseded alone skips Helm's latest-revision filter: it lists superseded revisions.
    let d1 = stored_revision(&ns, "delta", 1);
    assert_eq!(list(&["-n", &ns, "--superseded"]), list_table(&[&d1]));
    assert_eq!(
        list(&["-n", &ns, "-f", "^(alpha|bravo)$"]),
        list_table(&[&a, &b])
    );
    assert_eq!(
        list(&["-n", &ns, "--filter", "ta$", "-a"]),
        list_table(&[&d])
    );

    // HELM_NAMESPACE picks the namespace like -n.
    let out = rhelm_env(&["list"], &[("HELM_NAMESPACE", other.as_str())]).ok();
    assert_text(&out.stdout, &list_table(&[&e]), &out);

    // -A: every namespace; the rows of these two namespaces are ours.
    let out = list(&["-A"]);
    let rows: Vec<Vec<String>> = out
        .lines()
        .map(|l| l.split('\t').map(|c| c.trim_end().to_string()).collect())
        .collect();
    assert_eq!(
        rows.first().map(|r| r[..2].to_vec()),
        Some(vec!["NAME".to_string(), "NAMESPACE".to_string()]),
        "\n{out}"
    );
    let ours: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r.get(1) == Some(&ns) || r.get(1) == Some(&other))
        .collect();
    let expected: Vec<Vec<String>> = [&a, &b, &d, &e].iter().map(|r| list_row(r)).collect();
    assert_eq!(
        ours,
        expected.iter().collect::<Vec<_>>(),
        "alpha, bravo, delta, echo sorted by name\n{out}"
    );

    // -o json / yaml.
    let expected = Json::Array(vec![list_json(&a), list_json(&b), list_json(&d)]);
    let out = rhelm(&["list", "-n", &ns, "-o", "json"]).ok();
    assert_eq!(
        serde_json::from_str::<Json>(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}")),
        expected
    );
    let out = rhelm(&["list", "-n", &ns, "-o", "yaml"]).ok();
    assert_eq!(
        serde_yaml::from_str::<Json>(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}")),
        expected
    );
    let out = rhelm(&["list", "-n", &ns, "--failed", "-o", "json"]).ok();
    assert_text(&out.stdout, &list_json_line(&[&b]), &out);
}

#[test]
fn history_max_and_output_formats() {
    let ns = create_ns("history-output");
    install(&ns, "gb", &[]);
    for n in 3..=5 {
        let replicas = format!("replicaCount={n}");
        upgrade(&ns, "gb", &["--set", &replicas]);
    }
    let records = stored_releases(&ns, "gb");
    assert_eq!(records.len(), 4);
    assert_eq!(
        rhelm(&["history", "gb", "-n", &ns, "--max", "2"])
            .ok()
            .stdout,
        history_table(&records[2..])
    );

    let expected = Json::Array(records.iter().map(history_json).collect());
    let out = rhelm(&["history", "gb", "-n", &ns, "-o", "json"]).ok();
    assert_text(&out.stdout, &history_json_line(&records), &out);
    let out = rhelm(&["history", "gb", "-n", &ns, "-o", "yaml"]).ok();
    assert_eq!(
        serde_yaml::from_str::<Json>(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}")),
        expected
    );
    let out = rhelm(&["history", "gb", "-n", &ns, "-o", "json", "--max", "1"]).ok();
    let last: Json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(last, Json::Array(vec![expected[3].clone()]));
}

#[test]
fn upgrade_install_installs_a_missing_release_then_upgrades_it() {
    let ns = create_ns("upgrade-install");
    let chart = guestbook_chart();
    let out = rhelm(&["upgrade", "--install", "gb", &chart, "-n", &ns]).ok();
    let r1 = stored_revision(&ns, "gb", 1);
    assert_eq!(r1.description(), "Install complete");
    assert_text(
        &out.stdout,
        &format!(
            "Release \"gb\" does not exist. Installing it now.\n{}",
            status_block(&r1)
        ),
        &out,
    );
    let out = rhelm(&[
        "upgrade",
        "-i",
        "gb",
        &chart,
        "-n",
        &ns,
        "--set",
        UPGRADE_SET,
    ])
    .ok();
    let r2 = stored_revision(&ns, "gb", 2);
    assert_text(
        &out.stdout,
        &format!(
            "Release \"gb\" has been upgraded. Happy Helming!\n{}",
            status_block(&r2)
        ),
        &out,
    );
}

#[test]
fn upgrade_without_values_reuses_the_previous_revisions_values() {
    // Helm 4.3 (verified with real Helm on this cluster): with no -f/--set and no
    // --reset-values, upgrade copies the last release's user values.
    let ns = create_ns("upgrade-reuse");
    install(&ns, "gb", &["--set", "service.type=NodePort"]);
    upgrade(&ns, "gb", &[]);
    let r2 = stored_revision(&ns, "gb", 2);
    assert_eq!(
        r2.release["config"],
        serde_json::json!({"service": {"type": "NodePort"}})
    );
    assert_eq!(
        field(&ns, "service", "gb-guestbook", "{.spec.type}"),
        "NodePort"
    );
}

#[test]
fn kubeconfig_kube_context_and_namespace_settings_choose_where_rhelm_works() {
    let ns = create_ns("globals");
    install(&ns, "gb", &[]);
    let r1 = stored_revision(&ns, "gb", 1);
    let expected = list_table(&[&r1]);

    // A kubeconfig whose current context points nowhere, a second context at the test server
    // with `ns` as its namespace.
    let c = cluster();
    let dir = tempfile::tempdir().expect("tempdir");
    let (unreachable, _) = unreachable_kubeconfig(dir.path());
    let unreachable_server = std::fs::read_to_string(&unreachable)
        .expect("kubeconfig")
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("server: ")
                .map(|s| s.trim_matches('"').to_string())
        })
        .expect("server line");
    let two_contexts = dir.path().join("two-contexts");
    std::fs::write(
        &two_contexts,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: \"{unreachable_server}\"\n    \
             insecure-skip-tls-verify: true\n- name: test\n  cluster:\n    server: \"{}\"\n    certificate-authority: \"{}\"\n\
             users:\n- name: admin\n  user:\n    token: \"{}\"\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    \
             user: admin\n- name: test\n  context:\n    cluster: test\n    user: admin\n    namespace: {ns}\n\
             current-context: gone\n",
            c.server,
            c.ca.display(),
            c.token
        ),
    )
    .expect("writing kubeconfig");
    let two = two_contexts.to_str().expect("utf-8");

    // --kube-context picks the context; its namespace is the default namespace.
    let out = rhelm_with_kubeconfig(&two_contexts, &["list", "--kube-context", "test"]).ok();
    assert_text(&out.stdout, &expected, &out);
    // The current context is used without the flag (and fails: it points nowhere).
    rhelm_with_kubeconfig(&two_contexts, &["list", "-n", &ns]).fails();
    // --kubeconfig wins over $KUBECONFIG.
    let out = rhelm_with_kubeconfig(
        &unreachable,
        &["list", "--kubeconfig", two, "--kube-context", "test"],
    )
    .ok();
    assert_text(&out.stdout, &expected, &out);
    // -n wins over the context's namespace and over HELM_NAMESPACE.
    let other = create_ns("globals-other");
    let out = rhelm_with_kubeconfig(
        &two_contexts,
        &["list", "--kube-context", "test", "-n", &other],
    )
    .ok();
    assert_text(&out.stdout, &list_table(&[]), &out);
    let out = rhelm_env(&["list", "-n", &ns], &[("HELM_NAMESPACE", other.as_str())]).ok();
    assert_text(&out.stdout, &expected, &out);
}

#[test]
fn debug_adds_values_hooks_and_manifest_to_the_status_block() {
    let ns = create_ns("debug");
    let out = rhelm(&[
        "install",
        "gb",
        &guestbook_chart(),
        "-n",
        &ns,
        "--set",
        "replicaCount=3",
        "--debug",
    ])
    .ok();
    let r1 = stored_revision(&ns, "gb", 1);
    // Helm's statusPrinter with debug: values (user, then computed), hooks, manifest, notes.
    assert_in_order(
        &out.stdout,
        &[
            &status_header(&r1),
            "TEST SUITE: None\nUSER-SUPPLIED VALUES:\nreplicaCount: 3\n\nCOMPUTED VALUES:\n",
            "replicaCount: 3\n",
            "\nHOOKS:\n",
            &format!("MANIFEST:\n{}\n", r1.manifest()),
            &format!("NOTES:\n{}\n", r1.notes().trim()),
        ],
    );
    assert!(
        out.stdout
            .ends_with(&format!("NOTES:\n{}\n", r1.notes().trim())),
        "\n{out}"
    );
}

#[test]
fn services_without_protocol_install_on_kubernetes_1_20() {
    // The 1.20 API server refuses to server-side apply a Service port without `protocol`; the
    // IBM chart (shared/conformance/guestbook) omits it. rhelm must still install it and say
    // what it did under --debug.
    let ns = create_ns("no-protocol");
    let chart = shared_dir()
        .join("conformance/guestbook/chart")
        .display()
        .to_string();
    let out = rhelm(&["install", "gb", &chart, "-n", &ns, "--debug"]).ok();
    assert!(
        out.stderr.contains("protocol"),
        "--debug must mention the protocol fallback\n{out}"
    );
    for (kind, name) in manifest_objects(stored_revision(&ns, "gb", 1).manifest()) {
        assert!(exists(&ns, &kind, &name), "{kind}/{name} must exist");
    }
    assert_eq!(
        field(&ns, "service", "redis-master", "{.spec.ports[0].protocol}"),
        "TCP"
    );
    // And upgrading it works the same way.
    rhelm(&[
        "upgrade",
        "gb",
        &chart,
        "-n",
        &ns,
        "--set",
        "service.type=NodePort",
    ])
    .ok();
    assert_eq!(
        field(&ns, "service", "gb-guestbook", "{.spec.type}"),
        "NodePort"
    );
}

#[test]
fn a_field_owned_by_another_manager_is_a_conflict_until_force_conflicts() {
    let ns = create_ns("ssa-conflict");
    install(&ns, "gb", &[]);
    // Another tool takes spec.replicas of the front end with server-side apply.
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gb-guestbook\nspec:\n  replicas: 5\n";
    kubectl_stdin(
        &[
            "apply",
            "--server-side",
            "--validate=false",
            "--field-manager=other-tool",
            "--force-conflicts",
            "-n",
            &ns,
            "-f",
            "-",
        ],
        Some(patch.as_bytes()),
    )
    .ok();
    let chart = guestbook_chart();
    let out = rhelm(&[
        "upgrade",
        "gb",
        &chart,
        "-n",
        &ns,
        "--set",
        "replicaCount=3",
    ])
    .fails();
    assert!(
        out.error_line().starts_with("Error: UPGRADE FAILED: "),
        "\n{out}"
    );
    for needle in ["other-tool", ".spec.replicas", "--force-conflicts"] {
        assert!(
            out.stderr.contains(needle),
            "the conflict must name {needle:?}\n{out}"
        );
    }
    assert_nothing_pending(&ns, "gb");
    assert_eq!(
        field(&ns, "deployment", "gb-guestbook", "{.spec.replicas}"),
        "5"
    );

    rhelm(&[
        "upgrade",
        "gb",
        &chart,
        "-n",
        &ns,
        "--set",
        "replicaCount=3",
        "--force-conflicts",
    ])
    .ok();
    assert_eq!(
        field(&ns, "deployment", "gb-guestbook", "{.spec.replicas}"),
        "3"
    );
    let last = stored_releases(&ns, "gb").pop().expect("records");
    assert_eq!(
        (last.status(), last.description()),
        ("deployed", "Upgrade complete")
    );
}
