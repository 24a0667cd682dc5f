//! The errors of the `kube` module, with Helm's wording where Helm prints a fixed text.

use std::fmt;

/// A manifest object whose `apiVersion`/`kind` the server does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind {
    /// `metadata.name` of the object.
    pub name: String,
    /// The namespace the object would live in (`""` for none).
    pub namespace: String,
    /// The object's `apiVersion`.
    pub api_version: String,
    /// The object's `kind`.
    pub kind: String,
}

impl fmt::Display for UnknownKind {
    /// Helm's (cli-runtime's) text, newline included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "resource mapping not found for name: {:?} namespace: {:?} from \"\": no matches for kind {:?} in version {:?}\nensure CRDs are installed first",
            self.name, self.namespace, self.kind, self.api_version
        )
    }
}

/// Everything that can go wrong while talking to the cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kubeconfig could not be read, or names no usable context.
    #[error("kubeconfig: {source}")]
    Kubeconfig {
        /// What kube-rs reported.
        #[source]
        source: ::kube::config::KubeconfigError,
    },
    /// `--kube-context` names a context the kubeconfig lacks (client-go's text).
    #[error("context {context:?} does not exist")]
    UnknownContext {
        /// The context asked for.
        context: String,
    },
    /// `--kube-apiserver` is not a URL.
    #[error("invalid API server URL {server:?}: {reason}")]
    InvalidServer {
        /// The value given.
        server: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The HTTP client could not be built from the kubeconfig (bad certificate, bad URL, …).
    #[error("building the Kubernetes client: {source}")]
    ClientSetup {
        /// What kube-rs reported.
        #[source]
        source: ::kube::Error,
    },
    /// The API server did not answer `/version` (Helm's text).
    #[error("Kubernetes cluster unreachable: {cause}")]
    Unreachable {
        /// Why: refused connection, timeout, TLS failure, 401, …
        cause: String,
    },
    /// Listing the served API groups or resources failed.
    #[error("unable to retrieve the list of server APIs: {}", describe(.source))]
    Discovery {
        /// What kube-rs reported.
        #[source]
        source: ::kube::Error,
    },
    /// A manifest document is not valid YAML or not a Kubernetes object.
    #[error("error parsing manifest document {index}: {reason}")]
    Manifest {
        /// 1-based position of the document among those given.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Objects whose kind the server does not know; shown as Helm (k8s aggregate errors) does.
    #[error("{}", aggregate(.0))]
    UnknownKinds(Vec<UnknownKind>),
    /// An object exists in the cluster but does not belong to this release (Helm's text).
    #[error(
        "unable to continue with {operation}: {resource} exists and cannot be imported into the current release: {reason}"
    )]
    Ownership {
        /// `install` or `update`, as in Helm's message.
        operation: &'static str,
        /// `Kind "name" in namespace "ns"`.
        resource: String,
        /// `invalid ownership metadata; …`.
        reason: String,
    },
    /// Server-side apply found fields owned by another field manager (Helm 4's text; see
    /// [`Error::hint`] for the advice).
    #[error("conflict occurred while applying object {object}: {message}")]
    Conflict {
        /// `namespace/name group/version, Kind=Kind`, as Helm names it.
        object: String,
        /// The server's message; it names the other manager and each field.
        message: String,
    },
    /// The API server refused a request (403); its message names the verb and the resource.
    #[error("{message}")]
    Forbidden {
        /// The server's message, verbatim.
        message: String,
    },
    /// Any other failed request about one object.
    #[error("failed to {verb} {resource}: {}", describe(.source))]
    Request {
        /// What we tried: `get`, `apply`, `create`, `patch`, `delete`, `list`, `watch`.
        verb: &'static str,
        /// `Kind "name" in namespace "ns"`.
        resource: String,
        /// What kube-rs reported (for API errors, the server's status).
        #[source]
        source: ::kube::Error,
    },
    /// `lookup` of a group/version the server does not serve.
    #[error("lookup: the server does not serve {api_version:?} (kind {kind:?})")]
    Lookup {
        /// The `apiVersion` asked for.
        api_version: String,
        /// The kind asked for.
        kind: String,
    },
    /// An object reached a state it cannot become ready from (a failed Job, …).
    #[error("{resource} failed: {reason}")]
    Failed {
        /// `Kind "name" in namespace "ns"`.
        resource: String,
        /// Why, from its status.
        reason: String,
    },
    /// Waiting ran out of time; one line per object still not ready, then Go's
    /// `context deadline exceeded`, as Helm 4's waiter reports it.
    #[error("{}context deadline exceeded", .pending.iter().map(|p| format!("{p}\n")).collect::<String>())]
    Timeout {
        /// `resource Kind/namespace/name not ready. status: InProgress, message: …` for each.
        pending: Vec<String>,
    },
}

/// The server's message for API errors (kube-rs's Display adds a debug dump of the status),
/// else the error and its causes.
pub(crate) fn describe(err: &::kube::Error) -> String {
    if let ::kube::Error::Api(status) = err {
        return status.message.clone();
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    // rustls appends a link to its manual to a dropped connection: not for our users.
    if let Some(link) = text.find(": https://docs.rs/") {
        text.truncate(link);
    }
    text
}

fn aggregate(kinds: &[UnknownKind]) -> String {
    match kinds {
        [one] => one.to_string(),
        many => {
            let parts: Vec<String> = many.iter().map(ToString::to_string).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

impl Error {
    /// What the user can do about this error, for the CLI's `hint:` line; `None` when there
    /// is nothing specific to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Conflict { .. } => Some(
                "another field manager owns these fields; re-run with --force-conflicts to take them over",
            ),
            Error::Ownership { .. } => {
                Some("adopt the existing object with --take-ownership, or delete it first")
            }
            Error::UnknownKinds(_) => Some(
                "install the CustomResourceDefinitions first (a chart's crds/ directory), or check the apiVersion",
            ),
            Error::Unreachable { .. } => {
                Some("check --kubeconfig, --kube-context and that the API server is running")
            }
            _ => None,
        }
    }

    /// Wraps a failed request about `resource`, keeping 403 messages verbatim.
    pub(crate) fn request(verb: &'static str, resource: String, source: ::kube::Error) -> Self {
        if let ::kube::Error::Api(status) = &source
            && status.code == 403
        {
            return Error::Forbidden {
                message: status.message.clone(),
            };
        }
        Error::Request {
            verb,
            resource,
            source,
        }
    }
}

/// The HTTP status code of a kube-rs error, when the server answered with one.
pub(crate) fn status_code(err: &::kube::Error) -> Option<u16> {
    match err {
        ::kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// The server's message of a kube-rs error, when the server answered with one.
pub(crate) fn status_message(err: &::kube::Error) -> Option<&str> {
    match err {
        ::kube::Error::Api(status) => Some(status.message.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(name: &str) -> UnknownKind {
        UnknownKind {
            name: name.into(),
            namespace: "ns".into(),
            api_version: "example.com/v1".into(),
            kind: "Widget".into(),
        }
    }

    #[test]
    fn one_unknown_kind_reads_like_helm() {
        let err = Error::UnknownKinds(vec![unknown("w")]);
        assert_eq!(
            err.to_string(),
            "resource mapping not found for name: \"w\" namespace: \"ns\" from \"\": no matches for kind \"Widget\" in version \"example.com/v1\"\nensure CRDs are installed first"
        );
    }

    #[test]
    fn several_unknown_kinds_are_bracketed_and_comma_separated() {
        let err = Error::UnknownKinds(vec![unknown("a"), unknown("b")]);
        let text = err.to_string();
        assert!(text.starts_with("[resource mapping not found for name: \"a\""));
        assert!(text.contains("first, resource mapping not found for name: \"b\""));
        assert!(text.ends_with("installed first]"));
    }

    #[test]
    fn forbidden_keeps_the_server_message() {
        let status = ::kube::core::Status::failure(
            "configmaps is forbidden: User \"u\" cannot create resource",
            "Forbidden",
        )
        .with_code(403);
        let err = Error::request(
            "apply",
            "ConfigMap \"c\" in namespace \"n\"".into(),
            ::kube::Error::Api(status.boxed()),
        );
        assert_eq!(
            err.to_string(),
            "configmaps is forbidden: User \"u\" cannot create resource"
        );
    }

    #[test]
    fn other_api_errors_show_only_the_server_message() {
        let status =
            ::kube::core::Status::failure("admission webhook denied it", "Invalid").with_code(422);
        let err = Error::request(
            "apply",
            "ConfigMap \"c\" in namespace \"n\"".into(),
            ::kube::Error::Api(status.boxed()),
        );
        assert_eq!(
            err.to_string(),
            "failed to apply ConfigMap \"c\" in namespace \"n\": admission webhook denied it"
        );
    }

    #[test]
    fn a_timeout_lists_each_pending_object_then_the_deadline() {
        let err = Error::Timeout {
            pending: vec![
                "resource Job/ns/a not ready. status: InProgress, message: 0 of 1 completions"
                    .into(),
            ],
        };
        assert_eq!(
            err.to_string(),
            "resource Job/ns/a not ready. status: InProgress, message: 0 of 1 completions\ncontext deadline exceeded"
        );
    }

    #[test]
    fn an_apply_conflict_reads_like_helm_4_and_hints_at_force_conflicts() {
        let err = Error::Conflict {
            object: "ns/c /v1, Kind=ConfigMap".into(),
            message: "Apply failed with 1 conflict: conflict with \"other\" using v1: .data.k"
                .into(),
        };
        assert_eq!(
            err.to_string(),
            "conflict occurred while applying object ns/c /v1, Kind=ConfigMap: Apply failed with 1 conflict: conflict with \"other\" using v1: .data.k"
        );
        assert!(err.hint().unwrap().contains("--force-conflicts"));
    }
}
