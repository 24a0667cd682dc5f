//! Charts: the `Chart.yaml` model, loading from a directory or `.tgz`, dependencies.
//!
//! Helm counterpart: `pkg/chart` (v2 model) and `pkg/chart/loader`.
pub mod model;

pub use model::{Chart, ChartFile, Dependency, Maintainer, Metadata};
