//! `package`: a chart directory as a versioned `.tgz` archive that Helm and rhelm install.
//!
//! Helm counterpart: `pkg/action/package.go`. The chart is loaded from its directory,
//! `--version`/`--app-version` override the metadata, declared dependencies must be
//! present in `charts/`, and the archive is written as `<dest>/<name>-<version>.tgz`
//! (`dest` `.` means the working directory, printed as an absolute path like Helm).
//! Signing (`--sign`) and `--dependency-update` are not supported.
use std::path::{Path, PathBuf};

use super::Error;

/// Options of [`package`].
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    /// `--version`: the chart version to write.
    pub version: Option<String>,
    /// `--app-version`: the app version to write.
    pub app_version: Option<String>,
    /// `-d/--destination`.
    pub destination: PathBuf,
}

/// Packages the chart directory `chart_dir`; returns the archive's path.
pub fn package(chart_dir: &Path, options: &PackageOptions) -> Result<PathBuf, Error> {
    if !chart_dir.is_dir() {
        return Err(Error::InvalidOption(format!(
            "{} is not a directory",
            chart_dir.display()
        )));
    }
    let mut chart = crate::chart::load_dir(chart_dir)?;
    if let Some(version) = &options.version {
        if crate::chart::validate::parse_version(version).is_none() {
            return Err(Error::InvalidOption(format!(
                "Invalid Semantic Version: {version:?}"
            )));
        }
        chart.metadata.version.clone_from(version);
    }
    if let Some(app_version) = &options.app_version {
        chart.metadata.app_version.clone_from(app_version);
    }
    crate::chart::check_dependencies(&chart)?;
    let destination =
        if options.destination.as_os_str().is_empty() || options.destination == Path::new(".") {
            std::env::current_dir().map_err(|e| {
                Error::InvalidOption(format!("cannot determine the working directory: {e}"))
            })?
        } else {
            options.destination.clone()
        };
    Ok(crate::chart::package_chart(&chart, &destination)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            "apiVersion: v2\nname: pkg\nversion: 0.1.0\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("values.yaml"), "a: 1 # kept\n").unwrap();
        dir
    }

    #[test]
    fn version_flags_override_the_metadata_and_name_the_archive() {
        let dir = chart_dir();
        let out = tempfile::tempdir().unwrap();
        let path = package(
            dir.path(),
            &PackageOptions {
                version: Some("2.3.4".into()),
                app_version: Some("9.9".into()),
                destination: out.path().to_path_buf(),
            },
        )
        .unwrap();
        assert_eq!(path, out.path().join("pkg-2.3.4.tgz"));
        let back = crate::chart::load_chart(&path).unwrap();
        assert_eq!(back.metadata.version, "2.3.4");
        assert_eq!(back.metadata.app_version, "9.9");
        assert_eq!(back.raw_values.as_deref(), Some(&b"a: 1 # kept\n"[..]));
    }

    #[test]
    fn an_invalid_version_flag_is_refused() {
        let dir = chart_dir();
        let err = package(
            dir.path(),
            &PackageOptions {
                version: Some("not.a.version".into()),
                ..PackageOptions::default()
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("Invalid Semantic Version"),
            "{err}"
        );
    }

    #[test]
    fn a_chart_with_missing_dependencies_is_not_packaged() {
        let dir = chart_dir();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            "apiVersion: v2\nname: pkg\nversion: 0.1.0\ndependencies:\n- name: db\n  version: 1.0.0\n  repository: file://../db\n",
        )
        .unwrap();
        let out = tempfile::tempdir().unwrap();
        let err = package(
            dir.path(),
            &PackageOptions {
                destination: out.path().to_path_buf(),
                ..PackageOptions::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "found in Chart.yaml, but missing in charts/ directory: db"
        );
    }
}
