//! Values: reading YAML values files, the `--set` family, and merging value sources.
//!
//! Helm counterpart: `pkg/strvals`, `pkg/cli/values/options.go`, `pkg/chart/v2/loader`
//! (`LoadValues`, `MergeMaps`). Values between modules are `serde_json::Map`s: numbers from
//! YAML/JSON are `f64`, integers from `--set` are `i64`. Coalescing a chart's defaults with
//! user values lives in `crate::chart::coalesce`.
use std::path::PathBuf;

pub mod go_json;
pub mod sources;
pub mod strvals;
pub mod yaml;

pub use sources::{ValueSources, merge_sources, merge_sources_with_stdin};
pub use strvals::{Mode, StrvalsError, parse_into};
pub use yaml::{YamlError, merge_maps, parse_document, parse_values, to_yaml_string};

/// A JSON object of values (Helm's `map[string]interface{}`).
pub type Values = serde_json::Map<String, serde_json::Value>;

/// Why user values could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A values file could not be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The file (`-` for stdin).
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A values file is not valid YAML or not a map.
    #[error("failed to parse {}: {source}", path.display())]
    ValuesFile {
        /// The file.
        path: PathBuf,
        /// The parse error with its line.
        #[source]
        source: YamlError,
    },
    /// A `--set`-family flag could not be parsed (Helm's message, naming the flag).
    #[error("{0}")]
    Flag(String),
}
