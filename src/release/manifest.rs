//! Turning rendered templates into a release: split files into YAML documents, separate
//! hooks, sort the rest in Helm's install order and frame them as Helm's manifest string.
//!
//! Helm counterpart: `pkg/release/v1/util` (`manifest.go` for the splitter,
//! `manifest_sorter.go` for hooks, `kind_sorter.go` for the orders) and the framing in
//! `pkg/action/action.go` (`renderResources`) and `pkg/cmd/template.go`. Quirks kept on
//! purpose, because Helm's output depends on them: the splitter's regex (a document whose
//! separator lost its newline keeps a leading `---`), files visited in byte order of their
//! path, a document with an unknown hook event dropped entirely, comment-only documents kept.
//! This module does not render templates nor talk to the cluster.
use std::collections::BTreeMap;

use serde::Deserialize;

use super::hook::{
    HOOK_ANNOTATION, HOOK_DELETE_ANNOTATION, HOOK_OUTPUT_LOG_ANNOTATION, HOOK_WEIGHT_ANNOTATION,
    Hook, HookDeletePolicy, HookEvent, HookOutputLogPolicy,
};

mod block_yaml;

/// Suffix of the rendered notes files, which are never part of a manifest.
pub const NOTES_SUFFIX: &str = "NOTES.txt";

/// Kinds in the order Helm installs them; unknown kinds go last, alphabetically.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Kinds in the order Helm uninstalls them (webhooks first, so they cannot block removal).
pub const UNINSTALL_ORDER: &[&str] = &[
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "Ingress",
    "IngressClass",
    "Service",
    "CronJob",
    "Job",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "Deployment",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "DaemonSet",
    "RoleBindingList",
    "RoleBinding",
    "RoleList",
    "Role",
    "ClusterRoleBindingList",
    "ClusterRoleBinding",
    "ClusterRoleList",
    "ClusterRole",
    "CustomResourceDefinition",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "ConfigMap",
    "SecretList",
    "Secret",
    "ServiceAccount",
    "PodDisruptionBudget",
    "PodSecurityPolicy",
    "LimitRange",
    "ResourceQuota",
    "NetworkPolicy",
    "Namespace",
    "PriorityClass",
];

/// Which kind order to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindOrder {
    /// [`INSTALL_ORDER`].
    Install,
    /// [`UNINSTALL_ORDER`].
    Uninstall,
}

impl KindOrder {
    fn kinds(self) -> &'static [&'static str] {
        match self {
            KindOrder::Install => INSTALL_ORDER,
            KindOrder::Uninstall => UNINSTALL_ORDER,
        }
    }

    /// Compares two kinds: listed kinds by position, unlisted ones after them, alphabetically.
    pub fn compare(self, a: &str, b: &str) -> std::cmp::Ordering {
        let kinds = self.kinds();
        let rank = |kind: &str| kinds.iter().position(|k| *k == kind);
        match (rank(a), rank(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.cmp(b),
        }
    }
}

/// Errors building a manifest.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rendered document is not valid YAML, or its head has the wrong shape (Helm's text).
    #[error("YAML parse error on {path}: {message}")]
    YamlParse {
        /// Template path (`chart/templates/x.yaml`).
        path: String,
        /// The parser's complaint.
        message: String,
    },
}

/// One non-hook YAML document of a release, with the fields needed to apply or delete it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Template path the document came from (`chart/templates/svc.yaml`).
    pub path: String,
    /// The YAML text, as framed in the manifest.
    pub content: String,
    /// `apiVersion` (empty if absent).
    pub api_version: String,
    /// `kind` (empty if absent).
    pub kind: String,
    /// `metadata.name` (empty if absent).
    pub name: String,
    /// `metadata.namespace`, if the document sets one.
    pub namespace: Option<String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
}

/// A document whose `helm.sh/hook` annotation names an unknown event; Helm drops it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedHook {
    /// Template path.
    pub path: String,
    /// `metadata.name`.
    pub name: String,
    /// The annotation's value.
    pub hook_types: String,
}

/// Rendered templates split into hooks and sorted documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SortedManifests {
    /// Hooks, sorted by kind (Helm stores them in this order).
    pub hooks: Vec<Hook>,
    /// Non-hook documents, sorted by kind, stable within a kind.
    pub documents: Vec<Document>,
    /// Documents dropped because of unknown hook events (a warning for the user).
    pub skipped_hooks: Vec<SkippedHook>,
}

impl SortedManifests {
    /// The release manifest: `---\n# Source: <path>\n<doc>\n` for each document.
    pub fn manifest(&self) -> String {
        frame_documents(&self.documents)
    }
}

/// Frames documents as Helm's manifest string.
pub fn frame_documents(documents: &[Document]) -> String {
    let framed_len = |d: &Document| "---\n# Source: \n\n".len() + d.path.len() + d.content.len();
    let mut out = String::with_capacity(documents.iter().map(framed_len).sum());
    for doc in documents {
        push_block(&mut out, &doc.path, &doc.content);
    }
    out
}

/// A document framed as in Helm's manifest string and `helm template`'s output:
/// `---\n# Source: <path>\n<content>\n`, in pieces.
pub fn framed<'a>(path: &'a str, content: &'a str) -> [&'a str; 5] {
    ["---\n# Source: ", path, "\n", content, "\n"]
}

fn push_block(out: &mut String, path: &str, content: &str) {
    framed(path, content)
        .iter()
        .for_each(|piece| out.push_str(piece));
}

/// Splits at each `---` that starts a line (Helm's `(?m)^---`). Helm 4.3 leaves the
/// preceding document's trailing newlines intact (real Helm 4.3 stores `a: 1\n` + framing
/// `\n` for `a: 1\n---\nb: 2`, so each such document is followed by a blank line in the
/// manifest), and for v1/v2 charts still accepts a separator glued to the next line
/// (`---apiVersion: v1`).
fn split_at_separators(text: &str) -> Vec<&str> {
    const SEPARATOR: &str = "---";
    // The lines starting with `---`: the first line, and every line after a `\n---` (one
    // search for that, rather than a look at every line). Matches cannot overlap: the
    // next one starts at the newline ending this separator's line at the earliest.
    let separator_lines = (text.starts_with(SEPARATOR).then_some(0))
        .into_iter()
        .chain(memchr::memmem::find_iter(text.as_bytes(), b"\n---").map(|newline| newline + 1));
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    for line_start in separator_lines {
        pieces.push(&text[piece_start..line_start]);
        piece_start = line_start + SEPARATOR.len();
    }
    pieces.push(&text[piece_start..]);
    pieces
}

/// Splits a YAML stream into documents as Helm 4.3's `SplitManifests` does: whitespace-only
/// pieces dropped, each piece left-trimmed, trailing whitespace kept.
pub fn split_manifests(text: &str) -> Vec<&str> {
    split_at_separators(text.trim_start())
        .into_iter()
        .filter(|piece| !piece.trim().is_empty())
        .map(str::trim_start)
        .collect()
}

/// The head of a document, as Helm's `SimpleHead` reads it. Fields are read as YAML values
/// and checked, because Helm refuses a non-string where it wants a string.
#[derive(Debug, Default, Deserialize)]
struct Head {
    #[serde(rename = "apiVersion", default)]
    api_version: serde_yaml::Value,
    #[serde(default)]
    kind: serde_yaml::Value,
    #[serde(default)]
    metadata: Option<HeadMetadata>,
}

#[derive(Debug, Default, Deserialize)]
struct HeadMetadata {
    #[serde(default)]
    name: serde_yaml::Value,
    #[serde(default)]
    namespace: serde_yaml::Value,
    #[serde(default)]
    annotations: Option<BTreeMap<String, serde_yaml::Value>>,
}

/// A string field of the head: null reads as empty, other non-strings are refused.
fn head_string(path: &str, field: &str, value: serde_yaml::Value) -> Result<String, Error> {
    match value {
        serde_yaml::Value::Null => Ok(String::new()),
        serde_yaml::Value::String(text) => Ok(text),
        other => Err(Error::YamlParse {
            path: path.to_string(),
            message: format!(
                "cannot unmarshal {} into field {field} of type string",
                yaml_type(&other)
            ),
        }),
    }
}

fn yaml_type(value: &serde_yaml::Value) -> &'static str {
    match value {
        serde_yaml::Value::Null => "null",
        serde_yaml::Value::Bool(_) => "bool",
        serde_yaml::Value::Number(_) => "number",
        serde_yaml::Value::String(_) => "string",
        serde_yaml::Value::Sequence(_) => "array",
        serde_yaml::Value::Mapping(_) => "object",
        serde_yaml::Value::Tagged(_) => "tagged value",
    }
}

/// The head of a document: from its `apiVersion`, `kind` and `metadata` entries alone when
/// [`block_yaml::head_text`] vouches for the rest (several times faster than parsing it
/// all), else from the whole document, which also gives the error for invalid YAML.
fn parse_head(path: &str, content: &str) -> Result<Option<Head>, Error> {
    if let Some(head_text) = block_yaml::head_text(content)
        && let Ok(head) = serde_yaml::from_str(&head_text)
    {
        return Ok(head);
    }
    serde_yaml::from_str(content).or_else(|source| {
        // Helm reads the head through go-yaml and JSON, where a repeated key keeps its last
        // value (serde refuses the duplicate): use the same reading. Its error is Helm's
        // text for a syntax error; serde's text stays for any other refusal.
        let message = match crate::values::parse_document(content) {
            Err(e) => format!("error converting YAML to JSON: {e}"),
            Ok(json) => match serde_json::from_value(json) {
                Ok(head) => return Ok(head),
                Err(_) => source.to_string(),
            },
        };
        Err(Error::YamlParse {
            path: path.to_string(),
            message,
        })
    })
}

fn parse_document(path: &str, content: &str) -> Result<Document, Error> {
    let head = parse_head(path, content)?;
    let head = head.unwrap_or_default();
    let metadata = head.metadata.unwrap_or_default();
    let mut annotations = BTreeMap::new();
    for (key, value) in metadata.annotations.unwrap_or_default() {
        let field = format!("metadata.annotations.{key}");
        let value = head_string(path, &field, value)?;
        annotations.insert(key, value);
    }
    Ok(Document {
        path: path.to_string(),
        content: content.to_string(),
        api_version: head_string(path, "apiVersion", head.api_version)?,
        kind: head_string(path, "kind", head.kind)?,
        name: head_string(path, "metadata.name", metadata.name)?,
        namespace: metadata
            .namespace
            .as_str()
            .filter(|ns| !ns.is_empty())
            .map(str::to_string),
        annotations,
    })
}

/// Comma-separated annotation entries, trimmed and lower-cased as Helm reads them.
fn annotation_list(document: &Document, key: &str) -> Vec<String> {
    match document.annotations.get(key) {
        Some(value) => value.split(',').map(|v| v.trim().to_lowercase()).collect(),
        None => Vec::new(),
    }
}

fn into_hook(document: Document, hook_types: &str) -> Result<Hook, SkippedHook> {
    let mut events = Vec::new();
    for entry in hook_types.split(',') {
        match HookEvent::from_annotation(&entry.trim().to_lowercase()) {
            Some(event) => events.push(event),
            None => {
                return Err(SkippedHook {
                    path: document.path,
                    name: document.name,
                    hook_types: hook_types.to_string(),
                });
            }
        }
    }
    let weight = document
        .annotations
        .get(HOOK_WEIGHT_ANNOTATION)
        .and_then(|w| w.parse::<i64>().ok())
        .unwrap_or(0);
    let delete_policies = annotation_list(&document, HOOK_DELETE_ANNOTATION)
        .into_iter()
        .map(HookDeletePolicy::from)
        .collect();
    let output_log_policies = annotation_list(&document, HOOK_OUTPUT_LOG_ANNOTATION)
        .into_iter()
        .map(HookOutputLogPolicy::from)
        .collect();
    Ok(Hook {
        name: document.name,
        kind: document.kind,
        path: document.path,
        manifest: document.content,
        events,
        weight,
        delete_policies,
        output_log_policies,
        ..Hook::default()
    })
}

/// Whether a rendered file is a notes file (excluded from manifests).
pub fn is_notes(path: &str) -> bool {
    path.ends_with(NOTES_SUFFIX)
}

/// Splits rendered templates (`{path: text}`, as the engine returns them) into hooks and
/// documents sorted by `order`. Notes files, partials (`_` basenames) and blank files are
/// skipped. A document that is not YAML fails with Helm's `YAML parse error on <path>`.
pub fn sort_manifests(
    files: &BTreeMap<String, String>,
    order: KindOrder,
) -> Result<SortedManifests, Error> {
    let parsed = files
        .iter()
        .filter_map(|(path, text)| Some((path.clone(), parse_file(path, text)?)))
        .collect();
    sort_parsed(parsed, order)
}

/// The documents of one rendered file, parsed: the part of [`sort_manifests`] that can
/// run while other templates still render. `None` for a file that is not part of a
/// manifest (notes, a partial, blank); the first document that is not YAML is the error.
pub fn parse_file(path: &str, text: &str) -> Option<Result<Vec<Document>, Error>> {
    let base = path.rsplit('/').next().unwrap_or(path);
    if is_notes(path) || base.starts_with('_') || text.trim().is_empty() {
        return None;
    }
    Some(
        split_manifests(text)
            .into_iter()
            .map(|content| parse_document(path, content))
            .collect(),
    )
}

/// [`sort_manifests`] of files already parsed by [`parse_file`], keyed by path: the
/// first failure in path order is the error, as if the files were parsed in that order.
pub fn sort_parsed(
    parsed: BTreeMap<String, Result<Vec<Document>, Error>>,
    order: KindOrder,
) -> Result<SortedManifests, Error> {
    let mut sorted = SortedManifests::default();
    // BTreeMap iterates in byte order of the path, which is Go's sort.Strings.
    for documents in parsed.into_values() {
        for document in documents? {
            let hook_types = document.annotations.get(HOOK_ANNOTATION).cloned();
            match hook_types {
                None => sorted.documents.push(document),
                Some(types) => match into_hook(document, &types) {
                    Ok(hook) => sorted.hooks.push(hook),
                    Err(skipped) => sorted.skipped_hooks.push(skipped),
                },
            }
        }
    }
    sort_documents(&mut sorted.documents, order);
    sorted.hooks.sort_by(|a, b| order.compare(&a.kind, &b.kind));
    Ok(sorted)
}

/// Sorts documents by kind in `order`, keeping the relative order of equal kinds.
pub fn sort_documents(documents: &mut [Document], order: KindOrder) {
    documents.sort_by(|a, b| order.compare(&a.kind, &b.kind));
}

/// Reads the documents back from a stored manifest (`---\n# Source: <path>\n…` blocks),
/// in the stored order; sort them with [`sort_documents`] (uninstall uses
/// [`KindOrder::Uninstall`]). The `# Source:` line becomes `path` and leaves `content`.
pub fn documents_from_manifest(manifest: &str) -> Result<Vec<Document>, Error> {
    split_manifests(manifest)
        .into_iter()
        .map(|piece| {
            let (path, content) = match piece.strip_prefix("# Source: ") {
                Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
                None => ("", piece),
            };
            // Framing added one newline after each document; give the document back as rendered.
            let content = content.strip_suffix('\n').unwrap_or(content);
            parse_document(path, content)
        })
        .collect()
}

/// The release notes from rendered files: the root chart's `templates/NOTES.txt`, plus
/// subcharts' notes if `include_subcharts`, shallowest chart first then by path, joined by
/// a newline (or each framed with `---\n# Source: <path>\n` if `with_source`, as dry runs do).
pub fn collect_notes(
    files: &BTreeMap<String, String>,
    chart_name: &str,
    include_subcharts: bool,
    with_source: bool,
) -> String {
    let root_notes = format!("{chart_name}/templates/{NOTES_SUFFIX}");
    let mut paths: Vec<&String> = files
        .keys()
        .filter(|path| is_notes(path) && (include_subcharts || **path == root_notes))
        .collect();
    paths.sort_by_key(|path| (path.matches("/charts/").count(), path.as_str()));
    let mut notes = String::new();
    for path in paths {
        let text = files.get(path).map(String::as_str).unwrap_or_default();
        if with_source {
            notes.push_str("---\n# Source: ");
            notes.push_str(path);
            notes.push('\n');
        } else if !notes.is_empty() {
            notes.push('\n');
        }
        notes.push_str(text);
    }
    notes
}

#[cfg(test)]
mod tests {
    use crate::test_support::shared_dir;

    use super::*;

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn kinds(sorted: &SortedManifests) -> Vec<&str> {
        sorted.documents.iter().map(|d| d.kind.as_str()).collect()
    }

    #[test]
    fn splitter_drops_leading_whitespace_and_empty_documents() {
        let docs = split_manifests("\n\n---\na: 1\n---\nb: 2\n---\n");
        assert_eq!(docs, ["a: 1\n", "b: 2\n"]);
    }

    #[test]
    fn splitter_repairs_a_separator_glued_to_the_next_line() {
        assert_eq!(split_manifests("a: 1\n---b: 2"), ["a: 1\n", "b: 2"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn separators_split_where_helms_line_start_pattern_matches(
            text in "(-{0,4}[a \n]{0,3}|\n---|---\n){0,12}"
        ) {
            let helm = regex::Regex::new(r"(?m)^---").unwrap();
            let want: Vec<&str> = helm.split(&text).collect();
            proptest::prop_assert_eq!(split_at_separators(&text), want);
        }
    }

    #[test]
    fn splitter_drops_a_whitespace_only_document_between_separators() {
        assert_eq!(
            split_manifests("a: 1\n---\n  \n---\nb: 2"),
            ["a: 1\n", "b: 2"]
        );
    }

    #[test]
    fn documents_sort_in_install_order_then_unknown_kinds_alphabetically() {
        let sorted = sort_manifests(
            &files(&[
                (
                    "c/templates/a.yaml",
                    "kind: Zebra\n---\nkind: Deployment\n---\nkind: Apple",
                ),
                (
                    "c/templates/b.yaml",
                    "kind: Service\n---\nkind: Namespace\n---\nkind: Zebra",
                ),
            ]),
            KindOrder::Install,
        )
        .unwrap();
        assert_eq!(
            kinds(&sorted),
            [
                "Namespace",
                "Service",
                "Deployment",
                "Apple",
                "Zebra",
                "Zebra"
            ]
        );
        assert_eq!(sorted.documents[4].path, "c/templates/a.yaml");
        assert_eq!(sorted.documents[5].path, "c/templates/b.yaml");
    }

    #[test]
    fn uninstall_order_reverses_the_dependency_direction() {
        let sorted = sort_manifests(
            &files(&[(
                "c/templates/a.yaml",
                "kind: Namespace\n---\nkind: Service\n---\nkind: Deployment",
            )]),
            KindOrder::Uninstall,
        )
        .unwrap();
        assert_eq!(kinds(&sorted), ["Service", "Deployment", "Namespace"]);
    }

    #[test]
    fn notes_partials_and_blank_files_are_skipped() {
        let sorted = sort_manifests(
            &files(&[
                ("c/templates/NOTES.txt", "kind: ConfigMap"),
                ("c/templates/_helpers.tpl", "kind: ConfigMap"),
                ("c/templates/empty.yaml", " \n\n"),
                (
                    "c/templates/cm.yaml",
                    "kind: ConfigMap\nmetadata:\n  name: x\n",
                ),
            ]),
            KindOrder::Install,
        )
        .unwrap();
        assert_eq!(sorted.documents.len(), 1);
        assert_eq!(
            sorted.manifest(),
            "---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\nmetadata:\n  name: x\n\n"
        );
    }

    #[test]
    fn comment_only_documents_stay_in_the_manifest() {
        let sorted = sort_manifests(
            &files(&[("c/templates/pdb.yaml", "# disabled\n")]),
            KindOrder::Install,
        )
        .unwrap();
        assert_eq!(
            sorted.manifest(),
            "---\n# Source: c/templates/pdb.yaml\n# disabled\n\n"
        );
    }

    #[test]
    fn hook_annotations_become_hooks_with_events_weight_and_policies() {
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    \"helm.sh/hook\": \"pre-install, Post-Upgrade\"\n    \"helm.sh/hook-weight\": \"-5\"\n    \"helm.sh/hook-delete-policy\": before-hook-creation,hook-succeeded\n";
        let sorted =
            sort_manifests(&files(&[("c/templates/job.yaml", job)]), KindOrder::Install).unwrap();
        assert!(sorted.documents.is_empty());
        let hook = &sorted.hooks[0];
        assert_eq!(hook.name, "migrate");
        assert_eq!(hook.kind, "Job");
        assert_eq!(hook.path, "c/templates/job.yaml");
        assert_eq!(hook.manifest, job);
        assert_eq!(hook.events, [HookEvent::PreInstall, HookEvent::PostUpgrade]);
        assert_eq!(hook.weight, -5);
        assert_eq!(
            hook.delete_policies,
            [
                HookDeletePolicy::BeforeHookCreation,
                HookDeletePolicy::HookSucceeded
            ]
        );
    }

    #[test]
    fn bad_hook_weight_counts_as_zero() {
        let doc = "kind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n    helm.sh/hook-weight: \"heavy\"\n";
        let sorted =
            sort_manifests(&files(&[("c/templates/t.yaml", doc)]), KindOrder::Install).unwrap();
        assert_eq!(sorted.hooks[0].weight, 0);
    }

    #[test]
    fn unknown_hook_event_drops_the_document_and_reports_it() {
        let doc = "kind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: pre-install,on-tuesday\n";
        let sorted =
            sort_manifests(&files(&[("c/templates/t.yaml", doc)]), KindOrder::Install).unwrap();
        assert!(sorted.hooks.is_empty());
        assert!(sorted.documents.is_empty());
        assert_eq!(sorted.skipped_hooks[0].hook_types, "pre-install,on-tuesday");
    }

    #[test]
    fn invalid_yaml_names_the_template() {
        let err = sort_manifests(
            &files(&[("c/templates/bad.yaml", "kind: Pod\n  metadata: : [\n")]),
            KindOrder::Install,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("YAML parse error on c/templates/bad.yaml: "),
            "{err}"
        );
    }

    /// Each input and the message real Helm 4.3 printed for it (install of a one-template chart).
    #[test]
    fn yaml_syntax_errors_read_as_helms() {
        let cases = [
            (
                "kind: Pod\nmetadata:\n  name: a\n  labels: x: y\n",
                "yaml: line 4: mapping values are not allowed in this context",
            ),
            (
                "kind: Pod: x\n",
                "yaml: mapping values are not allowed in this context",
            ),
            (
                "kind: Pod\nmetadata:\n  name: [a, b\n",
                "yaml: line 3: did not find expected ',' or ']'",
            ),
            (
                "kind: Pod\nmetadata:\n\tname: a\n",
                "yaml: line 3: found character that cannot start any token",
            ),
            (
                "kind: \"Pod\n",
                "yaml: line 2: found unexpected end of stream",
            ),
        ];
        for (doc, want) in cases {
            let err = sort_manifests(&files(&[("c/templates/a.yaml", doc)]), KindOrder::Install)
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "YAML parse error on c/templates/a.yaml: error converting YAML to JSON: {want}"
                ),
                "{doc:?}"
            );
        }
    }

    #[test]
    fn a_large_document_is_read_quickly_but_still_refused_when_it_is_not_yaml() {
        let properties: String = (0..400)
            .map(|i| {
                format!(
                    "        field{i}:\n          description: Field {i}.\n          type: string\n"
                )
            })
            .collect();
        let crd = format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: big.example.com\n  annotations:\n    helm.sh/resource-policy: keep\nspec:\n  schema:\n    properties:\n{properties}"
        );
        let sorted = sort_manifests(
            &files(&[("c/templates/crd.yaml", &crd)]),
            KindOrder::Install,
        )
        .unwrap();
        let d = &sorted.documents[0];
        assert_eq!(
            (d.kind.as_str(), d.name.as_str()),
            ("CustomResourceDefinition", "big.example.com")
        );
        assert_eq!(d.annotations["helm.sh/resource-policy"], "keep");

        let broken = format!("{crd}        bad: [unclosed\n");
        let err = sort_manifests(
            &files(&[("c/templates/crd.yaml", &broken)]),
            KindOrder::Install,
        )
        .unwrap_err();
        // The same error a full parse gives, in go-yaml's words as Helm prints it.
        let full = crate::values::parse_document(&broken).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "YAML parse error on c/templates/crd.yaml: error converting YAML to JSON: {full}"
            )
        );
        assert!(err.to_string().contains("yaml: line "), "{err}");
        // A repeated head key leaves the quick path; the full reading keeps the last value.
        let duplicate = format!("{crd}kind: Other\n");
        let sorted = sort_manifests(
            &files(&[("c/templates/crd.yaml", &duplicate)]),
            KindOrder::Install,
        )
        .unwrap();
        assert_eq!(sorted.documents[0].kind, "Other");
    }

    #[test]
    fn non_string_annotation_is_a_parse_error_as_in_helm() {
        let doc = "kind: Pod\nmetadata:\n  annotations:\n    helm.sh/hook-weight: 5\n";
        assert!(
            sort_manifests(&files(&[("c/templates/p.yaml", doc)]), KindOrder::Install).is_err()
        );
    }

    #[test]
    fn documents_expose_identity_for_applying() {
        let doc =
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n";
        let sorted =
            sort_manifests(&files(&[("c/templates/d.yaml", doc)]), KindOrder::Install).unwrap();
        let d = &sorted.documents[0];
        assert_eq!(
            (d.api_version.as_str(), d.kind.as_str(), d.name.as_str()),
            ("apps/v1", "Deployment", "web")
        );
        assert_eq!(d.namespace.as_deref(), Some("prod"));
    }

    #[test]
    fn stored_manifest_reads_back_with_paths() {
        let manifest = "---\n# Source: c/templates/svc.yaml\nkind: Service\nmetadata:\n  name: s\n---\n# Source: c/templates/ns.yaml\nkind: Namespace\nmetadata:\n  name: d\n\n";
        let mut docs = documents_from_manifest(manifest).unwrap();
        assert_eq!(docs[0].path, "c/templates/svc.yaml");
        assert_eq!(docs[0].content, "kind: Service\nmetadata:\n  name: s");
        sort_documents(&mut docs, KindOrder::Install);
        assert_eq!(docs[0].kind, "Namespace");
        assert_eq!(
            frame_documents(&docs[1..]),
            "---\n# Source: c/templates/svc.yaml\nkind: Service\nmetadata:\n  name: s\n"
        );
    }

    #[test]
    fn notes_take_root_chart_only_unless_subcharts_requested() {
        let rendered = files(&[
            ("app/templates/NOTES.txt", "root"),
            ("app/charts/db/templates/NOTES.txt", "db"),
            ("app/charts/a/charts/x/templates/NOTES.txt", "x"),
            ("app/charts/z/templates/NOTES.txt", "z"),
        ]);
        assert_eq!(collect_notes(&rendered, "app", false, false), "root");
        assert_eq!(
            collect_notes(&rendered, "app", true, false),
            "root\ndb\nz\nx"
        );
        assert_eq!(
            collect_notes(&rendered, "app", false, true),
            "---\n# Source: app/templates/NOTES.txt\nroot"
        );
    }

    /// Rebuilds each template's rendered text from a Helm manifest plus the hooks of
    /// release.json: a file's documents joined by `\n---\n`, the one that ended its file
    /// (trailing newline) placed last. `None` if two documents of a file both end it.
    fn reconstruct_files(
        manifest: &str,
        hooks: &[serde_json::Value],
    ) -> Option<BTreeMap<String, String>> {
        let mut docs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let marker = "---\n# Source: ";
        for block in manifest.split(marker).skip(1) {
            let (path, rest) = block.split_once('\n')?;
            let content = rest.strip_suffix('\n')?;
            docs.entry(path.to_string())
                .or_default()
                .push(content.to_string());
        }
        for hook in hooks {
            let path = hook["path"].as_str()?;
            let content = hook["manifest"].as_str()?;
            docs.entry(path.to_string())
                .or_default()
                .push(content.to_string());
        }
        let mut out = BTreeMap::new();
        for (path, mut list) in docs {
            let enders = list.iter().filter(|d| d.ends_with('\n')).count();
            if enders > 1 {
                return None;
            }
            list.sort_by_key(|d| d.ends_with('\n'));
            out.insert(path, list.join("\n---\n"));
        }
        Some(out)
    }

    #[test]
    fn conformance_manifests_and_hooks_are_reproduced_from_their_templates() {
        let root = shared_dir().join("conformance");
        let mut checked = 0;
        let mut cases: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("expected/manifest.yaml").is_file())
            .collect();
        cases.sort();
        for case in cases {
            let expected = std::fs::read_to_string(case.join("expected/manifest.yaml")).unwrap();
            let release: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(case.join("expected/release.json")).unwrap(),
            )
            .unwrap();
            let hooks = release["hooks"].as_array().cloned().unwrap_or_default();
            let Some(mut rendered) = reconstruct_files(&expected, &hooks) else {
                continue;
            };
            // Notes and partials in the input must not disturb the output.
            rendered.insert("zz/templates/NOTES.txt".into(), "kind: Secret".into());
            let sorted = sort_manifests(&rendered, KindOrder::Install).unwrap();
            assert_eq!(
                sorted.manifest(),
                expected,
                "manifest of {}",
                case.display()
            );
            let got: Vec<(String, String, String, String, i64)> = sorted
                .hooks
                .iter()
                .map(|h| {
                    (
                        h.name.clone(),
                        h.kind.clone(),
                        h.path.clone(),
                        h.manifest.clone(),
                        h.weight,
                    )
                })
                .collect();
            let want: Vec<(String, String, String, String, i64)> = hooks
                .iter()
                .map(|h| {
                    (
                        h["name"].as_str().unwrap().to_string(),
                        h["kind"].as_str().unwrap().to_string(),
                        h["path"].as_str().unwrap().to_string(),
                        h["manifest"].as_str().unwrap().to_string(),
                        h["weight"].as_i64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(got, want, "hooks of {}", case.display());
            for (hook, json) in sorted.hooks.iter().zip(&hooks) {
                let events = serde_json::to_value(&hook.events).unwrap();
                let policies = serde_json::to_value(&hook.delete_policies).unwrap();
                assert_eq!(events, json["events"], "events of {}", hook.name);
                assert_eq!(
                    policies, json["delete_policies"],
                    "policies of {}",
                    hook.name
                );
            }
            checked += 1;
        }
        assert!(
            checked >= 10,
            "only {checked} conformance cases could be reconstructed"
        );
    }

    #[test]
    fn a_repeated_head_key_keeps_its_last_value_as_in_helm() {
        // Real Helm 4.3 installed these as a ConfigMap named `second`.
        let doc = "apiVersion: v1\nkind: Secret\nkind: ConfigMap\nmetadata:\n  name: first\n  name: second\ndata:\n  x: \"1\"\n";
        let parsed = parse_document("c/templates/t.yaml", doc).unwrap();
        assert_eq!(
            (parsed.kind.as_str(), parsed.name.as_str()),
            ("ConfigMap", "second")
        );
        let broken = "kind: ConfigMap\nmetadata:\n  name: [x\n";
        let err = parse_document("c/templates/t.yaml", broken).unwrap_err();
        assert!(
            err.to_string()
                .contains("error converting YAML to JSON: yaml: line"),
            "{err}"
        );
    }
}
