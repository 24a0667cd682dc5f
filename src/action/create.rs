//! `create`: a new chart directory with a small, working starter chart.
//!
//! Helm counterpart: `pkg/chart/v2/util/create.go` (`Create`). The content is rhelm's own:
//! a Deployment, a Service and a ConfigMap driven by a short `values.yaml` with a JSON
//! Schema, named through helpers in `_helpers.tpl`, plus NOTES. It passes `lint`, installs
//! and upgrades. Starter packs (`--starter`) are not supported.
use std::path::{Path, PathBuf};

use super::Error;

/// The placeholder in the starter files replaced by the chart's name.
const NAME: &str = "<CHART>";

/// The starter chart: `(path, content)` with [`NAME`] placeholders.
const STARTER: &[(&str, &str)] = &[
    (
        "Chart.yaml",
        r#"apiVersion: v2
name: <CHART>
description: <CHART>, a web server chart made with rhelm create
type: application
# The chart's own version: bump it on every change to the chart.
version: 0.1.0
# The version of the application it deploys.
appVersion: "1.27.0"
"#,
    ),
    (
        "values.yaml",
        r#"# Default values of <CHART>. Override them with -f FILE or --set key=value.

# How many pods serve the site.
replicaCount: 1

image:
  repository: nginx
  # Empty means the chart's appVersion.
  tag: ""
  pullPolicy: IfNotPresent

# The page the server answers with, stored in a ConfigMap.
page:
  title: Hello from <CHART>
  body: This page was deployed by rhelm.

service:
  type: ClusterIP
  port: 80

# Extra labels for every object.
extraLabels: {}

# Container resources (requests/limits); none by default.
resources: {}
"#,
    ),
    (
        "values.schema.json",
        r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "replicaCount": { "type": "integer", "minimum": 0 },
    "image": {
      "type": "object",
      "properties": {
        "repository": { "type": "string", "minLength": 1 },
        "tag": { "type": "string" },
        "pullPolicy": { "enum": ["Always", "IfNotPresent", "Never"] }
      },
      "required": ["repository"]
    },
    "service": {
      "type": "object",
      "properties": {
        "type": { "enum": ["ClusterIP", "NodePort", "LoadBalancer"] },
        "port": { "type": "integer", "minimum": 1, "maximum": 65535 }
      }
    },
    "extraLabels": { "type": "object" },
    "resources": { "type": "object" }
  }
}
"#,
    ),
    (
        ".helmignore",
        r#"# Files left out of the packaged chart (gitignore-like patterns).
.git/
.gitignore
*.swp
*.bak
*.tmp
*~
.DS_Store
.idea/
.vscode/
"#,
    ),
    (
        "templates/_helpers.tpl",
        r#"{{/* The object name: release name, plus the chart name unless the release already has it. */}}
{{- define "<CHART>.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select this release's pods; never change them on upgrade. */}}
{{- define "<CHART>.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "<CHART>.labels" -}}
{{ include "<CHART>.selector" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.extraLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
"#,
    ),
    (
        "templates/configmap.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "<CHART>.fullname" . }}-page
  labels:
    {{- include "<CHART>.labels" . | nindent 4 }}
data:
  index.html: |
    <html><head><title>{{ .Values.page.title }}</title></head>
    <body><h1>{{ .Values.page.title }}</h1><p>{{ .Values.page.body }}</p></body></html>
"#,
    ),
    (
        "templates/deployment.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "<CHART>.fullname" . }}
  labels:
    {{- include "<CHART>.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "<CHART>.selector" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "<CHART>.labels" . | nindent 8 }}
      annotations:
        # Roll the pods when the page changes.
        checksum/page: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
          readinessProbe:
            httpGet:
              path: /
              port: http
          volumeMounts:
            - name: page
              mountPath: /usr/share/nginx/html
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
      volumes:
        - name: page
          configMap:
            name: {{ include "<CHART>.fullname" . }}-page
"#,
    ),
    (
        "templates/service.yaml",
        r#"apiVersion: v1
kind: Service
metadata:
  name: {{ include "<CHART>.fullname" . }}
  labels:
    {{- include "<CHART>.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  selector:
    {{- include "<CHART>.selector" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
"#,
    ),
    (
        "templates/NOTES.txt",
        r#"{{ .Chart.Name }} {{ .Chart.AppVersion }} is deployed as release {{ .Release.Name }} in namespace {{ .Release.Namespace }}.

See the page from your machine:
  kubectl --namespace {{ .Release.Namespace }} port-forward service/{{ include "<CHART>.fullname" . }} 8080:{{ .Values.service.port }}
  then open http://127.0.0.1:8080/
"#,
    ),
];

/// What [`create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The chart directory.
    pub dir: PathBuf,
    /// Warnings for files that existed and were overwritten (Helm prints them).
    pub warnings: Vec<String>,
}

/// Writes the starter chart into `path` (its last component is the chart name).
pub fn create(path: &Path) -> Result<Created, Error> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(Error::InvalidOption(format!(
            "chart name must match the regular expression \"^[a-zA-Z0-9._-]+$\": {:?}",
            path.display().to_string()
        )));
    }
    if path.exists() && !path.is_dir() {
        return Err(Error::InvalidOption(format!(
            "file {} already exists and is not a directory",
            path.display()
        )));
    }
    let mut warnings = Vec::new();
    for (file, content) in STARTER {
        let target = path.join(file);
        if target.exists() {
            warnings.push(format!(
                "File {:?} already exists. Overwriting.",
                target.display().to_string()
            ));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
        }
        std::fs::write(&target, content.replace(NAME, &name)).map_err(|e| io_error(&target, &e))?;
    }
    let charts = path.join("charts");
    std::fs::create_dir_all(&charts).map_err(|e| io_error(&charts, &e))?;
    Ok(Created {
        dir: path.to_path_buf(),
        warnings,
    })
}

fn io_error(path: &Path, error: &std::io::Error) -> Error {
    Error::InvalidOption(format!("writing {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_chart_loads_and_carries_the_given_name() {
        let tmp = tempfile::tempdir().unwrap();
        let created = create(&tmp.path().join("shop")).unwrap();
        assert!(created.warnings.is_empty());
        let chart = crate::chart::load_chart(&created.dir).unwrap();
        assert_eq!(chart.metadata.name, "shop");
        let helpers = chart
            .templates
            .iter()
            .find(|t| t.name == "templates/_helpers.tpl")
            .unwrap();
        let text = String::from_utf8_lossy(&helpers.data);
        assert!(text.contains("define \"shop.fullname\""));
        assert!(!text.contains(NAME));
    }

    #[test]
    fn the_starter_values_meet_the_starter_schema() {
        let tmp = tempfile::tempdir().unwrap();
        let created = create(&tmp.path().join("web")).unwrap();
        let chart = crate::chart::load_chart(&created.dir).unwrap();
        crate::chart::to_render_values(&chart, &serde_json::Map::new()).unwrap();
    }

    #[test]
    fn names_with_slashes_or_spaces_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let err = create(&tmp.path().join("bad name")).unwrap_err();
        assert!(err.to_string().contains("chart name must match"), "{err}");
    }

    #[test]
    fn existing_files_are_overwritten_with_a_warning() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("again");
        create(&dir).unwrap();
        let second = create(&dir).unwrap();
        assert!(second.warnings.iter().any(|w| w.contains("Chart.yaml")));
    }
}
