//! The one integration-test harness, shared by every module of the `tests` binary.
//!
//! - one real kube-apiserver (1.20.2 + etcd, from `scripts/test-cluster.sh`) per test run,
//!   started on first use and reused while `status` says it is up;
//! - the compiled `rhelm` binary run with that cluster's kubeconfig and a clean Helm environment;
//! - `kubectl` against the same cluster, a unique namespace per test, status-subresource writers
//!   (the cluster has no controllers), Helm-written release fixtures, and a decoder for release
//!   records as stored (Secret/ConfigMap → base64 → gzip → JSON);
//! - Helm's output formats (`time.ANSIC`, Go's `Time.String`, uitable's tab layout), so that tests
//!   compute the exact text Helm would print from what is stored instead of hard-coding it.
//!
//! Some helpers serve only some modules or later issues (`--wait`, hooks), hence the allowance.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value as Json;

/// The release name the lab and Helm's fixtures use.
pub const LAB_RELEASE: &str = "guestbook-demo";

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared test data: `$RHELM_SHARED`, else `<repo>/../shared`, else `/work/shared`.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RHELM_SHARED") {
        return PathBuf::from(dir);
    }
    let sibling = repo_root().join("../shared");
    if sibling.is_dir() {
        return sibling;
    }
    PathBuf::from("/work/shared")
}

/// The lab's chart, `charts/guestbook`.
pub fn guestbook_chart() -> String {
    repo_root().join("charts/guestbook").display().to_string()
}

/// Goldens written by real Helm (see tests/golden/guestbook/README.md).
pub fn golden(path: &str) -> String {
    let file = repo_root().join("tests/golden").join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()))
}

// ---------------------------------------------------------------------------------------------
// The cluster

/// A running test API server.
pub struct Cluster {
    /// The directory holding its state (`scripts/test-cluster.sh start DIR`).
    pub dir: PathBuf,
    /// Its admin kubeconfig.
    pub kubeconfig: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    /// The CA certificate of the server.
    pub ca: PathBuf,
    /// The admin's bearer token.
    pub token: String,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The run's cluster, started (or reused) on first call; panics with directions if impossible.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(start_cluster)
}

const NO_CLUSTER_HELP: &str = "\
this test needs a real Kubernetes API server and none could be started.
The project's script builds one (kube-apiserver 1.20.2 from Debian's `kubernetes` source package,
plus etcd-server; apt and several minutes on first use) and caches it:
    scripts/test-cluster.sh install
Then rerun the tests; they start it with `scripts/test-cluster.sh start target/test-cluster`.
To use an instance you started yourself, set RHELM_TEST_CLUSTER_DIR to its state directory.";

fn start_cluster() -> Cluster {
    let dir = std::env::var_os("RHELM_TEST_CLUSTER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/test-cluster"));
    let script = repo_root().join("scripts/test-cluster.sh");
    let up = Command::new(&script)
        .arg("status")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if up {
        read_cluster(&dir, dir.join("kubeconfig"))
    } else {
        start_cluster_in(&dir)
    }
}

/// Starts (or restarts, keeping etcd's data) the API server whose state is in `dir` with
/// `scripts/test-cluster.sh start DIR`; for tests that need a cluster of their own. A restart
/// may pick new ports: use the returned value, not an earlier one.
pub fn start_cluster_in(dir: &Path) -> Cluster {
    let script = repo_root().join("scripts/test-cluster.sh");
    let out = Command::new(&script)
        .arg("start")
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{NO_CLUSTER_HELP}\n\nrunning {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or("").trim().to_string();
    if !out.status.success() || last.is_empty() {
        panic!(
            "{NO_CLUSTER_HELP}\n\n`{} start {}` failed ({}):\n{}",
            script.display(),
            dir.display(),
            out.status,
            tail(&stderr, 30)
        );
    }
    read_cluster(dir, PathBuf::from(last))
}

fn read_cluster(dir: &Path, kubeconfig: PathBuf) -> Cluster {
    let env = std::fs::read_to_string(dir.join("cluster.env"))
        .unwrap_or_else(|e| panic!("reading {}/cluster.env: {e}", dir.display()));
    let setting = |key: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {}/cluster.env", dir.display()))
            .to_string()
    };
    let (server, token) = (setting("SERVER="), setting("TOKEN="));
    Cluster {
        ca: dir.join("pki/ca.crt"),
        dir: dir.to_path_buf(),
        kubeconfig,
        server,
        token,
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A kubeconfig for the test server that authenticates with `token` (e.g. a ServiceAccount's).
pub fn kubeconfig_with_token(dir: &Path, token: &str) -> PathBuf {
    let c = cluster();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: \"{}\"\n    \
         certificate-authority: \"{}\"\nusers:\n- name: limited\n  user:\n    token: \"{token}\"\n\
         contexts:\n- name: limited\n  context:\n    cluster: test\n    user: limited\n\
         current-context: limited\n",
        c.server,
        c.ca.display()
    );
    let path = dir.join("kubeconfig-limited");
    std::fs::write(&path, text).expect("writing kubeconfig");
    path
}

/// A kubeconfig whose server is a loopback port nothing listens on; returns it and the address.
pub fn unreachable_kubeconfig(dir: &Path) -> (PathBuf, String) {
    // Bind then drop: the port was free a moment ago and stays closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("finding a free port");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: \
         \"https://127.0.0.1:{port}\"\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  \
         user:\n    token: \"nothing\"\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    \
         user: u\ncurrent-context: gone\n"
    );
    let path = dir.join("kubeconfig-unreachable");
    std::fs::write(&path, text).expect("writing kubeconfig");
    (path, format!("127.0.0.1:{port}"))
}

// ---------------------------------------------------------------------------------------------
// Running commands

/// A finished command: what ran, its exit code and its output.
pub struct Run {
    /// The command line, for failure messages.
    pub cmd: String,
    /// The exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\nexit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n---",
            self.cmd, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Asserts exit code 0.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "expected success\n{self}");
        self
    }

    /// Asserts Helm's failure shape: exit code 1 and stderr starting with `Error: `.
    #[track_caller]
    pub fn fails(self) -> Self {
        assert_eq!(self.code, Some(1), "expected exit code 1\n{self}");
        assert!(
            self.stderr.starts_with("Error: ") || self.stderr.contains("\nError: "),
            "expected an `Error: ` line on stderr\n{self}"
        );
        self
    }

    /// Asserts that stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "expected stderr to contain {needle:?}\n{self}"
        );
        self
    }

    /// The `Error: ...` line of stderr (Helm prints exactly one).
    pub fn error_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|l| l.starts_with("Error: "))
            .unwrap_or("")
    }
}

fn run(mut cmd: Command, shown: String, stdin: Option<&[u8]>) -> Run {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {shown}: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input)
            .unwrap_or_else(|e| panic!("writing stdin of {shown}: {e}"));
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {shown}: {e}"));
    Run {
        cmd: shown,
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn shell_words(program: &str, args: &[&str]) -> String {
    let mut s = program.to_string();
    for a in args {
        s.push(' ');
        if a.is_empty() || a.contains([' ', '"', '\'', '$', '*', '|']) {
            s.push_str(&format!("'{a}'"));
        } else {
            s.push_str(a);
        }
    }
    s
}

/// `rhelm` with a clean Helm environment: no HELM_* variables, UTC clock, no colour.
fn rhelm_command(args: &[&str], kubeconfig: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rhelm"));
    cmd.args(args);
    for var in [
        "HELM_DRIVER",
        "HELM_NAMESPACE",
        "HELM_MAX_HISTORY",
        "HELM_DEBUG",
        "HELM_KUBECONTEXT",
        "HELM_KUBETOKEN",
        "HELM_KUBEAPISERVER",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("KUBECONFIG", kubeconfig)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs `rhelm ARGS` against the test cluster.
pub fn rhelm(args: &[&str]) -> Run {
    rhelm_env(args, &[])
}

/// Runs `rhelm ARGS` against the test cluster with extra environment variables.
pub fn rhelm_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    cluster().rhelm_env(args, env)
}

impl Cluster {
    /// Runs `rhelm ARGS` against this cluster with extra environment variables.
    pub fn rhelm_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = rhelm_command(args, &self.kubeconfig);
        let mut shown = String::new();
        for (k, v) in env {
            cmd.env(k, v);
            shown.push_str(&format!("{k}={v} "));
        }
        shown.push_str(&shell_words("rhelm", args));
        run(cmd, shown, None)
    }

    /// Runs `kubectl ARGS` against this cluster.
    pub fn kubectl(&self, args: &[&str]) -> Run {
        self.kubectl_stdin(args, None)
    }

    /// Runs `kubectl ARGS` against this cluster, feeding `stdin`.
    pub fn kubectl_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut cmd = Command::new("kubectl");
        cmd.args(args).env("KUBECONFIG", &self.kubeconfig);
        run(cmd, shell_words("kubectl", args), stdin)
    }

    /// `kubectl ARGS -o json` against this cluster, parsed; panics if kubectl fails.
    #[track_caller]
    pub fn kubectl_json(&self, args: &[&str]) -> Json {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.kubectl(&all).ok();
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("kubectl output is not JSON: {e}\n{out}"))
    }

    /// The release records of `release` stored as Secrets in `ns` of this cluster, oldest
    /// first (an empty name selects every release's records).
    pub fn stored_releases(&self, ns: &str, release: &str) -> Vec<StoredRelease> {
        let selector = if release.is_empty() {
            "owner=helm".to_string()
        } else {
            format!("owner=helm,name={release}")
        };
        decode_objects(
            "Secret",
            &self.kubectl_json(&["get", "secrets", "-n", ns, "-l", &selector]),
        )
    }
}

/// Runs `rhelm ARGS` with `KUBECONFIG` set to `kubeconfig` (no test cluster started for it).
pub fn rhelm_with_kubeconfig(kubeconfig: &Path, args: &[&str]) -> Run {
    let cmd = rhelm_command(args, kubeconfig);
    run(
        cmd,
        format!(
            "KUBECONFIG={} {}",
            kubeconfig.display(),
            shell_words("rhelm", args)
        ),
        None,
    )
}

/// Runs `rhelm ARGS` with no cluster at all (KUBECONFIG names a file that does not exist).
pub fn rhelm_offline(args: &[&str]) -> Run {
    let missing = std::env::temp_dir().join("rhelm-tests-no-such-kubeconfig");
    rhelm_with_kubeconfig(&missing, args)
}

/// Runs `kubectl ARGS` against the test cluster.
pub fn kubectl(args: &[&str]) -> Run {
    kubectl_stdin(args, None)
}

/// Runs `kubectl ARGS` against the test cluster, feeding `stdin`.
pub fn kubectl_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    cluster().kubectl_stdin(args, stdin)
}

/// `kubectl ARGS -o json`, parsed; panics if kubectl fails.
#[track_caller]
pub fn kubectl_json(args: &[&str]) -> Json {
    cluster().kubectl_json(args)
}

/// Whether `kind/name` exists in `ns`.
pub fn exists(ns: &str, kind: &str, name: &str) -> bool {
    let out = kubectl(&[
        "get",
        kind,
        name,
        "-n",
        ns,
        "--ignore-not-found",
        "-o",
        "name",
    ])
    .ok();
    !out.stdout.trim().is_empty()
}

/// A field of an object, through kubectl's jsonpath (e.g. `{.spec.type}`).
pub fn field(ns: &str, kind: &str, name: &str, jsonpath: &str) -> String {
    let path = format!("jsonpath={jsonpath}");
    kubectl(&["get", kind, name, "-n", ns, "-o", &path])
        .ok()
        .stdout
}

/// Polls `check` until it returns `Some` (30 s deadline); for effects the server applies
/// asynchronously. Never a fixed sleep.
#[track_caller]
pub fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after 30 s waiting until {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until `kind/name` no longer exists in `ns`.
#[track_caller]
pub fn assert_gone(ns: &str, kind: &str, name: &str) {
    eventually(&format!("{kind}/{name} in {ns} is deleted"), || {
        (!exists(ns, kind, name)).then_some(())
    });
}

// ---------------------------------------------------------------------------------------------
// Namespaces

/// A fresh namespace name for a test: `t-<test>-<random>` (not created).
pub fn unique_ns(test: &str) -> String {
    let mut slug: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    slug.truncate(40);
    let slug = slug.trim_matches('-');
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t-{slug}-{}", &id[..6])
}

/// A fresh namespace for a test, created. The cluster has no namespace controller, so tests
/// never delete namespaces (they would stay Terminating); each run uses new ones.
pub fn create_ns(test: &str) -> String {
    let ns = unique_ns(test);
    kubectl(&["create", "namespace", &ns]).ok();
    ns
}

// ---------------------------------------------------------------------------------------------
// Playing the controllers

/// A raw API request as the admin (curl: works with any kubectl version, e.g. Debian's 1.20,
/// which lacks `--subresource` and `create token`). Panics unless the server answers 2xx.
#[track_caller]
pub fn api(method: &str, path: &str, content_type: &str, body: &Json) -> Json {
    let c = cluster();
    let url = format!("{}{path}", c.server);
    let auth = format!("Authorization: Bearer {}", c.token);
    let kind = format!("Content-Type: {content_type}");
    let ca = c.ca.display().to_string();
    let data = body.to_string();
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "--cacert",
        &ca,
        "-H",
        &auth,
        "-H",
        &kind,
        "-X",
        method,
        "-w",
        "\n%{http_code}",
        &url,
    ]);
    let stdin = if body.is_null() {
        None
    } else {
        cmd.args(["--data-binary", "@-"]);
        Some(data.as_bytes())
    };
    let out = run(cmd, format!("curl -X {method} {url}"), stdin);
    let (text, code) = out.stdout.rsplit_once('\n').unwrap_or(("", ""));
    assert!(
        out.code == Some(0) && code.starts_with('2'),
        "API request failed (HTTP {code})\n{text}\n{out}"
    );
    serde_json::from_str(text).unwrap_or_else(|e| panic!("API answer is not JSON: {e}\n{out}"))
}

/// Merge-patches an object's status subresource, as a controller would.
pub fn patch_status(api_path: &str, status: Json) -> Json {
    api(
        "PATCH",
        &format!("{api_path}/status"),
        "application/merge-patch+json",
        &serde_json::json!({ "status": status }),
    )
}

/// Makes a Deployment ready as its controller would: writes its status subresource.
pub fn mark_deployment_ready(ns: &str, name: &str) {
    let path = format!("/apis/apps/v1/namespaces/{ns}/deployments/{name}");
    let obj = api("GET", &path, "application/json", &Json::Null);
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    patch_status(
        &path,
        serde_json::json!({
            "observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]
        }),
    );
}

/// Completes a Job as its controller would: writes its status subresource.
pub fn mark_job_complete(ns: &str, name: &str) {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    patch_status(
        &format!("/apis/batch/v1/namespaces/{ns}/jobs/{name}"),
        serde_json::json!({
            "succeeded": 1, "startTime": now, "completionTime": now,
            "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}]
        }),
    );
}

/// Fails a Job as its controller would after its last retry: writes its status subresource.
pub fn mark_job_failed(ns: &str, name: &str) {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    patch_status(
        &format!("/apis/batch/v1/namespaces/{ns}/jobs/{name}"),
        serde_json::json!({
            "failed": 1, "startTime": now,
            "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
                "lastProbeTime": now, "lastTransitionTime": now}]
        }),
    );
}

/// A ServiceAccount token (TokenRequest API, one hour) for `sa` in `ns`, creating the account.
pub fn service_account_token(ns: &str, sa: &str) -> String {
    kubectl(&["create", "serviceaccount", sa, "-n", ns]).ok();
    let request = serde_json::json!({
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}
    });
    let answer = api(
        "POST",
        &format!("/api/v1/namespaces/{ns}/serviceaccounts/{sa}/token"),
        "application/json",
        &request,
    );
    answer["status"]["token"]
        .as_str()
        .expect("TokenRequest answer has status.token")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Release records as stored

/// One stored release record (a Secret or a ConfigMap), decoded.
#[derive(Debug, Clone)]
pub struct StoredRelease {
    /// `Secret` or `ConfigMap`.
    pub kind: String,
    /// The object name, `sh.helm.release.v1.<release>.v<revision>`.
    pub object_name: String,
    /// The Secret's `type` (None for ConfigMaps).
    pub secret_type: Option<String>,
    /// The object's labels.
    pub labels: BTreeMap<String, String>,
    /// The keys of the object's `data`.
    pub data_keys: Vec<String>,
    /// Whether the payload was gzip-compressed.
    pub gzipped: bool,
    /// The release JSON.
    pub release: Json,
}

impl StoredRelease {
    /// The revision (`version` in JSON).
    pub fn revision(&self) -> u64 {
        self.release["version"].as_u64().unwrap_or(0)
    }
    /// `info.status`.
    pub fn status(&self) -> &str {
        self.release["info"]["status"].as_str().unwrap_or("")
    }
    /// `info.description`.
    pub fn description(&self) -> &str {
        self.release["info"]["description"].as_str().unwrap_or("")
    }
    /// `info.last_deployed`, as stored.
    pub fn last_deployed(&self) -> &str {
        self.release["info"]["last_deployed"].as_str().unwrap_or("")
    }
    /// `manifest`.
    pub fn manifest(&self) -> &str {
        self.release["manifest"].as_str().unwrap_or("")
    }
    /// `info.notes`.
    pub fn notes(&self) -> &str {
        self.release["info"]["notes"].as_str().unwrap_or("")
    }
    /// `<chart name>-<chart version>` as Helm's tables print it.
    pub fn chart(&self) -> String {
        let m = &self.release["chart"]["metadata"];
        format!(
            "{}-{}",
            m["name"].as_str().unwrap_or(""),
            m["version"].as_str().unwrap_or("")
        )
    }
    /// The chart's appVersion ("" if none).
    pub fn app_version(&self) -> String {
        self.release["chart"]["metadata"]["appVersion"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// Decodes a release payload: base64, then gzip if it starts with gzip's magic bytes, then JSON.
pub fn decode_release_payload(payload: &str) -> (Json, bool) {
    let raw = BASE64
        .decode(payload.trim())
        .expect("release payload is not base64");
    let gzipped = raw.starts_with(&[0x1f, 0x8b]);
    let json = if gzipped {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut text)
            .expect("release payload is not valid gzip");
        text
    } else {
        raw
    };
    (
        serde_json::from_slice(&json).expect("release payload is not JSON"),
        gzipped,
    )
}

/// Encodes a release payload as Helm does: base64(gzip(JSON)).
pub fn encode_release_payload(json: &[u8]) -> String {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json).expect("gzip");
    BASE64.encode(gz.finish().expect("gzip"))
}

fn decode_objects(kind: &str, list: &Json) -> Vec<StoredRelease> {
    let mut out = Vec::new();
    for item in list["items"].as_array().cloned().unwrap_or_default() {
        let labels: BTreeMap<String, String> = item["metadata"]["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let data = item["data"].as_object().cloned().unwrap_or_default();
        let field = data.get("release").and_then(|v| v.as_str()).unwrap_or("");
        // A Secret's data is base64 of the payload; a ConfigMap holds the payload as is.
        let payload = if kind == "Secret" {
            String::from_utf8(BASE64.decode(field).expect("Secret data is not base64"))
                .expect("payload is not text")
        } else {
            field.to_string()
        };
        let (release, gzipped) = decode_release_payload(&payload);
        out.push(StoredRelease {
            kind: kind.to_string(),
            object_name: item["metadata"]["name"].as_str().unwrap_or("").to_string(),
            secret_type: item["type"].as_str().map(str::to_string),
            labels,
            data_keys: data.keys().cloned().collect(),
            gzipped,
            release,
        });
    }
    out.sort_by_key(StoredRelease::revision);
    out
}

/// The release records of `release` stored as Secrets in `ns`, oldest first.
pub fn stored_releases(ns: &str, release: &str) -> Vec<StoredRelease> {
    cluster().stored_releases(ns, release)
}

/// The release records of `release` stored as ConfigMaps in `ns`, oldest first.
pub fn stored_configmap_releases(ns: &str, release: &str) -> Vec<StoredRelease> {
    let selector = format!("owner=helm,name={release}");
    decode_objects(
        "ConfigMap",
        &kubectl_json(&["get", "configmaps", "-n", ns, "-l", &selector]),
    )
}

/// The stored record of one revision; panics if absent.
#[track_caller]
pub fn stored_revision(ns: &str, release: &str, revision: u64) -> StoredRelease {
    stored_releases(ns, release)
        .into_iter()
        .find(|r| r.revision() == revision)
        .unwrap_or_else(|| panic!("no stored revision {revision} of {release} in {ns}"))
}

/// The objects of a release manifest as (lowercase kind, name), in manifest order.
pub fn manifest_objects(manifest: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for doc in manifest.split("\n---") {
        let Ok(value) = serde_yaml::from_str::<Json>(doc.trim_start_matches("---")) else {
            continue;
        };
        if let (Some(kind), Some(name)) =
            (value["kind"].as_str(), value["metadata"]["name"].as_str())
        {
            out.push((kind.to_ascii_lowercase(), name.to_string()));
        }
    }
    out
}

/// Asserts that no record of `release` in `ns` is left in a `pending-*` state.
#[track_caller]
pub fn assert_nothing_pending(ns: &str, release: &str) {
    for r in stored_releases(ns, release) {
        assert!(
            !r.status().starts_with("pending")
                && !r
                    .labels
                    .get("status")
                    .is_some_and(|s| s.starts_with("pending")),
            "{} is left {} (label {:?})",
            r.object_name,
            r.status(),
            r.labels.get("status")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Helm-written fixtures

/// Loads `shared/helm-releases/guestbook-demo.v<N>.yaml` (Secrets written by real Helm 4.3 in
/// namespace helm-demo) into `ns`. The Secret's namespace is always rewritten; with
/// `rewrite_payload` the release JSON's own `"namespace":"helm-demo"` becomes `ns` too (the
/// payload is re-gzipped; every other byte of the JSON stays Helm's). Without it, the payload
/// is exactly the bytes Helm wrote.
pub fn load_helm_fixtures(ns: &str, revisions: &[u32], rewrite_payload: bool) {
    for rev in revisions {
        let path = shared_dir().join(format!("helm-releases/{LAB_RELEASE}.v{rev}.yaml"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let mut secret: Json = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        secret["metadata"]["namespace"] = Json::String(ns.to_string());
        if rewrite_payload {
            let field = secret["data"]["release"]
                .as_str()
                .expect("fixture has data.release")
                .to_string();
            let payload = String::from_utf8(BASE64.decode(field).expect("base64")).expect("text");
            let raw = BASE64.decode(payload).expect("base64");
            let mut json = String::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_string(&mut json)
                .expect("gzip");
            let from = "\"namespace\":\"helm-demo\"";
            assert_eq!(
                json.matches(from).count(),
                1,
                "fixture v{rev}: expected one {from}"
            );
            let json = json.replace(from, &format!("\"namespace\":\"{ns}\""));
            let payload = encode_release_payload(json.as_bytes());
            secret["data"]["release"] = Json::String(BASE64.encode(payload));
        }
        let body = serde_json::to_vec(&secret).expect("json");
        kubectl_stdin(&["create", "-f", "-"], Some(&body)).ok();
    }
}

/// Writes a Secret record for `release` from a JSON value, as Helm's secrets driver does
/// (optionally without gzip, which Helm's decoder also accepts).
pub fn write_release_secret(ns: &str, release: &Json, gzip: bool) {
    let name = release["name"].as_str().expect("release name");
    let version = release["version"].as_u64().expect("release version");
    let status = release["info"]["status"].as_str().expect("release status");
    let json = serde_json::to_vec(release).expect("json");
    let payload = if gzip {
        encode_release_payload(&json)
    } else {
        BASE64.encode(&json)
    };
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": format!("sh.helm.release.v1.{name}.v{version}"), "namespace": ns,
            "labels": {"name": name, "owner": "helm", "status": status, "version": version.to_string()}},
        "data": {"release": BASE64.encode(payload)}
    });
    kubectl_stdin(
        &["create", "-f", "-"],
        Some(&serde_json::to_vec(&secret).expect("json")),
    )
    .ok();
}

// ---------------------------------------------------------------------------------------------
// Helm's output formats

fn parse_time(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339:?} is not an RFC 3339 time: {e}"))
        .with_timezone(&chrono::Utc)
}

/// Go's `time.ANSIC` (`Mon Jan _2 15:04:05 2006`) in UTC (the tests run rhelm with TZ=UTC).
pub fn go_ansic(rfc3339: &str) -> String {
    parse_time(rfc3339)
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

/// Go's `Time.String()` of a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC` (fraction
/// without trailing zeros, absent when zero), as `helm list` prints UPDATED.
pub fn go_time_string(rfc3339: &str) -> String {
    use chrono::Timelike;
    let t = parse_time(rfc3339);
    let mut s = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = t.nanosecond();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push_str(" +0000 UTC");
    s
}

/// Go's JSON encoding of a `time.Time` (RFC 3339 with nanoseconds, trailing zeros trimmed;
/// `Z` for a zero offset), as `helm history -o json` prints `updated`.
pub fn go_rfc3339_nano(rfc3339: &str) -> String {
    use chrono::Timelike;
    let t = parse_time(rfc3339);
    let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    if t.nanosecond() != 0 {
        s.push('.');
        s.push_str(format!("{:09}", t.nanosecond()).trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Helm's tables (gosuri/uitable as `output.EncodeTable` uses it): every cell right-padded to
/// its column's width, cells joined by a tab, one line per row, and a final newline.
pub fn helm_table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", " ".repeat(widths[i] - c.chars().count())))
            .collect();
        out.push_str(&cells.join("\t"));
    }
    out.push('\n');
    out
}

/// `helm history`'s table for these records (oldest first).
pub fn history_table(records: &[StoredRelease]) -> String {
    let mut rows = vec![
        [
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
            "DESCRIPTION",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in records {
        rows.push(vec![
            r.revision().to_string(),
            go_ansic(r.last_deployed()),
            r.status().to_string(),
            r.chart(),
            r.app_version(),
            r.description().to_string(),
        ]);
    }
    helm_table(&rows)
}

/// `helm list`'s table for these records (each the latest revision of its release).
pub fn list_table(records: &[&StoredRelease]) -> String {
    let mut rows = vec![
        [
            "NAME",
            "NAMESPACE",
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in records {
        rows.push(list_row(r));
    }
    helm_table(&rows)
}

/// One row of `helm list`.
pub fn list_row(r: &StoredRelease) -> Vec<String> {
    vec![
        r.release["name"].as_str().unwrap_or("").to_string(),
        r.release["namespace"].as_str().unwrap_or("").to_string(),
        r.revision().to_string(),
        go_time_string(r.last_deployed()),
        r.status().to_string(),
        r.chart(),
        r.app_version(),
    ]
}

/// `helm list -o json|yaml`'s element for a record (`revision` is a string there).
pub fn list_json(r: &StoredRelease) -> Json {
    let row = list_row(r);
    serde_json::json!({
        "name": row[0], "namespace": row[1], "revision": row[2], "updated": row[3],
        "status": row[4], "chart": row[5], "app_version": row[6],
    })
}

/// `helm list -o json`'s exact output: compact, fields in Helm's struct order, newline.
pub fn list_json_line(records: &[&StoredRelease]) -> String {
    let items: Vec<String> = records
        .iter()
        .map(|r| {
            let row = list_row(r);
            let keys = [
                "name",
                "namespace",
                "revision",
                "updated",
                "status",
                "chart",
                "app_version",
            ];
            ordered_object(
                keys.iter()
                    .zip(row.iter())
                    .map(|(k, v)| (*k, Json::String(v.clone()))),
            )
        })
        .collect();
    format!("[{}]\n", items.join(","))
}

/// `helm history -o json|yaml`'s element for a record.
pub fn history_json(r: &StoredRelease) -> Json {
    serde_json::json!({
        "revision": r.revision(), "updated": go_rfc3339_nano(r.last_deployed()), "status": r.status(),
        "chart": r.chart(), "app_version": r.app_version(), "description": r.description(),
    })
}

/// `helm history -o json`'s exact output: compact, fields in Helm's struct order, newline.
pub fn history_json_line(records: &[StoredRelease]) -> String {
    let items: Vec<String> = records
        .iter()
        .map(|r| {
            let v = history_json(r);
            let keys = [
                "revision",
                "updated",
                "status",
                "chart",
                "app_version",
                "description",
            ];
            ordered_object(keys.iter().map(|k| (*k, v[*k].clone())))
        })
        .collect();
    format!("[{}]\n", items.join(","))
}

fn ordered_object<'a>(fields: impl Iterator<Item = (&'a str, Json)>) -> String {
    let parts: Vec<String> = fields
        .map(|(k, v)| format!("{}:{}", Json::String(k.to_string()), v))
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// The first lines of Helm's status block (NAME … DESCRIPTION) for a record.
pub fn status_header(r: &StoredRelease) -> String {
    format!(
        "NAME: {}\nLAST DEPLOYED: {}\nNAMESPACE: {}\nSTATUS: {}\nREVISION: {}\nDESCRIPTION: {}\n",
        r.release["name"].as_str().unwrap_or(""),
        go_ansic(r.last_deployed()),
        r.release["namespace"].as_str().unwrap_or(""),
        r.status(),
        r.revision(),
        r.description()
    )
}

/// Helm's whole status block as install/upgrade print it (no resources, no test hooks).
pub fn status_block(r: &StoredRelease) -> String {
    let mut s = status_header(r);
    s.push_str("TEST SUITE: None\n");
    if !r.notes().is_empty() {
        s.push_str(&format!("NOTES:\n{}\n", r.notes().trim()));
    }
    s
}

/// Asserts two texts are equal; on failure shows a unified diff and how each one ends (so that a
/// missing final newline is visible), then the command that produced `actual`.
#[track_caller]
pub fn assert_text(actual: &str, expected: &str, context: &dyn fmt::Display) {
    if actual == expected {
        return;
    }
    let diff = similar::TextDiff::from_lines(expected, actual);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string();
    let tail = |s: &str| format!("{:?}", &s[s.len().saturating_sub(40)..]);
    panic!(
        "texts differ\n{}\nexpected ends with {}\nactual   ends with {}\n{context}",
        text.lines().take(80).collect::<Vec<_>>().join("\n"),
        tail(expected),
        tail(actual)
    );
}

/// Asserts that `haystack` contains each of `parts` in this order.
#[track_caller]
pub fn assert_in_order(haystack: &str, parts: &[&str]) {
    let mut from = 0;
    for part in parts {
        match haystack[from..].find(part) {
            Some(at) => from += at + part.len(),
            None => {
                panic!("expected, after byte {from}, the text:\n{part}\n--- in ---\n{haystack}")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Charts written by tests

/// A chart directory written from `(relative path, content)` pairs; removed when dropped.
pub fn write_chart(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let file = dir.path().join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&file, content).expect("writing chart file");
    }
    dir
}

/// A small chart whose objects are all named after the release, so that several releases of
/// it share a namespace (the guestbook's redis objects have fixed names). `--set replicas=-1`
/// makes the API server reject its Deployment.
pub fn tiny_chart() -> tempfile::TempDir {
    write_chart(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: tiny\nversion: 1.0.0\nappVersion: \"1.0\"\n",
        ),
        ("values.yaml", "replicas: 1\ngreeting: hello\n"),
        (
            "templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
        ),
        (
            "templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  \
             selector:\n    matchLabels:\n      app: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n        \
             app: {{ .Release.Name }}\n    spec:\n      containers:\n      - name: main\n        image: busybox:1.36\n",
        ),
        (
            "templates/NOTES.txt",
            "tiny {{ .Release.Name }} says {{ .Values.greeting }}\n",
        ),
    ])
}

/// A copy of charts/guestbook with extra or replaced files; removed when dropped.
pub fn guestbook_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(Path::new(&guestbook_chart()), dir.path());
    for (path, content) in files {
        std::fs::write(dir.path().join(path), content).expect("writing chart file");
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_ansic_pads_the_day_with_a_space() {
        assert_eq!(
            go_ansic("2026-11-07T08:16:55.897087525Z"),
            "Sat Nov  7 08:16:55 2026"
        );
        assert_eq!(
            go_ansic("2026-11-27T09:16:55+01:00"),
            "Fri Nov 27 08:16:55 2026"
        );
    }

    #[test]
    fn go_time_string_trims_trailing_zeros_of_the_fraction() {
        assert_eq!(
            go_time_string("2026-11-27T08:16:55.897087500Z"),
            "2026-11-27 08:16:55.8970875 +0000 UTC"
        );
        assert_eq!(
            go_time_string("2016-01-16T00:00:01Z"),
            "2016-01-16 00:00:01 +0000 UTC"
        );
    }

    #[test]
    fn go_rfc3339_nano_is_utc_with_a_trimmed_fraction() {
        assert_eq!(
            go_rfc3339_nano("2026-11-27T08:16:55.897087500+00:00"),
            "2026-11-27T08:16:55.8970875Z"
        );
        assert_eq!(
            go_rfc3339_nano("2026-11-27T09:16:55+01:00"),
            "2026-11-27T08:16:55Z"
        );
    }

    #[test]
    fn helm_table_pads_every_cell_including_the_last() {
        let rows = vec![
            vec!["A".to_string(), "BB".to_string()],
            vec!["ccc".to_string(), "d".to_string()],
        ];
        assert_eq!(helm_table(&rows), "A  \tBB\nccc\td \n");
    }

    // The harness against the real cluster (no rhelm involved).

    #[test]
    fn helm_fixtures_load_and_decode_with_helms_statuses() {
        let exact = create_ns("harness-fixtures");
        load_helm_fixtures(&exact, &[1, 2, 3], false);
        let records = stored_releases(&exact, LAB_RELEASE);
        let seen: Vec<(u64, &str, bool)> = records
            .iter()
            .map(|r| (r.revision(), r.status(), r.gzipped))
            .collect();
        assert_eq!(
            seen,
            [
                (1, "superseded", true),
                (2, "deployed", true),
                (3, "pending-rollback", true)
            ]
        );
        assert!(
            records
                .iter()
                .all(|r| r.release["namespace"] == "helm-demo"),
            "exact bytes keep Helm's namespace"
        );
        assert_eq!(
            records[2].labels.get("createdAt").map(|v| v.len()),
            Some(10),
            "v3 was created, never updated"
        );

        let rewritten = create_ns("harness-fixtures-rw");
        load_helm_fixtures(&rewritten, &[1, 2, 3], true);
        let moved = stored_releases(&rewritten, LAB_RELEASE);
        for (a, b) in records.iter().zip(&moved) {
            assert_eq!(b.release["namespace"], rewritten.as_str());
            let mut a = a.release.clone();
            a["namespace"] = b.release["namespace"].clone();
            assert_eq!(a, b.release, "only the namespace changes");
        }
    }

    #[test]
    fn records_written_by_the_harness_decode_gzipped_or_not() {
        let ns = create_ns("harness-write");
        let release = serde_json::json!({"name": "w", "version": 1, "namespace": ns, "info": {"status": "deployed"}});
        write_release_secret(&ns, &release, false);
        let mut second = release.clone();
        second["version"] = 2.into();
        write_release_secret(&ns, &second, true);
        let records = stored_releases(&ns, "w");
        assert_eq!(
            records
                .iter()
                .map(|r| (r.revision(), r.gzipped))
                .collect::<Vec<_>>(),
            [(1, false), (2, true)]
        );
        assert_eq!(records[1].release, second);
    }

    #[test]
    fn status_writes_make_a_deployment_ready() {
        let ns = create_ns("harness-ready");
        kubectl(&["create", "deployment", "web", "--image=nginx", "-n", &ns]).ok();
        assert_eq!(
            field(&ns, "deployment", "web", "{.status.readyReplicas}"),
            ""
        );
        mark_deployment_ready(&ns, "web");
        assert_eq!(
            field(&ns, "deployment", "web", "{.status.readyReplicas}"),
            "1"
        );
        assert_eq!(
            field(&ns, "deployment", "web", "{.status.observedGeneration}"),
            "1"
        );
    }

    #[test]
    fn a_service_account_token_authenticates_without_permissions() {
        let ns = create_ns("harness-token");
        let token = service_account_token(&ns, "nobody");
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = kubeconfig_with_token(dir.path(), &token);
        let kubeconfig = kubeconfig.to_str().expect("utf-8");
        let out = kubectl(&["--kubeconfig", kubeconfig, "get", "secrets", "-n", &ns]);
        assert_ne!(out.code, Some(0), "{out}");
        assert!(
            out.stderr
                .contains(&format!("system:serviceaccount:{ns}:nobody")),
            "authenticated as the account\n{out}"
        );
        assert!(
            out.stderr.contains("cannot list resource \"secrets\""),
            "{out}"
        );
    }
}
