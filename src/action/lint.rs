//! `lint`: checks a chart for problems that break installs (errors) or conventions
//! (warnings), without a cluster.
//!
//! Helm counterpart: `pkg/action/lint.go` and `pkg/chart/v2/lint/rules` (`chartfile.go`,
//! `values.go`, `template.go`, `deprecations.go`, `dependencies.go`). Rules run in Helm's
//! order and speak Helm's words (`[ERROR] Chart.yaml: version is required`). Differences:
//! the engine has no lint mode, so `required`/`fail` stop the render as in `template`;
//! deprecated APIs come from a built-in table of the Kubernetes APIs removed so far.
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::chart::{Chart, Metadata};
use crate::engine::{Capabilities, ReleaseInfo, RenderOptions};

/// How serious a finding is; `--strict` fails on warnings too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A recommendation.
    Info,
    /// Breaks a convention or will break on newer clusters.
    Warning,
    /// Breaks install.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "INFO",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
        })
    }
}

/// One finding: `[SEVERITY] path: text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintMessage {
    /// Severity.
    pub severity: Severity,
    /// The file or folder it is about (`Chart.yaml`, `templates/x.yaml`).
    pub path: String,
    /// What is wrong.
    pub text: String,
}

impl fmt::Display for LintMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.severity, self.path, self.text)
    }
}

/// Options of [`lint`].
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// `--strict`: warnings fail the chart too.
    pub strict: bool,
    /// User values (`-f`, `--set`…), merged over the chart's defaults.
    pub values: Map<String, Value>,
    /// `.Release.Namespace` while rendering.
    pub namespace: String,
    /// `--kube-version` (default: `template`'s).
    pub kube_version: Option<String>,
}

/// The findings for one chart.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Findings, in rule order.
    pub messages: Vec<LintMessage>,
    /// Errors that stopped linting before any rule ran (no `Chart.yaml`).
    pub errors: Vec<String>,
    /// Whether the chart failed (an error, or a warning with `--strict`).
    pub failed: bool,
}

/// Lints the chart at `path` (a directory or a `.tgz`).
pub fn lint(path: &Path, options: &LintOptions) -> LintReport {
    let mut report = LintReport::default();
    let mut linter = Linter::default();
    if path.is_file() {
        // A packaged chart: lint what the loader makes of it.
        match crate::chart::load_chart(path) {
            Ok(chart) => {
                chartfile_rules(&mut linter, &metadata_map(&chart.metadata), None);
                values_rules(&mut linter, &chart, options);
                template_rules(&mut linter, Ok(chart.clone()), options);
                dependency_rules(&mut linter, &chart, &path.display().to_string());
            }
            Err(e) => report
                .errors
                .push(format!("unable to load chart {}: {e}", path.display())),
        }
    } else {
        let chart_yaml = path.join("Chart.yaml");
        if !chart_yaml.is_file() {
            report.errors.push(format!(
                "unable to check Chart.yaml file in chart: stat {}: no such file or directory",
                chart_yaml.display()
            ));
        } else {
            match std::fs::read_to_string(&chart_yaml)
                .map_err(|e| e.to_string())
                .and_then(|t| crate::values::parse_values(&t).map_err(|e| e.to_string()))
            {
                Ok(map) => chartfile_rules(&mut linter, &map, None),
                Err(e) => chartfile_rules(&mut linter, &Map::new(), Some(e)),
            }
            let loaded = crate::chart::load_dir(path);
            let values_file = path.join(VALUES_YAML);
            if let Ok(chart) = &loaded {
                values_rules(&mut linter, chart, options);
            } else if !values_file.is_file() {
                linter.add(Severity::Info, VALUES_YAML, "file does not exist");
            } else if let Err(e) = std::fs::read_to_string(&values_file)
                .map_err(|e| e.to_string())
                .and_then(|t| crate::values::parse_values(&t).map_err(|e| e.to_string()))
            {
                linter.add(
                    Severity::Error,
                    VALUES_YAML,
                    format!("unable to parse YAML: {e}"),
                );
            }
            if !path.join("templates").exists() {
                linter.add(Severity::Warning, "templates/", "directory does not exist");
            } else {
                template_rules(
                    &mut linter,
                    loaded.as_ref().cloned().map_err(|e| e.to_string()),
                    options,
                );
            }
            match &loaded {
                Ok(chart) => dependency_rules(&mut linter, chart, &path.display().to_string()),
                Err(e) => linter.add(Severity::Error, "", format!("unable to load chart\n\t{e}")),
            }
        }
    }
    let tolerance = if options.strict {
        Severity::Warning
    } else {
        Severity::Error
    };
    report.failed =
        !report.errors.is_empty() || linter.messages.iter().any(|m| m.severity >= tolerance);
    report.messages = linter.messages;
    report
}

#[derive(Default)]
struct Linter {
    messages: Vec<LintMessage>,
}

impl Linter {
    fn add(&mut self, severity: Severity, path: &str, text: impl Into<String>) {
        self.messages.push(LintMessage {
            severity,
            path: path.to_string(),
            text: text.into(),
        });
    }

    /// Records `result`'s error, if any; returns whether it passed (Helm's `RunLinterRule`).
    fn rule(&mut self, severity: Severity, path: &str, result: Result<(), String>) -> bool {
        match result {
            Ok(()) => true,
            Err(text) => {
                self.add(severity, path, text);
                false
            }
        }
    }
}

fn metadata_map(md: &Metadata) -> Map<String, Value> {
    match serde_json::to_value(md) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

const CHART_YAML: &str = "Chart.yaml";

fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn chartfile_rules(linter: &mut Linter, raw: &Map<String, Value>, parse_error: Option<String>) {
    if let Some(e) = parse_error {
        linter.add(
            Severity::Error,
            CHART_YAML,
            format!("unable to parse YAML\n\t{e}"),
        );
        return;
    }
    // Non-string scalars become strings for the model; their types are reported below.
    let mut coerced = raw.clone();
    for key in ["name", "version"] {
        coerced
            .entry(key)
            .or_insert_with(|| Value::String(String::new()));
    }
    for key in ["version", "appVersion"] {
        if let Some(v) = coerced.get_mut(key)
            && !v.is_string()
        {
            let text = match &*v {
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            *v = Value::String(text);
        }
    }
    let md: Metadata = match serde_json::from_value(Value::Object(coerced)) {
        Ok(md) => md,
        Err(e) => {
            linter.add(
                Severity::Error,
                CHART_YAML,
                format!("unable to parse YAML\n\t{e}"),
            );
            return;
        }
    };
    let err = Severity::Error;
    let name = if md.name.is_empty() {
        Err("name is required".to_string())
    } else if md.name.contains('/') || md.name.contains('\\') {
        Err(format!("chart name {:?} is invalid", md.name))
    } else {
        Ok(())
    };
    linter.rule(err, CHART_YAML, name);
    let api = match md.api_version.as_str() {
        "" => Err("apiVersion is required. The value must be either \"v1\" or \"v2\"".to_string()),
        "v1" | "v2" => Ok(()),
        other => Err(format!(
            "apiVersion '{other}' is not valid. The value must be either \"v1\" or \"v2\""
        )),
    };
    linter.rule(err, CHART_YAML, api);
    for key in ["version", "appVersion"] {
        if key == "appVersion" {
            let version = check_version(&md.version);
            linter.rule(err, CHART_YAML, version);
        }
        if let Some(v) = raw.get(key)
            && !v.is_string()
        {
            linter.add(
                err,
                CHART_YAML,
                format!(
                    "{key} should be of type string but it's of type {}",
                    go_type(v)
                ),
            );
        }
    }
    for m in &md.maintainers {
        let result = if m.name.is_empty() {
            Err("each maintainer requires a name".to_string())
        } else if !m.email.is_empty() && !is_email(&m.email) {
            Err(format!(
                "invalid email '{}' for maintainer '{}'",
                m.email, m.name
            ))
        } else if !m.url.is_empty() && !is_url(&m.url) {
            Err(format!(
                "invalid url '{}' for maintainer '{}'",
                m.url, m.name
            ))
        } else {
            Ok(())
        };
        if !linter.rule(err, CHART_YAML, result) {
            break;
        }
    }
    if let Some(bad) = md.sources.iter().find(|s| !is_url(s)) {
        linter.add(err, CHART_YAML, format!("invalid source URL '{bad}'"));
    }
    if md.icon.is_empty() {
        linter.add(Severity::Info, CHART_YAML, "icon is recommended");
    } else if !is_url(&md.icon) {
        linter.add(err, CHART_YAML, format!("invalid icon URL '{}'", md.icon));
    }
    if !md.chart_type.is_empty() && md.api_version != "v2" {
        linter.add(
            err,
            CHART_YAML,
            format!(
                "chart type is not valid in apiVersion '{}'. It is valid in apiVersion 'v2'",
                md.api_version
            ),
        );
    }
    if !md.dependencies.is_empty() && md.api_version != "v2" {
        linter.add(
            err,
            CHART_YAML,
            format!(
                "dependencies are not valid in the Chart file with apiVersion '{}'. They are valid in apiVersion 'v2'",
                md.api_version
            ),
        );
    }
    if semver::Version::parse(&md.version).is_err() {
        linter.add(
            Severity::Warning,
            CHART_YAML,
            format!("version '{}' is not a valid SemVerV2", md.version),
        );
    }
}

fn check_version(version: &str) -> Result<(), String> {
    if version.is_empty() {
        return Err("version is required".into());
    }
    if crate::chart::validate::parse_version(version).is_none() {
        return Err(format!("version '{version}' is not a valid SemVer"));
    }
    Ok(())
}

fn is_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
}

fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace)
        }
        None => false,
    }
}

const VALUES_YAML: &str = "values.yaml";

fn values_rules(linter: &mut Linter, chart: &Chart, options: &LintOptions) {
    if chart.raw_values.is_none() {
        linter.add(Severity::Info, VALUES_YAML, "file does not exist");
        return;
    }
    let Some(schema) = &chart.schema else {
        return;
    };
    // Helm lints only the top-level values against the top-level schema.
    let values = crate::chart::coalesce_tables(options.values.clone(), chart.values.clone());
    linter.rule(
        Severity::Error,
        VALUES_YAML,
        crate::chart::schema::validate_single(&values, schema)
            .map_err(|e| e.trim_end().to_string()),
    );
}

const TEMPLATES: &str = "templates/";

fn template_rules(linter: &mut Linter, loaded: Result<Chart, String>, options: &LintOptions) {
    let chart = match loaded {
        Ok(chart) => chart,
        Err(e) => {
            linter.add(Severity::Error, TEMPLATES, e);
            return;
        }
    };
    let kube_version = options
        .kube_version
        .clone()
        .unwrap_or_else(|| super::template::DEFAULT_KUBE_VERSION.to_string());
    let mut processed = chart.clone();
    if crate::chart::process_dependencies(&mut processed, &options.values).is_err() {
        return;
    }
    let values = match crate::chart::to_render_values(&processed, &options.values) {
        Ok(values) => values,
        Err(e) => {
            linter.add(Severity::Error, TEMPLATES, e.to_string());
            return;
        }
    };
    let render_options = RenderOptions {
        release: ReleaseInfo {
            name: "test-release".into(),
            namespace: options.namespace.clone(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
            service: "Helm".into(),
        },
        capabilities: Capabilities {
            kube_version: kube_version.clone(),
            api_versions: super::template::DEFAULT_API_VERSIONS
                .iter()
                .map(|v| (*v).to_string())
                .collect(),
            helm_version: super::render::HELM_VERSION.to_string(),
        },
        lookup: None,
        enable_dns: false,
        lint_mode: true,
        preparse: None,
    };
    let rendered = match crate::engine::render(&processed, &values, &render_options) {
        Ok(rendered) => rendered,
        Err(e) => {
            linter.add(Severity::Error, TEMPLATES, e.to_string());
            return;
        }
    };
    let minor = kube_minor(&kube_version);
    for template in &chart.templates {
        let file = template.name.as_str();
        let ext = Path::new(file)
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        if ![".yaml", ".yml", ".tpl", ".txt"].contains(&ext.as_str()) {
            linter.add(
                Severity::Error,
                file,
                format!("file extension '{ext}' not valid. Valid extensions are .yaml, .yml, .tpl, or .txt"),
            );
        }
        if !matches!(ext.to_ascii_lowercase().as_str(), ".yaml" | ".yml") {
            continue;
        }
        let Some(text) = rendered.get(&format!("{}/{file}", chart.metadata.name)) else {
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        if let Some(line) = text.lines().find(|l| !l.trim().is_empty())
            && (line.starts_with(' ') || line.starts_with('\t'))
        {
            linter.add(
                Severity::Warning,
                file,
                format!("document starts with an illegal indent: {line:?}, which may cause parsing problems"),
            );
        }
        for document in split_documents(text) {
            let object = match crate::values::parse_document(&document) {
                Ok(object) => object,
                Err(e) => {
                    linter.add(
                        Severity::Error,
                        file,
                        format!("unable to parse YAML: error converting YAML to JSON: {e}"),
                    );
                    return;
                }
            };
            let Value::Object(object) = object else {
                continue;
            };
            object_rules(linter, file, &object, text, minor);
        }
    }
}

/// The `---`-separated documents of a rendered file.
fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push(String::new());
        } else if let Some(last) = docs.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    docs.into_iter().filter(|d| !d.trim().is_empty()).collect()
}

fn kube_minor(version: &str) -> u64 {
    crate::chart::validate::parse_version(version.trim_start_matches('v'))
        .map(|v| v.minor)
        .unwrap_or(0)
}

fn str_at<'a>(object: &'a Map<String, Value>, key: &str) -> &'a str {
    object.get(key).and_then(Value::as_str).unwrap_or("")
}

fn object_rules(
    linter: &mut Linter,
    file: &str,
    object: &Map<String, Value>,
    manifest: &str,
    minor: u64,
) {
    let api_version = str_at(object, "apiVersion");
    let kind = str_at(object, "kind");
    let name = object
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| str_at(m, "name"))
        .unwrap_or("");
    if !name.is_empty()
        && let Err(message) = validate_name(kind, name)
    {
        linter.add(
            Severity::Warning,
            file,
            format!("object name does not conform to Kubernetes naming requirements: {name:?}: metadata.name: Invalid value: {name:?}: {message}"),
        );
    }
    if let Some(message) = deprecation(api_version, kind, minor) {
        linter.add(Severity::Warning, file, message);
    }
    if matches!(
        kind,
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet"
    ) && !manifest.contains("matchLabels")
        && !manifest.contains("matchExpressions")
    {
        linter.add(
            Severity::Error,
            file,
            format!("a {kind} must contain matchLabels or matchExpressions, and {name:?} does not"),
        );
    }
}

fn validate_name(kind: &str, name: &str) -> Result<(), String> {
    let label = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    match kind.to_ascii_lowercase().as_str() {
        "service" => {
            let ok = name.len() <= 63
                && label(name)
                && name.starts_with(|c: char| c.is_ascii_lowercase());
            if ok {
                Ok(())
            } else {
                Err("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".into())
            }
        }
        "certificatesigningrequest" => Ok(()),
        "role" | "clusterrole" | "rolebinding" | "clusterrolebinding" => {
            if name == "." || name == ".." {
                Err(format!("may not be '{name}'"))
            } else if name.contains('/') || name.contains('%') {
                Err(format!(
                    "may not contain '{}'",
                    if name.contains('/') { "/" } else { "%" }
                ))
            } else {
                Ok(())
            }
        }
        _ => {
            if name.len() <= 253 && name.split('.').all(label) {
                Ok(())
            } else {
                Err("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into())
            }
        }
    }
}

/// Deprecated Kubernetes APIs: (apiVersion, kinds, deprecated in 1.x, removed in 1.x,
/// replacement apiVersion).
const DEPRECATED_APIS: &[(&str, &[&str], u64, u64, &str)] = &[
    (
        "extensions/v1beta1",
        &["Deployment", "DaemonSet", "ReplicaSet"],
        8,
        16,
        "apps/v1",
    ),
    (
        "extensions/v1beta1",
        &["NetworkPolicy"],
        9,
        16,
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        &["PodSecurityPolicy"],
        10,
        16,
        "policy/v1beta1",
    ),
    (
        "extensions/v1beta1",
        &["Ingress"],
        14,
        22,
        "networking.k8s.io/v1",
    ),
    (
        "apps/v1beta1",
        &["Deployment", "StatefulSet", "ControllerRevision"],
        9,
        16,
        "apps/v1",
    ),
    (
        "apps/v1beta2",
        &[
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ControllerRevision",
        ],
        9,
        16,
        "apps/v1",
    ),
    (
        "networking.k8s.io/v1beta1",
        &["Ingress", "IngressClass"],
        19,
        22,
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"],
        17,
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        &["CustomResourceDefinition"],
        16,
        22,
        "apiextensions.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        16,
        22,
        "admissionregistration.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1beta1",
        &["PriorityClass"],
        14,
        22,
        "scheduling.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        &["Lease"],
        14,
        22,
        "coordination.k8s.io/v1",
    ),
    (
        "certificates.k8s.io/v1beta1",
        &["CertificateSigningRequest"],
        19,
        22,
        "certificates.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        &["StorageClass", "VolumeAttachment", "CSIDriver", "CSINode"],
        19,
        22,
        "storage.k8s.io/v1",
    ),
    ("batch/v1beta1", &["CronJob"], 21, 25, "batch/v1"),
    (
        "policy/v1beta1",
        &["PodDisruptionBudget"],
        21,
        25,
        "policy/v1",
    ),
    (
        "discovery.k8s.io/v1beta1",
        &["EndpointSlice"],
        21,
        25,
        "discovery.k8s.io/v1",
    ),
    (
        "events.k8s.io/v1beta1",
        &["Event"],
        19,
        25,
        "events.k8s.io/v1",
    ),
    (
        "node.k8s.io/v1beta1",
        &["RuntimeClass"],
        20,
        25,
        "node.k8s.io/v1",
    ),
    (
        "autoscaling/v2beta1",
        &["HorizontalPodAutoscaler"],
        22,
        25,
        "autoscaling/v2",
    ),
    (
        "autoscaling/v2beta2",
        &["HorizontalPodAutoscaler"],
        23,
        26,
        "autoscaling/v2",
    ),
];

/// The deprecation warning for `apiVersion kind` on Kubernetes 1.`minor`, if deprecated.
fn deprecation(api_version: &str, kind: &str, minor: u64) -> Option<String> {
    if api_version.is_empty() || kind.is_empty() {
        return None;
    }
    if api_version == "policy/v1beta1" && kind == "PodSecurityPolicy" && minor >= 21 {
        return Some(
            "policy/v1beta1 PodSecurityPolicy is deprecated in v1.21+, unavailable in v1.25+"
                .into(),
        );
    }
    DEPRECATED_APIS
        .iter()
        .find(|(api, kinds, deprecated, _, _)| {
            *api == api_version && kinds.contains(&kind) && *deprecated <= minor
        })
        .map(|(api, _, deprecated, removed, replacement)| {
            format!("{api} {kind} is deprecated in v1.{deprecated}+, unavailable in v1.{removed}+; use {replacement} {kind}")
        })
}

fn dependency_rules(linter: &mut Linter, chart: &Chart, chart_dir: &str) {
    let missing = crate::chart::missing_dependencies(chart);
    if !missing.is_empty() {
        linter.add(
            Severity::Warning,
            chart_dir,
            format!(
                "chart directory is missing these dependencies: {}",
                missing.join(",")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, content).unwrap();
        }
        dir
    }

    fn texts(report: &LintReport) -> Vec<String> {
        report.messages.iter().map(ToString::to_string).collect()
    }

    const GOOD_CHART: &str = "apiVersion: v2\nname: good\nversion: 0.1.0\n";
    const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: {{ .Values.a | quote }}\n";

    #[test]
    fn a_good_chart_only_gets_the_icon_recommendation() {
        let dir = chart(&[
            ("Chart.yaml", GOOD_CHART),
            ("values.yaml", "a: 1\n"),
            ("templates/cm.yaml", CONFIGMAP),
        ]);
        let report = lint(dir.path(), &LintOptions::default());
        assert_eq!(texts(&report), ["[INFO] Chart.yaml: icon is recommended"]);
        assert!(!report.failed);
    }

    #[test]
    fn a_missing_version_is_an_error_and_stops_the_render() {
        let dir = chart(&[
            ("Chart.yaml", "apiVersion: v2\nname: bad\n"),
            ("templates/cm.yaml", CONFIGMAP),
        ]);
        let report = lint(dir.path(), &LintOptions::default());
        let t = texts(&report);
        assert!(
            t.contains(&"[ERROR] Chart.yaml: version is required".to_string()),
            "{t:?}"
        );
        assert!(
            t.iter().any(|m| m.starts_with("[ERROR] templates/: ")),
            "{t:?}"
        );
        assert!(report.failed);
    }

    #[test]
    fn invalid_yaml_in_a_rendered_template_is_an_error() {
        let dir = chart(&[
            ("Chart.yaml", GOOD_CHART),
            ("values.yaml", "a: 1\n"),
            (
                "templates/bad.yaml",
                "kind: ConfigMap\nmetadata:\n  name: x\n   bad: [\n",
            ),
        ]);
        let report = lint(dir.path(), &LintOptions::default());
        let t = texts(&report);
        assert!(
            t.iter()
                .any(|m| m.starts_with("[ERROR] templates/bad.yaml: unable to parse YAML")),
            "{t:?}"
        );
    }

    #[test]
    fn a_deprecated_api_is_a_warning_that_fails_only_with_strict() {
        let dir = chart(&[
            ("Chart.yaml", GOOD_CHART),
            ("values.yaml", "a: 1\n"),
            (
                "templates/ing.yaml",
                "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n",
            ),
        ]);
        let report = lint(dir.path(), &LintOptions::default());
        assert!(texts(&report).contains(
            &"[WARNING] templates/ing.yaml: extensions/v1beta1 Ingress is deprecated in v1.14+, unavailable in v1.22+; use networking.k8s.io/v1 Ingress".to_string()
        ), "{:?}", texts(&report));
        assert!(!report.failed);
        let strict = lint(
            dir.path(),
            &LintOptions {
                strict: true,
                ..LintOptions::default()
            },
        );
        assert!(strict.failed);
    }

    #[test]
    fn values_breaking_the_schema_are_an_error_on_values_yaml() {
        let dir = chart(&[
            ("Chart.yaml", GOOD_CHART),
            ("values.yaml", "a: 1\n"),
            (
                "values.schema.json",
                r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
            ),
            ("templates/cm.yaml", CONFIGMAP),
        ]);
        let report = lint(dir.path(), &LintOptions::default());
        assert!(
            report
                .messages
                .iter()
                .any(|m| m.severity == Severity::Error && m.path == "values.yaml"),
            "{:?}",
            texts(&report)
        );
        let mut values = Map::new();
        values.insert("a".into(), Value::String("ok".into()));
        let fixed = lint(
            dir.path(),
            &LintOptions {
                values,
                ..LintOptions::default()
            },
        );
        assert!(!fixed.failed, "{:?}", texts(&fixed));
    }

    #[test]
    fn a_directory_without_chart_yaml_fails_before_any_rule() {
        let dir = chart(&[("values.yaml", "a: 1\n")]);
        let report = lint(dir.path(), &LintOptions::default());
        assert!(report.messages.is_empty());
        assert!(report.errors[0].starts_with("unable to check Chart.yaml file in chart"));
        assert!(report.failed);
    }

    #[test]
    fn a_chart_that_does_not_load_is_an_error_of_the_dependencies_rule() {
        let dir = chart(&[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n- name: w\n  alias: twin\n- name: w\n  alias: twin\n",
            ),
            (
                "charts/w/Chart.yaml",
                "apiVersion: v2\nname: w\nversion: 0.1.0\n",
            ),
        ]);
        let report = lint(dir.path(), &LintOptions::default());
        assert!(
            texts(&report).contains(
                &"[ERROR] : unable to load chart\n\tvalidation: more than one dependency with name or alias \"twin\"".to_string()
            ),
            "{:?}",
            texts(&report)
        );
        assert!(report.failed);
    }

    #[test]
    fn a_values_file_that_is_not_yaml_is_an_error_on_values_yaml() {
        let dir = chart(&[
            ("Chart.yaml", GOOD_CHART),
            ("values.yaml", "a: [1\n"),
            ("templates/cm.yaml", CONFIGMAP),
        ]);
        let report = lint(dir.path(), &LintOptions::default());
        assert!(
            report.messages.iter().any(|m| m.severity == Severity::Error
                && m.path == "values.yaml"
                && m.text.starts_with("unable to parse YAML: ")),
            "{:?}",
            texts(&report)
        );
        assert!(report.failed);
    }

    #[test]
    fn names_are_checked_by_kind() {
        assert!(validate_name("ConfigMap", "a.b-c").is_ok());
        assert!(validate_name("ConfigMap", "Upper").is_err());
        assert!(validate_name("Service", "a.b").is_err());
        assert!(validate_name("Role", "system:admin").is_ok());
    }
}
