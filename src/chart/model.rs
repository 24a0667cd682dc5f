//! The chart model, serialized exactly as Helm stores it inside a release record.
//!
//! A release record holds the chart without its subcharts (Helm's `Chart.dependencies`
//! is not serialized); `dependencies` here is the loaded tree and is skipped by serde.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A manifest of a `crds/` folder (Helm's `chart.CRD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdFile<'a> {
    /// Relative to its own chart: `crds/x.yaml`.
    pub name: &'a str,
    /// From the root chart: `<root>/charts/<sub>/crds/x.yaml` (Helm's `Filename`).
    pub path: String,
    /// The file as loaded.
    pub data: &'a [u8],
}

impl Chart {
    /// The manifests (`.yaml`, `.yml`, `.json`, any case) of this chart's `crds/` folder,
    /// then of its subcharts' (Helm's `CRDObjects`).
    pub fn crd_objects(&self) -> Vec<CrdFile<'_>> {
        let mut out = Vec::new();
        self.collect_crds(&self.metadata.name, &mut out);
        out
    }

    fn collect_crds<'a>(&'a self, full_path: &str, out: &mut Vec<CrdFile<'a>>) {
        for file in &self.files {
            let lower = file.name.to_ascii_lowercase();
            let manifest = [".yaml", ".yml", ".json"]
                .iter()
                .any(|ext| lower.ends_with(ext));
            if file.name.starts_with("crds/") && manifest {
                out.push(CrdFile {
                    name: &file.name,
                    path: format!("{full_path}/{}", file.name),
                    data: &file.data,
                });
            }
        }
        for sub in &self.dependencies {
            sub.collect_crds(&format!("{full_path}/charts/{}", sub.metadata.name), out);
        }
    }
}

/// A loaded chart: metadata, templates, default values, other files and loaded subcharts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Chart {
    /// Contents of `Chart.yaml`.
    pub metadata: Metadata,
    /// Contents of `Chart.lock` (or `requirements.lock`), kept as data.
    #[serde(default)]
    pub lock: Option<Value>,
    /// Files under `templates/`, named relative to the chart root (`templates/x.yaml`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub templates: Vec<ChartFile>,
    /// Parsed `values.yaml` (numbers from YAML are `f64`, as in Helm).
    #[serde(
        default,
        serialize_with = "crate::values::go_json::serialize",
        deserialize_with = "crate::values::go_json::deserialize"
    )]
    pub values: Map<String, Value>,
    /// Raw `values.schema.json`, if any (Helm serializes `[]byte` as base64).
    #[serde(default, with = "base64_opt")]
    pub schema: Option<Vec<u8>>,
    /// When `values.schema.json` was last modified (Helm 4's `schemamodtime`).
    #[serde(default, with = "go_modtime")]
    pub schemamodtime: Option<ModTime>,
    /// Every other file (README, `files/…`, `crds/…`), for `.Files`. Written as `null`
    /// when empty, as Go writes a nil slice.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        serialize_with = "empty_as_null"
    )]
    pub files: Vec<ChartFile>,
    /// When `Chart.yaml` was last modified (Helm 4's `modtime`).
    #[serde(default, with = "go_modtime")]
    pub modtime: Option<ModTime>,
    /// Loaded subcharts (from `charts/`), in load order. Never serialized, as in Helm.
    #[serde(skip)]
    pub dependencies: Vec<Chart>,
    /// The `values.yaml` bytes as loaded (comments kept), for packaging. Never serialized;
    /// Helm keeps it in `Chart.Raw`.
    #[serde(skip)]
    pub raw_values: Option<bytes::Bytes>,
}

/// A file of a chart: path relative to the chart root, and its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartFile {
    /// Path relative to the chart root, with `/` separators.
    pub name: String,
    /// File contents (base64 in Helm's JSON).
    /// Shared, so that `.Files` and copies of subcharts (aliases) do not copy contents.
    #[serde(with = "base64_bytes")]
    pub data: bytes::Bytes,
    /// Last modification time; `None` is Go's zero time (a file that never was on disk, or
    /// a record from Helm 3).
    #[serde(default, with = "go_modtime")]
    pub modtime: Option<ModTime>,
}

/// Bytes read as text, as Go converts them to a string for templates and YAML: invalid
/// UTF-8 becomes U+FFFD. (The strict check first: it is several times faster than the
/// lossy conversion on valid text, which nearly every chart file is.)
pub fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(data) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(data),
    }
}

impl ChartFile {
    /// The file as text ([`text_of`]).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        text_of(&self.data)
    }

    /// A file without a modification time.
    pub fn new(name: impl Into<String>, data: impl Into<bytes::Bytes>) -> Self {
        ChartFile {
            name: name.into(),
            data: data.into(),
            modtime: None,
        }
    }
}

/// A modification time of a chart file (Helm 4's `modtime`), written as Go's JSON writes a
/// `time.Time` in the local zone: RFC 3339 with trailing-zero-trimmed nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModTime {
    /// Read from disk or an archive. Formatted only when the chart is serialized, because
    /// converting to the local zone costs more than loading most files.
    File(std::time::SystemTime),
    /// As a stored release wrote it, kept verbatim so records re-encode byte for byte.
    Recorded(String),
}

impl std::fmt::Display for ModTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModTime::File(time) => {
                let local = chrono::DateTime::<chrono::Local>::from(*time);
                crate::release::Timestamp(local.fixed_offset()).fmt(f)
            }
            ModTime::Recorded(text) => f.write_str(text),
        }
    }
}

/// `Chart.yaml`, with Helm's JSON field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Chart name.
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    /// Project home page.
    pub home: String,
    /// Source URLs.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub sources: Vec<String>,
    /// SemVer 2 chart version.
    pub version: String,
    /// One-line description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Search keywords.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub keywords: Vec<String>,
    /// Maintainers.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub maintainers: Vec<Maintainer>,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    /// `v1` or `v2`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// Condition path (v1 `requirements.yaml` era).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    /// Tags (v1 era).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tags: String,
    /// Version of the packaged application.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
    /// Whether the chart is deprecated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// Free-form annotations.
    #[serde(
        default,
        skip_serializing_if = "indexmap::IndexMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub annotations: indexmap::IndexMap<String, String>,
    /// SemVer constraint on the Kubernetes version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_version: String,
    /// Declared dependencies (from `Chart.yaml`, or `requirements.yaml` for v1).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub dependencies: Vec<Dependency>,
    /// `application` or `library`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub chart_type: String,
}

/// A chart maintainer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintainer {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// E-mail.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

/// A dependency declared in `Chart.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Dependency {
    /// Chart name.
    pub name: String,
    /// Version constraint.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Repository URL (`file://…`, `https://…`, `oci://…`, or `@alias`). Always written,
    /// empty included, as Helm's `json:"repository"` (no omitempty): `Chart.lock` digests,
    /// `show chart` and stored charts depend on it.
    #[serde(default)]
    pub repository: String,
    /// Values path(s) that enable the dependency, comma-separated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    /// Tags that enable the dependency.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tags: Vec<String>,
    /// Set by condition/tags processing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enabled: bool,
    /// `import-values`: strings or `{child, parent}` maps.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub import_values: Vec<Value>,
    /// Name the subchart is known by in the parent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Go's zero `time.Time` as its JSON writes it.
const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Helm 4's modification times: kept as the text Go wrote, zero time as `None`.
mod go_modtime {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::ModTime;

    pub fn serialize<S: Serializer>(time: &Option<ModTime>, s: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => s.collect_str(time),
            None => s.serialize_str(super::GO_ZERO_TIME),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ModTime>, D::Error> {
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        Ok((!text.is_empty() && text != super::GO_ZERO_TIME).then_some(ModTime::Recorded(text)))
    }
}

fn empty_as_null<S: serde::Serializer, T: Serialize>(items: &[T], s: S) -> Result<S::Ok, S::Error> {
    if items.is_empty() {
        s.serialize_none()
    } else {
        items.serialize(s)
    }
}

mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(data))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bytes::Bytes, D::Error> {
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        (STANDARD.decode(text).map(bytes::Bytes::from)).map_err(serde::de::Error::custom)
    }
}

mod base64_opt {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(data: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match data {
            Some(bytes) => s.serialize_str(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) if !text.is_empty() => STANDARD
                .decode(text)
                .map(Some)
                .map_err(serde::de::Error::custom),
            _ => Ok(None),
        }
    }
}
