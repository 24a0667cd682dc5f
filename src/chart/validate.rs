//! Chart metadata validation and version checks (`Chart.yaml` rules, `kubeVersion`).
//!
//! Helm counterpart: `pkg/chart/v2/metadata.go` (`Metadata.Validate`, `Dependency.Validate`),
//! `pkg/chart/common/util/capabilities.go` (`IsCompatibleRange`) and the Masterminds semver
//! library (lenient versions such as `v1.2`, constraints such as `>=1.19.0-0 <1.30`).
use std::collections::HashSet;

use super::Metadata;

/// Chart API versions this loader understands.
pub const API_VERSION_V1: &str = "v1";
/// Chart API version 2 (dependencies in `Chart.yaml`).
pub const API_VERSION_V2: &str = "v2";

/// Checks `Chart.yaml` data as Helm does; the message is Helm's text without `validation: `.
pub fn validate_metadata(md: &mut Metadata) -> Result<(), String> {
    sanitize_metadata(md);
    if md.api_version.is_empty() {
        return Err("chart.metadata.apiVersion is required".into());
    }
    if md.name.is_empty() {
        return Err("chart.metadata.name is required".into());
    }
    // Helm: the name must equal its own `filepath.Base`, i.e. hold no `/`.
    if md.name.contains('/') {
        return Err(format!("chart.metadata.name {:?} is invalid", md.name));
    }
    if md.version.is_empty() {
        return Err("chart.metadata.version is required".into());
    }
    if parse_version(&md.version).is_none() {
        return Err(format!(
            "chart.metadata.version {:?} is invalid",
            md.version
        ));
    }
    if !matches!(md.chart_type.as_str(), "" | "application" | "library") {
        return Err("chart.metadata.type must be application or library".into());
    }
    let mut seen = HashSet::new();
    for dep in &md.dependencies {
        if !dep.alias.is_empty()
            && !dep
                .alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "dependency {:?} has disallowed characters in the alias",
                dep.name
            ));
        }
        let key = if dep.alias.is_empty() {
            &dep.name
        } else {
            &dep.alias
        };
        if !seen.insert(key.clone()) {
            return Err(format!(
                "more than one dependency with name or alias {key:?}"
            ));
        }
    }
    Ok(())
}

/// Helm strips non-printable characters from metadata strings before validating.
fn sanitize_metadata(md: &mut Metadata) {
    fn clean(s: &mut String) {
        if s.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            *s = s
                .chars()
                .filter(|c| !c.is_control() || c.is_whitespace())
                .collect();
        }
    }
    for s in [
        &mut md.name,
        &mut md.home,
        &mut md.version,
        &mut md.description,
        &mut md.icon,
        &mut md.api_version,
        &mut md.condition,
        &mut md.tags,
        &mut md.app_version,
        &mut md.kube_version,
        &mut md.chart_type,
    ] {
        clean(s);
    }
    for m in &mut md.maintainers {
        clean(&mut m.name);
        clean(&mut m.email);
        clean(&mut m.url);
    }
}

/// Parses a version the lenient way Masterminds `semver.NewVersion` does: optional `v`,
/// missing minor/patch default to 0, optional prerelease and build metadata.
pub fn parse_version(text: &str) -> Option<semver::Version> {
    let body = text.strip_prefix('v').unwrap_or(text);
    let (core, build) = match body.split_once('+') {
        Some((c, b)) => (c, Some(b)),
        None => (body, None),
    };
    let (core, pre) = match core.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core, None),
    };
    let nums: Vec<&str> = core.split('.').collect();
    if nums.is_empty() || nums.len() > 3 {
        return None;
    }
    let mut parts = [0u64; 3];
    for (i, n) in nums.iter().enumerate() {
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts[i] = n.parse().ok()?;
    }
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let pre = match pre {
        Some(p) if ident_ok(p) => semver::Prerelease::new(p).ok()?,
        Some(_) => return None,
        None => semver::Prerelease::EMPTY,
    };
    let build = match build {
        Some(b) if ident_ok(b) => semver::BuildMetadata::new(b).ok()?,
        Some(_) => return None,
        None => semver::BuildMetadata::EMPTY,
    };
    Some(semver::Version {
        major: parts[0],
        minor: parts[1],
        patch: parts[2],
        pre,
        build,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(name: &str, version: &str) -> Metadata {
        Metadata {
            name: name.into(),
            version: version.into(),
            api_version: "v2".into(),
            ..Metadata::default()
        }
    }

    #[test]
    fn missing_name_and_version_use_helms_messages() {
        assert_eq!(
            validate_metadata(&mut md("", "1.0.0")).unwrap_err(),
            "chart.metadata.name is required"
        );
        assert_eq!(
            validate_metadata(&mut md("a", "")).unwrap_err(),
            "chart.metadata.version is required"
        );
    }

    #[test]
    fn invalid_semver_is_rejected_and_lenient_forms_accepted() {
        assert!(
            validate_metadata(&mut md("a", "one"))
                .unwrap_err()
                .contains("is invalid")
        );
        assert!(validate_metadata(&mut md("a", "v1.2")).is_ok());
        assert!(validate_metadata(&mut md("a", "1.2.3-rc.1+build.5")).is_ok());
    }

    #[test]
    fn a_name_with_a_slash_is_invalid() {
        assert_eq!(
            validate_metadata(&mut md("a/b", "1.0.0")).unwrap_err(),
            "chart.metadata.name \"a/b\" is invalid"
        );
    }

    #[test]
    fn unknown_chart_type_is_rejected() {
        let mut m = md("a", "1.0.0");
        m.chart_type = "plugin".into();
        assert_eq!(
            validate_metadata(&mut m).unwrap_err(),
            "chart.metadata.type must be application or library"
        );
    }

    #[test]
    fn duplicate_dependency_names_or_aliases_are_rejected() {
        let mut m = md("a", "1.0.0");
        m.dependencies = vec![
            crate::chart::Dependency {
                name: "x".into(),
                ..Default::default()
            },
            crate::chart::Dependency {
                name: "y".into(),
                alias: "x".into(),
                ..Default::default()
            },
        ];
        assert!(
            validate_metadata(&mut m)
                .unwrap_err()
                .contains("more than one dependency")
        );
    }

    #[test]
    fn lenient_versions_fill_missing_parts_with_zero() {
        let v = parse_version("v1.20").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 20, 0));
        assert!(parse_version("1.2.3.4").is_none());
    }
}
