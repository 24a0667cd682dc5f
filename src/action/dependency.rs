//! `dependency list|update|build`: the state of a chart's declared dependencies, and
//! vendoring them into `charts/` with a `Chart.lock`.
//!
//! Helm counterpart: `pkg/action/dependency.go` and `pkg/downloader/manager.go`. The work is
//! in `crate::chart::vendor`; this layer checks the chart directory and turns a remote
//! repository into a clear "not supported yet" error. Only `file://` repositories and
//! charts already in `charts/` are handled: rhelm has no repository client yet.
use std::path::Path;

use super::Error;
use crate::chart::{DependencyStatus, Lock};

/// `dependency list`: one status per `Chart.yaml` dependency, and warnings for subcharts in
/// `charts/` that `Chart.yaml` does not declare.
pub fn list(chart_dir: &Path) -> Result<(Vec<DependencyStatus>, Vec<String>), Error> {
    Ok(crate::chart::list_dependencies(chart_dir)?)
}

/// `dependency update`: resolve `file://` dependencies, package them into `charts/` and
/// write the lock file.
pub fn update(chart_dir: &Path) -> Result<Lock, Error> {
    require_local(chart_dir)?;
    Ok(crate::chart::update_dependencies(chart_dir)?)
}

/// `dependency build`: vendor the locked versions (or update without a lock file).
pub fn build(chart_dir: &Path) -> Result<(), Error> {
    require_local(chart_dir)?;
    Ok(crate::chart::build_dependencies(chart_dir)?)
}

/// Refuses charts with dependencies in remote repositories, naming them.
fn require_local(chart_dir: &Path) -> Result<(), Error> {
    if !chart_dir.join("Chart.yaml").is_file() && !chart_dir.join("requirements.yaml").is_file() {
        return Err(Error::InvalidOption(format!(
            "{}: no Chart.yaml found (dependency commands need a chart directory)",
            chart_dir.display()
        )));
    }
    let chart = crate::chart::load_dir(chart_dir)?;
    let remote: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !d.repository.is_empty() && !d.repository.starts_with("file://"))
        .map(|d| format!("{} ({})", d.name, d.repository))
        .collect();
    if remote.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidOption(format!(
            "chart repositories are not supported yet; only file:// dependencies can be fetched. \
             Remote dependencies: {}. Put their .tgz archives into {} instead",
            remote.join(", "),
            chart_dir.join("charts").display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_repository_is_named_in_a_not_supported_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://charts.example.com\n",
        )
        .unwrap();
        let err = update(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not supported yet"), "{err}");
        assert!(err.contains("redis (https://charts.example.com)"), "{err}");
        assert!(build(dir.path()).is_err());
    }

    #[test]
    fn a_directory_without_chart_yaml_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = update(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no Chart.yaml found"), "{err}");
    }
}
