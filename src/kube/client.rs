//! Connecting to a cluster: kubeconfig loading, context selection and the reachability check.
//! Helm counterpart: `pkg/kube/client.go` (`IsReachable`) and `pkg/cli` (`--kubeconfig`,
//! `--kube-context`, `KUBECONFIG`). Does not handle `--kube-apiserver`/`--kube-token` overrides.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ::kube::config::{Config, KubeConfigOptions, Kubeconfig};

use super::Error;
use super::error::describe;

/// How long opening a TCP/TLS connection to the API server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the first request (`GET /version`) may take in total before we call the cluster
/// unreachable.
const REACHABILITY_TIMEOUT: Duration = Duration::from_secs(10);

/// The API server's version, from `GET /version`; Helm's `.Capabilities.KubeVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    /// `gitVersion`, e.g. `v1.20.2` (`.Capabilities.KubeVersion.Version`).
    pub git_version: String,
    /// `major`, e.g. `1`.
    pub major: String,
    /// `minor`, e.g. `20` (may carry a `+` on some distributions, as in Helm).
    pub minor: String,
}

/// A connected, reachable cluster: the kube-rs client plus what the kubeconfig context said.
///
/// Cheap to clone (the kube-rs client is reference counted).
#[derive(Clone)]
pub struct Client {
    inner: ::kube::Client,
    namespace: String,
    server_url: String,
    version: ServerVersion,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("server_url", &self.server_url)
            .field("namespace", &self.namespace)
            .field("version", &self.version)
            .finish()
    }
}

impl Client {
    /// The kube-rs client, for modules that use typed APIs directly (storage's Secrets).
    pub fn kube(&self) -> &::kube::Client {
        &self.inner
    }

    /// The namespace of the selected context (`default` when it names none); Helm uses it
    /// when `-n/--namespace` is not given.
    pub fn default_namespace(&self) -> &str {
        &self.namespace
    }

    /// The API server's URL from the kubeconfig.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The API server's version (`.Capabilities.KubeVersion`).
    pub fn server_version(&self) -> &ServerVersion {
        &self.version
    }
}

/// Where and how to connect: Helm's global Kubernetes flags. Everything is optional; the
/// kubeconfig fills in the rest.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`: this file instead of `KUBECONFIG` / `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context`: this context instead of `current-context`.
    pub context: Option<String>,
    /// `--kube-apiserver`: this server URL (works without any kubeconfig).
    pub api_server: Option<String>,
    /// `--kube-token`: this bearer token.
    pub token: Option<String>,
    /// `--kube-ca-file`: trust this CA bundle for the server's certificate.
    pub ca_file: Option<PathBuf>,
    /// `--kube-insecure-skip-tls-verify`: do not check the server's certificate.
    pub insecure_skip_tls_verify: bool,
    /// `--kube-tls-server-name`: the name to check the server's certificate against.
    pub tls_server_name: Option<String>,
    /// `--kube-as-user`: impersonate this user.
    pub as_user: Option<String>,
    /// `--kube-as-group`: impersonate these groups.
    pub as_groups: Vec<String>,
}

/// Connects to the cluster chosen by the kubeconfig and checks that it answers.
///
/// The kubeconfig is `kubeconfig` if given (Helm's `--kubeconfig`), else the files listed in
/// `KUBECONFIG` (colon separated, merged, missing files skipped as client-go does), else
/// `~/.kube/config`. `context` (Helm's `--kube-context`) overrides `current-context`.
/// [`connect_with`] takes Helm's other connection flags too.
///
/// Fails with [`Error::Unreachable`] (`Kubernetes cluster unreachable: …`) within about ten
/// seconds when the server does not answer `GET /version`.
pub async fn connect(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<Client, Error> {
    connect_with(&ConnectOptions {
        kubeconfig: kubeconfig.map(Path::to_path_buf),
        context: context.map(str::to_owned),
        ..ConnectOptions::default()
    })
    .await
}

/// [`connect`] with all of Helm's connection flags ([`ConnectOptions`]); the flags override
/// what the kubeconfig says.
pub async fn connect_with(options: &ConnectOptions) -> Result<Client, Error> {
    let mut config = load_config(options).await?;
    apply_overrides(&mut config, options)?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    let server_url = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    let inner = ::kube::Client::try_from(config).map_err(|source| Error::ClientSetup { source })?;

    let version_url = format!("{}/version", server_url.trim_end_matches('/'));
    let info = match tokio::time::timeout(REACHABILITY_TIMEOUT, inner.apiserver_version()).await {
        Ok(Ok(info)) => info,
        Ok(Err(err)) => {
            return Err(Error::Unreachable {
                cause: format!(
                    "Get {version_url:?}: {}",
                    unreachable_cause(&err, &server_url)
                ),
            });
        }
        Err(_) => {
            return Err(Error::Unreachable {
                cause: format!(
                    "Get {version_url:?}: no answer within {}s",
                    REACHABILITY_TIMEOUT.as_secs()
                ),
            });
        }
    };
    Ok(Client {
        inner,
        namespace,
        server_url,
        version: ServerVersion {
            git_version: info.git_version,
            major: info.major,
            minor: info.minor,
        },
    })
}

/// The kube-rs configuration from the kubeconfig, or from `--kube-apiserver` alone when there
/// is no kubeconfig at all.
async fn load_config(options: &ConnectOptions) -> Result<Config, Error> {
    let file = match load_kubeconfig(
        options.kubeconfig.as_deref(),
        std::env::var_os("KUBECONFIG"),
    ) {
        Ok(file) => file,
        Err(err) => match &options.api_server {
            Some(server) if options.kubeconfig.is_none() => {
                return Ok(Config::new(parse_server(server)?));
            }
            _ => return Err(err),
        },
    };
    if let Some(name) = &options.context
        && !file.contexts.iter().any(|c| &c.name == name)
    {
        return Err(Error::UnknownContext {
            context: name.clone(),
        });
    }
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    Config::from_custom_kubeconfig(file, &kube_options)
        .await
        .map_err(|source| Error::Kubeconfig { source })
}

/// Parses a server URL (generic so the `http::Uri` type need not be named: `http` is not a
/// direct dependency).
fn parse_server<T>(server: &str) -> Result<T, Error>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    server.parse().map_err(|err| Error::InvalidServer {
        server: server.to_owned(),
        reason: format!("{err}"),
    })
}

/// Applies Helm's `--kube-*` flags on top of the kubeconfig's settings.
fn apply_overrides(config: &mut Config, options: &ConnectOptions) -> Result<(), Error> {
    if let Some(server) = &options.api_server {
        config.cluster_url = parse_server(server)?;
    }
    if let Some(token) = &options.token {
        config.auth_info.token = Some(token.clone().into());
        config.auth_info.token_file = None;
    }
    if let Some(ca_file) = &options.ca_file {
        config.root_cert_file = Some(ca_file.clone());
    }
    if options.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    if let Some(name) = &options.tls_server_name {
        config.tls_server_name = Some(name.clone());
    }
    if let Some(user) = &options.as_user {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !options.as_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(options.as_groups.clone());
    }
    Ok(())
}

/// Reads the kubeconfig as client-go's loading rules do (see [`connect`]).
/// `kubeconfig_env` is the value of `KUBECONFIG` (passed in so tests need not touch the
/// process environment).
fn load_kubeconfig(
    explicit: Option<&Path>,
    kubeconfig_env: Option<std::ffi::OsString>,
) -> Result<Kubeconfig, Error> {
    let wrap = |source| Error::Kubeconfig { source };
    if let Some(path) = explicit {
        return Kubeconfig::read_from(path).map_err(wrap);
    }
    if let Some(value) = kubeconfig_env {
        let paths: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty() && p.exists())
            .collect();
        if !paths.is_empty() {
            let mut merged = Kubeconfig::default();
            for path in &paths {
                merged = merged
                    .merge(Kubeconfig::read_from(path).map_err(wrap)?)
                    .map_err(wrap)?;
            }
            return Ok(merged);
        }
    }
    Kubeconfig::read().map_err(wrap)
}

/// Why the server did not answer, worded like Go's net errors where the cause is a socket
/// error (`dial tcp 127.0.0.1:1: connect: connection refused`), else the error chain.
fn unreachable_cause(err: &::kube::Error, server_url: &str) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            let text = io.to_string();
            let text = text
                .split(" (os error")
                .next()
                .unwrap_or_default()
                .to_lowercase();
            let after_scheme = server_url
                .split_once("://")
                .map_or(server_url, |(_, rest)| rest);
            let authority = after_scheme.split('/').next().unwrap_or_default();
            return format!("dial tcp {authority}: connect: {text}");
        }
        source = cause.source();
    }
    describe(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_kubeconfig(dir: &Path, name: &str, server: &str, namespace: &str) -> PathBuf {
        let path = dir.join(name);
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: main\n  context:\n    cluster: c\n    user: u\n    namespace: {namespace}\n- name: other\n  context:\n    cluster: c\n    user: u\ncurrent-context: main\n"
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    #[tokio::test]
    async fn unreachable_server_fails_fast_with_helms_prefix() {
        let dir = tempfile::tempdir().unwrap();
        // Port 1 on loopback refuses connections.
        let path = write_kubeconfig(dir.path(), "config", "https://127.0.0.1:1", "team");
        let err = connect(Some(&path), None).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text == "Kubernetes cluster unreachable: Get \"https://127.0.0.1:1/version\": dial tcp 127.0.0.1:1: connect: connection refused",
            "{text}"
        );
    }

    #[tokio::test]
    async fn unknown_context_is_a_kubeconfig_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_kubeconfig(dir.path(), "config", "https://127.0.0.1:1", "team");
        let err = connect(Some(&path), Some("nope")).await.unwrap_err();
        assert_eq!(err.to_string(), "context \"nope\" does not exist");
    }

    #[test]
    fn kubeconfig_env_files_are_merged_first_wins_and_missing_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_kubeconfig(dir.path(), "a", "https://first.invalid:6443", "team");
        let second = write_kubeconfig(dir.path(), "b", "https://second.invalid:6443", "x");
        let missing = dir.path().join("missing");
        let list = std::env::join_paths([missing, first, second]).unwrap();
        let config = load_kubeconfig(None, Some(list)).unwrap();
        assert_eq!(config.current_context.as_deref(), Some("main"));
        let server = config.clusters[0]
            .cluster
            .as_ref()
            .unwrap()
            .server
            .as_deref();
        assert_eq!(server, Some("https://first.invalid:6443"));
    }

    #[tokio::test]
    async fn flags_override_the_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_kubeconfig(dir.path(), "config", "https://example.invalid:6443", "team");
        let options = ConnectOptions {
            kubeconfig: Some(path),
            api_server: Some("https://127.0.0.1:9443".into()),
            as_user: Some("alice".into()),
            as_groups: vec!["devs".into()],
            insecure_skip_tls_verify: true,
            ..ConnectOptions::default()
        };
        let mut config = load_config(&options).await.unwrap();
        apply_overrides(&mut config, &options).unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:9443/");
        assert_eq!(config.default_namespace, "team");
        assert_eq!(config.auth_info.impersonate.as_deref(), Some("alice"));
        assert_eq!(
            config.auth_info.impersonate_groups,
            Some(vec!["devs".to_string()])
        );
        assert!(config.accept_invalid_certs);
    }

    #[tokio::test]
    async fn a_bad_server_url_is_reported_as_such() {
        let options = ConnectOptions {
            api_server: Some("not a url".into()),
            ..ConnectOptions::default()
        };
        let mut config = Config::new("https://127.0.0.1:1".parse().unwrap());
        let err = apply_overrides(&mut config, &options).unwrap_err();
        assert!(err.to_string().contains("not a url"), "{err}");
    }

    #[test]
    fn explicit_kubeconfig_path_wins_over_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_kubeconfig(dir.path(), "config", "https://example.invalid:6443", "team");
        let other = write_kubeconfig(dir.path(), "other", "https://other.invalid:6443", "x");
        let config = load_kubeconfig(Some(&path), Some(other.into_os_string())).unwrap();
        assert_eq!(config.current_context.as_deref(), Some("main"));
        assert_eq!(
            config.clusters[0]
                .cluster
                .as_ref()
                .unwrap()
                .server
                .as_deref(),
            Some("https://example.invalid:6443")
        );
    }
}
