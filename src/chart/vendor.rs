//! Vendoring dependencies into `charts/`: `dependency list`, `update` and `build`.
//!
//! Helm counterpart: `pkg/action/dependency.go` (statuses), `pkg/downloader/manager.go`
//! and `internal/resolver` (resolution, `Chart.lock`, its digest). Only local
//! `file://` repositories are handled: each is loaded from its directory, checked against
//! the version constraint, and packaged as `charts/<name>-<version>.tgz`; other
//! repositories (`https://`, `oci://`) are reported as unsupported, since rhelm has no
//! repository client. `Chart.lock` (`requirements.lock` for v1 charts) records the
//! resolved versions with Helm's digest, so `helm dependency build` accepts it.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::constraint::Constraint;
use super::validate::{API_VERSION_V1, parse_version};
use super::{Chart, Dependency, Error, load_chart, load_dir, package_chart};

/// One row of `dependency list`: NAME, VERSION, REPOSITORY, STATUS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyStatus {
    /// Dependency name (from `Chart.yaml`).
    pub name: String,
    /// Version constraint.
    pub version: String,
    /// Repository URL.
    pub repository: String,
    /// Helm's status word: `ok`, `unpacked`, `missing`, `wrong version`, `misnamed`,
    /// `corrupt`, `invalid version`, `too many matches`.
    pub status: String,
}

/// A dependency lock file (`Chart.lock`), in Helm's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// When it was generated (RFC 3339).
    pub generated: String,
    /// `sha256:` digest of the requested and locked dependencies (Helm's `HashReq`).
    pub digest: String,
    /// The resolved dependencies (name, version, repository).
    pub dependencies: Vec<Dependency>,
}

/// Statuses for each `Chart.yaml` dependency of the chart directory, and warnings for
/// subcharts present in `charts/` but not declared (Helm prints those on stderr).
pub fn list_dependencies(chart_dir: &Path) -> Result<(Vec<DependencyStatus>, Vec<String>), Error> {
    let chart = load_chart(chart_dir)?;
    let statuses = chart
        .metadata
        .dependencies
        .iter()
        .map(|dep| DependencyStatus {
            name: dep.name.clone(),
            version: dep.version.clone(),
            repository: dep.repository.clone(),
            status: dependency_status(chart_dir, dep, &chart),
        })
        .collect();
    let warnings = chart
        .dependencies
        .iter()
        .filter(|sub| {
            !chart
                .metadata
                .dependencies
                .iter()
                .any(|d| d.name == sub.metadata.name)
        })
        .map(|sub| format!("WARNING: {:?} is not in Chart.yaml.", sub.metadata.name))
        .collect();
    Ok((statuses, warnings))
}

fn version_status(constraint: &str, version: &str) -> Option<&'static str> {
    if version == constraint {
        return None;
    }
    let Ok(c) = Constraint::parse(constraint) else {
        return Some("invalid version");
    };
    let Some(v) = parse_version(version) else {
        return Some("invalid version");
    };
    (!c.matches(&v)).then_some("wrong version")
}

fn dependency_status(chart_dir: &Path, dep: &Dependency, chart: &Chart) -> String {
    let prefix = format!("{}-", dep.name);
    let archives: Vec<PathBuf> = std::fs::read_dir(chart_dir.join("charts"))
        .map(|entries| {
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tgz"))
                })
                .collect();
            found.sort();
            found
        })
        .unwrap_or_default();
    let strict_semver = |p: &PathBuf| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".tgz"))
            .and_then(|n| n.strip_prefix(&prefix))
            .is_some_and(|v| semver::Version::parse(v).is_ok())
    };
    let candidate = match archives.len() {
        0 => None,
        1 => archives.first(),
        _ => {
            let versioned: Vec<&PathBuf> = archives.iter().filter(|p| strict_semver(p)).collect();
            match versioned.len() {
                1 => versioned.first().copied(),
                0 => None,
                _ => return "too many matches".into(),
            }
        }
    };
    if let Some(archive) = candidate {
        return match load_chart(archive) {
            Err(_) => "corrupt".into(),
            Ok(c) if c.metadata.name != dep.name => "misnamed".into(),
            Ok(c) => version_status(&dep.version, &c.metadata.version)
                .unwrap_or("ok")
                .into(),
        };
    }
    match chart
        .dependencies
        .iter()
        .rev()
        .find(|c| c.metadata.name == dep.name)
    {
        None => "missing".into(),
        Some(c) => version_status(&dep.version, &c.metadata.version)
            .unwrap_or("unpacked")
            .into(),
    }
}

/// Helm's `HashReq`: `sha256:` + hex SHA-256 of the JSON pair `[requested, locked]`.
pub fn hash_requirements(requested: &[Dependency], locked: &[Dependency]) -> Result<String, Error> {
    let json = serde_json::to_string(&(requested, locked))
        .map_err(|e| Error::Archive(format!("encoding dependencies: {e}")))?;
    // Go's encoding/json escapes these for HTML safety; the digest is over Go's bytes.
    let json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    Ok(format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(json.as_bytes()))
    ))
}

/// Where a `file://` repository points, relative to the chart directory.
fn local_path(repository: &str, chart_dir: &Path) -> Option<PathBuf> {
    let rest = repository.strip_prefix("file://")?;
    let path = Path::new(rest);
    Some(if path.is_absolute() {
        path.to_path_buf()
    } else {
        chart_dir.join(path)
    })
}

/// Resolves every dependency to a concrete version (Helm's resolver, `file://` only).
fn resolve(chart_dir: &Path, requested: &[Dependency]) -> Result<Vec<Dependency>, Error> {
    let mut locked = Vec::new();
    let mut missing = Vec::new();
    for dep in requested {
        let constraint = Constraint::parse(&dep.version).map_err(|e| {
            Error::Vendor(format!(
                "dependency {:?} has an invalid version/constraint format: {e}",
                dep.name
            ))
        })?;
        if dep.repository.is_empty() {
            // Helm: no repository means the chart is already vendored as charts/<name>.
            let vendored = chart_dir.join("charts").join(&dep.name);
            if !vendored.is_dir() {
                return Err(Error::Vendor(format!(
                    "directory {} not found",
                    vendored.display()
                )));
            }
            locked.push(Dependency {
                name: dep.name.clone(),
                version: dep.version.clone(),
                ..Dependency::default()
            });
            continue;
        }
        let Some(dir) = local_path(&dep.repository, chart_dir) else {
            return Err(Error::Vendor(format!(
                "dependency {:?}: repository {:?} is not supported (only file:// repositories)",
                dep.name, dep.repository
            )));
        };
        if !dir.is_dir() {
            return Err(Error::Vendor(format!(
                "directory {} not found",
                dir.display()
            )));
        }
        let sub = load_dir(&dir)?;
        match parse_version(&sub.metadata.version) {
            Some(v) if constraint.matches(&v) => locked.push(Dependency {
                name: dep.name.clone(),
                version: sub.metadata.version.clone(),
                repository: dep.repository.clone(),
                ..Dependency::default()
            }),
            _ => missing.push(format!(
                "{:?} (repository {:?}, version {:?})",
                dep.name, dep.repository, dep.version
            )),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Vendor(format!(
            "can't get a valid version for {} subchart(s): {}. Make sure a matching chart version exists in the repo, or change the version constraint in Chart.yaml",
            missing.len(),
            missing.join(", ")
        )));
    }
    Ok(locked)
}

/// Packages each locked `file://` dependency into `charts/`, removing older archives of
/// the same charts (Helm's `downloadAll` + `safeMoveDeps`).
fn vendor(chart_dir: &Path, locked: &[Dependency]) -> Result<Vec<PathBuf>, Error> {
    let charts_dir = chart_dir.join("charts");
    let mut staged = Vec::new();
    // Dependencies without a repository stay as they are vendored (Helm skips them).
    for dep in locked.iter().filter(|d| !d.repository.is_empty()) {
        let Some(dir) = local_path(&dep.repository, chart_dir) else {
            return Err(Error::Vendor(format!(
                "dependency {:?}: repository {:?} is not supported (only file:// repositories)",
                dep.name, dep.repository
            )));
        };
        let sub = load_dir(&dir)?;
        if sub.metadata.version != dep.version
            && !Constraint::parse(&dep.version)
                .ok()
                .zip(parse_version(&sub.metadata.version))
                .is_some_and(|(c, v)| c.matches(&v))
        {
            return Err(Error::Vendor(format!(
                "can't get a valid version for dependency {}",
                dep.name
            )));
        }
        staged.push(sub);
    }
    let written_names: Vec<String> = staged
        .iter()
        .map(|c| format!("{}-{}.tgz", c.metadata.name, c.metadata.version))
        .collect();
    if let Ok(entries) = std::fs::read_dir(&charts_dir) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = staged
                .iter()
                .any(|c| name.starts_with(&format!("{}-", c.metadata.name)));
            if path.is_file() && name.ends_with(".tgz") && ours && !written_names.contains(&name) {
                std::fs::remove_file(&path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
            }
        }
    }
    staged
        .iter()
        .map(|c| package_chart(c, &charts_dir))
        .collect()
}

fn lock_file_name(chart: &Chart) -> &'static str {
    if chart.metadata.api_version == API_VERSION_V1 {
        "requirements.lock"
    } else {
        "Chart.lock"
    }
}

/// `helm dependency update`: resolve, vendor into `charts/`, and write the lock file.
pub fn update_dependencies(chart_dir: &Path) -> Result<Lock, Error> {
    let chart = load_dir(chart_dir)?;
    let requested = &chart.metadata.dependencies;
    let locked = resolve(chart_dir, requested)?;
    let lock = Lock {
        generated: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        digest: hash_requirements(requested, &locked)?,
        dependencies: locked,
    };
    vendor(chart_dir, &lock.dependencies)?;
    let json =
        serde_json::to_value(&lock).map_err(|e| Error::Archive(format!("encoding lock: {e}")))?;
    let path = chart_dir.join(lock_file_name(&chart));
    std::fs::write(&path, crate::values::to_yaml_string(&json)).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    Ok(lock)
}

/// `helm dependency build`: vendor the versions in the lock file (or update without one);
/// refuses a lock whose digest no longer matches `Chart.yaml`.
pub fn build_dependencies(chart_dir: &Path) -> Result<(), Error> {
    let chart = load_dir(chart_dir)?;
    let Some(lock) = &chart.lock else {
        return update_dependencies(chart_dir).map(|_| ());
    };
    let lock: Lock = serde_json::from_value(lock.clone())
        .map_err(|e| Error::Vendor(format!("cannot read {}: {e}", lock_file_name(&chart))))?;
    let digest = hash_requirements(&chart.metadata.dependencies, &lock.dependencies)?;
    if digest != lock.digest {
        let (lock_name, deps_name) = if chart.metadata.api_version == API_VERSION_V1 {
            ("requirements.lock", "requirements.yaml")
        } else {
            ("Chart.lock", "Chart.yaml")
        };
        return Err(Error::Vendor(format!(
            "the lock file ({lock_name}) is out of sync with the dependencies file ({deps_name}). Please update the dependencies"
        )));
    }
    vendor(chart_dir, &lock.dependencies).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::shared_dir;

    #[test]
    fn the_lock_digest_matches_the_one_helm_wrote() {
        for case in ["nginx", "postgresql", "redis", "wordpress", "prometheus"] {
            let chart =
                load_chart(shared_dir().join("conformance").join(case).join("chart")).unwrap();
            let lock: Lock = serde_json::from_value(chart.lock.clone().unwrap()).unwrap();
            let digest =
                hash_requirements(&chart.metadata.dependencies, &lock.dependencies).unwrap();
            assert_eq!(digest, lock.digest, "{case}");
        }
    }

    use crate::test_support::write_file as write;

    fn parent_with_local_dep(root: &Path, constraint: &str) -> PathBuf {
        write(
            root,
            "lib/Chart.yaml",
            "apiVersion: v2\nname: lib\nversion: 1.2.3\n",
        );
        write(root, "lib/values.yaml", "# defaults\nport: 80\n");
        write(root, "lib/templates/cm.yaml", "kind: ConfigMap\n");
        let app = root.join("app");
        write(
            &app,
            "Chart.yaml",
            &format!(
                "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: lib\n  version: \"{constraint}\"\n  repository: file://../lib\n"
            ),
        );
        app
    }

    #[test]
    fn update_vendors_file_dependencies_and_writes_a_lock_build_accepts() {
        let tmp = tempfile::tempdir().unwrap();
        let app = parent_with_local_dep(tmp.path(), "^1.0.0");
        let lock = update_dependencies(&app).unwrap();
        assert_eq!(lock.dependencies[0].version, "1.2.3");
        assert!(app.join("charts/lib-1.2.3.tgz").is_file());
        let chart = load_chart(&app).unwrap();
        assert_eq!(
            chart.dependencies[0].values["port"],
            serde_json::json!(80.0)
        );
        let (statuses, warnings) = list_dependencies(&app).unwrap();
        assert_eq!(statuses[0].status, "ok");
        assert!(warnings.is_empty());
        std::fs::remove_file(app.join("charts/lib-1.2.3.tgz")).unwrap();
        assert_eq!(list_dependencies(&app).unwrap().0[0].status, "missing");
        build_dependencies(&app).unwrap();
        assert!(app.join("charts/lib-1.2.3.tgz").is_file());
    }

    #[test]
    fn build_refuses_a_lock_out_of_sync_with_chart_yaml() {
        let tmp = tempfile::tempdir().unwrap();
        let app = parent_with_local_dep(tmp.path(), "^1.0.0");
        update_dependencies(&app).unwrap();
        let text = std::fs::read_to_string(app.join("Chart.yaml")).unwrap();
        std::fs::write(app.join("Chart.yaml"), text.replace("^1.0.0", "~1.2.0")).unwrap();
        let err = build_dependencies(&app).unwrap_err().to_string();
        assert!(err.contains("out of sync"), "{err}");
    }

    #[test]
    fn an_unsatisfiable_constraint_names_the_dependency() {
        let tmp = tempfile::tempdir().unwrap();
        let app = parent_with_local_dep(tmp.path(), "^2.0.0");
        let err = update_dependencies(&app).unwrap_err().to_string();
        assert!(
            err.starts_with("can't get a valid version for 1 subchart(s): \"lib\""),
            "{err}"
        );
    }

    #[test]
    fn remote_repositories_are_reported_as_unsupported() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: x\n  version: 1.x\n  repository: https://example.invalid/charts\n",
        );
        assert!(
            update_dependencies(tmp.path())
                .unwrap_err()
                .to_string()
                .contains("not supported")
        );
    }

    #[test]
    fn statuses_report_wrong_versions_and_unpacked_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let app = parent_with_local_dep(tmp.path(), "^2.0.0");
        write(
            &app,
            "charts/lib/Chart.yaml",
            "apiVersion: v2\nname: lib\nversion: 1.2.3\n",
        );
        write(
            &app,
            "charts/extra/Chart.yaml",
            "apiVersion: v2\nname: extra\nversion: 1.0.0\n",
        );
        let (statuses, warnings) = list_dependencies(&app).unwrap();
        assert_eq!(statuses[0].status, "wrong version");
        assert_eq!(warnings, ["WARNING: \"extra\" is not in Chart.yaml."]);
        let text = std::fs::read_to_string(app.join("Chart.yaml")).unwrap();
        std::fs::write(app.join("Chart.yaml"), text.replace("^2.0.0", "1.x")).unwrap();
        assert_eq!(list_dependencies(&app).unwrap().0[0].status, "unpacked");
    }

    #[test]
    fn a_dependency_without_repository_is_locked_as_vendored_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let app = tmp.path().join("app");
        std::fs::create_dir_all(app.join("charts/db")).unwrap();
        std::fs::write(
            app.join("Chart.yaml"),
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: db\n  version: 1.x\n",
        )
        .unwrap();
        std::fs::write(
            app.join("charts/db/Chart.yaml"),
            "apiVersion: v2\nname: db\nversion: 1.2.0\n",
        )
        .unwrap();
        let lock = update_dependencies(&app).unwrap();
        assert_eq!(lock.dependencies[0].name, "db");
        assert_eq!(lock.dependencies[0].version, "1.x");
        assert!(lock.dependencies[0].repository.is_empty());
        // Go's json.Marshal of [requested, locked] keeps `"repository":""` (no omitempty).
        assert_eq!(
            lock.digest,
            format!(
                "sha256:{}",
                hex::encode(sha2::Sha256::digest(
                    br#"[[{"name":"db","version":"1.x","repository":""}],[{"name":"db","version":"1.x","repository":""}]]"#
                ))
            )
        );
        let entries: Vec<_> = std::fs::read_dir(app.join("charts")).unwrap().collect();
        assert_eq!(
            entries.len(),
            1,
            "nothing packaged next to the vendored folder"
        );
        build_dependencies(&app).unwrap();

        std::fs::remove_dir_all(app.join("charts/db")).unwrap();
        let err = update_dependencies(&app).unwrap_err().to_string();
        assert!(err.contains("charts/db not found"), "{err}");
    }
}
