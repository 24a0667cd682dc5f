//! Values: reading YAML values files, the `--set` family, and merging value sources.
//!
//! Helm counterpart: `pkg/strvals`, `pkg/cli/values/options.go`, `pkg/chart/v2/loader`
//! (`LoadValues`, `MergeMaps`). Values between modules are `serde_json::Map`s: numbers from
//! YAML/JSON are `f64`, integers from `--set` are `i64`. Coalescing a chart's defaults with
//! user values lives in `crate::chart::coalesce`.
pub mod yaml;

pub use yaml::{YamlError, merge_maps, parse_document, parse_values};

/// A JSON object of values (Helm's `map[string]interface{}`).
pub type Values = serde_json::Map<String, serde_json::Value>;
