//! Charts: the `Chart.yaml` model, loading from a directory or `.tgz`, validation,
//! dependencies (condition/tags/alias/import-values), coalescing values and JSON Schema.
//!
//! Helm counterpart: `pkg/chart/v2` (model, `loader`, `util/dependencies.go`) and
//! `pkg/chart/common/util` (`coalesce.go`, `jsonschema.go`). It does not render templates
//! (see `crate::engine`) nor fetch charts from repositories.
use std::path::PathBuf;

pub mod coalesce;
pub mod constraint;
pub mod dependencies;
pub mod helmignore;
pub mod loader;
pub mod model;
pub mod package;
pub mod schema;
pub mod validate;
pub mod vendor;

pub use coalesce::{
    coalesce_tables, coalesce_values, coalesce_values_with_warnings, merge_tables, merge_values,
    to_render_values,
};
pub use constraint::{check_kube_version, deprecation_warning, is_compatible_range};
pub use dependencies::{
    check_dependencies, missing_dependencies, process_dependencies,
    process_dependencies_with_warnings,
};
pub use loader::{
    load_archive, load_chart, load_chart_then, load_dir, load_files, path_in_own_chart,
    top_chart_name,
};
pub use model::{Chart, ChartFile, CrdFile, Dependency, Maintainer, Metadata, ModTime, text_of};
pub use package::{archive_chart, package_chart};
pub use vendor::{
    DependencyStatus, Lock, build_dependencies, hash_requirements, list_dependencies,
    update_dependencies,
};

/// Why a chart could not be loaded or prepared for rendering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The chart has no `Chart.yaml`.
    #[error("Chart.yaml file is missing")]
    MissingChartYaml,
    /// `Chart.yaml` data breaks a rule (Helm's `ValidationError`).
    #[error("validation: {0}")]
    Validation(String),
    /// A YAML file of the chart could not be parsed.
    #[error("cannot load {file}: {source}")]
    Yaml {
        /// File name relative to the chart root.
        file: String,
        /// The parse error, with its line.
        #[source]
        source: crate::values::YamlError,
    },
    /// A YAML file parsed but does not have the expected shape.
    #[error("cannot load {file}: {message}")]
    BadFile {
        /// File name relative to the chart root.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Reading a file or directory failed.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The path being read.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// `.helmignore` could not be parsed.
    #[error("parsing {}: {source}", path.display())]
    Ignore {
        /// The `.helmignore` path.
        path: PathBuf,
        /// The rule error.
        #[source]
        source: helmignore::IgnoreError,
    },
    /// The archive is not a chart archive, or holds unsafe paths or oversized files.
    #[error("{0}")]
    Archive(String),
    /// The chart's `kubeVersion` excludes the cluster's Kubernetes version.
    #[error(
        "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {kube_version}"
    )]
    KubeVersion {
        /// The chart's constraint.
        constraint: String,
        /// The cluster's version.
        kube_version: String,
    },
    /// `Chart.yaml` names dependencies that are not in `charts/`.
    #[error("found in Chart.yaml, but missing in charts/ directory: {0}")]
    MissingDependencies(String),
    /// `dependency update/build` could not resolve or vendor a dependency.
    #[error("{0}")]
    Vendor(String),
    /// Values could not be coalesced (Helm's `type mismatch on …`).
    #[error("{0}")]
    Values(String),
    /// The values break the chart's (or a subchart's) `values.schema.json`.
    #[error(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{0}"
    )]
    Schema(String),
    /// A subchart under `charts/` failed to load.
    #[error("error unpacking subchart {name} in {parent}: {source}")]
    Subchart {
        /// Subchart folder or archive name.
        name: String,
        /// The parent chart's name.
        parent: String,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },
}
