//! Semantic version constraints as Helm evaluates them (`kubeVersion`, dependency versions).
//!
//! Helm counterpart: Masterminds `semver/v3` `constraints.go`, used by
//! `pkg/chart/common/util.IsCompatibleRange` and `pkg/chart/v2/util/dependencies.go`.
//! Grammar: `||` separates alternatives, `,` or spaces join conditions, operators
//! `= != > < >= => <= =< ~ ~> ^`, wildcards `x X *` and missing parts, hyphen ranges
//! `1.2 - 1.4.5`. A prerelease version satisfies a condition only if the condition's version
//! has a prerelease too: hence the common `>=1.19.0-0`, which admits `v1.20.2-gke.1`.
use std::sync::OnceLock;

use regex::Regex;
use semver::Version;

use super::validate::parse_version;

const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

struct Regexes {
    one: Regex,
    find: Regex,
    valid: Regex,
    range: Regex,
}

fn regexes() -> Option<&'static Regexes> {
    static CELL: OnceLock<Option<Regexes>> = OnceLock::new();
    CELL.get_or_init(|| {
        Some(Regexes {
            one: Regex::new(&format!(r"^\s*({OPS})\s*({CV})\s*$")).ok()?,
            find: Regex::new(&format!(r"({OPS})\s*({CV})")).ok()?,
            valid: Regex::new(&format!(
                r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
            ))
            .ok()?,
            range: Regex::new(&format!(r"\s*({CV})\s+-\s+({CV})\s*")).ok()?,
        })
    })
    .as_ref()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Debug, Clone)]
struct Condition {
    op: Op,
    version: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

/// A parsed constraint: alternatives (`||`) of conjunctions.
#[derive(Debug, Clone)]
pub struct Constraint {
    alternatives: Vec<Vec<Condition>>,
}

/// A constraint string that does not parse (Masterminds' `improper constraint: …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("improper constraint: {0}")]
pub struct ConstraintError(pub String);

impl Constraint {
    /// Parses a constraint such as `>=1.19.0-0 <1.30.0 || ~2.1`.
    pub fn parse(text: &str) -> Result<Self, ConstraintError> {
        let re = regexes().ok_or_else(|| ConstraintError(text.to_string()))?;
        let rewritten = re
            .range
            .replace_all(text, " >= ${1}, <= ${11} ")
            .into_owned();
        let mut alternatives = Vec::new();
        for part in rewritten.split("||") {
            if !re.valid.is_match(part) {
                return Err(ConstraintError(part.to_string()));
            }
            let found: Vec<&str> = re.find.find_iter(part).map(|m| m.as_str()).collect();
            let pieces = if found.is_empty() { vec![part] } else { found };
            let conditions = pieces
                .into_iter()
                .map(|p| parse_condition(re, p))
                .collect::<Result<Vec<_>, _>>()?;
            alternatives.push(conditions);
        }
        Ok(Constraint { alternatives })
    }

    /// Whether `version` satisfies any alternative.
    pub fn matches(&self, version: &Version) -> bool {
        self.alternatives
            .iter()
            .any(|all| all.iter().all(|c| c.check(version)))
    }
}

fn parse_condition(re: &Regexes, text: &str) -> Result<Condition, ConstraintError> {
    let bad = || ConstraintError(text.to_string());
    if text.trim().is_empty() {
        return Ok(Condition {
            op: Op::TildeOrEqual,
            version: Version::new(0, 0, 0),
            dirty: true,
            minor_dirty: false,
            patch_dirty: false,
        });
    }
    let m = re.one.captures(text).ok_or_else(bad)?;
    let op = match m.get(1).map_or("", |g| g.as_str()) {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        _ => return Err(bad()),
    };
    let group = |i: usize| m.get(i).map_or("", |g| g.as_str());
    let is_x = |s: &str| matches!(s, "x" | "X" | "*");
    let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let ver = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        dirty = true;
        minor_dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        group(2).to_string()
    };
    let version = parse_version(&ver).ok_or_else(bad)?;
    Ok(Condition {
        op,
        version,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Condition {
    fn check(&self, v: &Version) -> bool {
        let c = &self.version;
        if !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        let cmp = v.cmp_precedence(c);
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    cmp.is_eq()
                }
            }
            Op::NotEqual => {
                if !self.dirty {
                    return !cmp.is_eq();
                }
                if c.major != v.major {
                    return true;
                }
                if self.minor_dirty {
                    return false;
                }
                if c.minor != v.minor {
                    return true;
                }
                if self.patch_dirty {
                    return false;
                }
                c.patch != v.patch
            }
            Op::Greater => {
                if !self.dirty {
                    return cmp.is_gt();
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor > c.minor;
                }
                cmp.is_gt()
            }
            Op::Less => cmp.is_lt(),
            Op::GreaterEqual => cmp.is_ge(),
            Op::LessEqual => {
                if !self.dirty {
                    return cmp.is_le();
                }
                if v.major > c.major {
                    return false;
                }
                !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => {
                if cmp.is_lt() {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.major == 0 && v.minor == c.minor;
                }
                v.major == 0 && v.minor == 0 && v.patch == c.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.cmp_precedence(c).is_lt() {
            return false;
        }
        // `~0.0.0` (and `*`) accepts everything from 0.0.0 up.
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        if v.minor != c.minor && !self.minor_dirty {
            return false;
        }
        true
    }
}

/// Helm's `IsCompatibleRange`: false when either side does not parse.
pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    match (parse_version(version), Constraint::parse(constraint)) {
        (Some(v), Ok(c)) => c.matches(&v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(c: &str, v: &str) -> bool {
        is_compatible_range(c, v)
    }

    #[test]
    fn comparison_operators_follow_semver_order() {
        assert!(ok(">=1.19.0", "1.20.2"));
        assert!(!ok(">=1.21.0", "1.20.2"));
        assert!(ok(">1.2.3, <2", "1.5.0"));
        assert!(ok(">1.2.3 <2", "1.5.0"));
        assert!(!ok(">1.2.3 <2", "2.0.0"));
        assert!(ok("!=1.2.3", "1.2.4"));
        assert!(ok("<=1.2", "1.2.9"));
        assert!(!ok("<=1.2", "1.3.0"));
    }

    #[test]
    fn prereleases_only_match_constraints_with_a_prerelease() {
        assert!(!ok(">=1.19.0", "1.20.2-gke.100"));
        assert!(ok(">=1.19.0-0", "1.20.2-gke.100"));
        assert!(ok(">=1.19.0-0", "v1.20.2"));
    }

    #[test]
    fn wildcards_tilde_and_caret_ranges() {
        assert!(ok("1.2.x", "1.2.9"));
        assert!(!ok("1.2.x", "1.3.0"));
        assert!(ok("~1.2.3", "1.2.9"));
        assert!(!ok("~1.2.3", "1.3.0"));
        assert!(ok("^1.2.3", "1.9.0"));
        assert!(!ok("^1.2.3", "2.0.0"));
        assert!(ok("^0.2.3", "0.2.9"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok("*", "3.4.5"));
        assert!(
            !ok("", "3.4.5"),
            "an empty constraint does not parse in Masterminds semver"
        );
        assert!(ok("1.x || 3.x", "3.4.5"));
    }

    #[test]
    fn hyphen_ranges_are_inclusive() {
        assert!(ok("1.2 - 1.4.5", "1.4.5"));
        assert!(ok("1.2 - 1.4.5", "1.2.0"));
        assert!(!ok("1.2 - 1.4.5", "1.4.6"));
    }

    #[test]
    fn garbage_is_not_a_constraint() {
        assert!(Constraint::parse("hello").is_err());
        assert!(!ok("hello", "1.0.0"));
        assert!(!ok(">=1.0.0", "not-a-version"));
    }
}

/// Refuses a chart whose `kubeVersion` constraint excludes the cluster's version (Helm's
/// install/upgrade check; an empty constraint accepts any version).
pub fn check_kube_version(chart: &super::Chart, kube_version: &str) -> Result<(), super::Error> {
    let constraint = &chart.metadata.kube_version;
    if constraint.is_empty() || is_compatible_range(constraint, kube_version) {
        return Ok(());
    }
    Err(super::Error::KubeVersion {
        constraint: constraint.clone(),
        kube_version: kube_version.to_string(),
    })
}

/// The warning Helm prints before installing a chart marked `deprecated: true`.
pub fn deprecation_warning(chart: &super::Chart) -> Option<String> {
    chart
        .metadata
        .deprecated
        .then(|| "This chart is deprecated".to_string())
}

#[cfg(test)]
mod kube_version_tests {
    use super::*;
    use crate::chart::{Chart, Metadata};

    fn chart(kube: &str) -> Chart {
        Chart {
            metadata: Metadata {
                kube_version: kube.into(),
                ..Metadata::default()
            },
            ..Chart::default()
        }
    }

    #[test]
    fn an_incompatible_kube_version_is_refused_with_helms_message() {
        let err = check_kube_version(&chart(">=1.25.0-0"), "v1.20.2").unwrap_err();
        assert_eq!(
            err.to_string(),
            "chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.20.2"
        );
        assert!(check_kube_version(&chart(">=1.16.0-0"), "v1.20.2").is_ok());
        assert!(check_kube_version(&chart(""), "v1.20.2").is_ok());
    }

    #[test]
    fn deprecated_charts_carry_a_warning() {
        let mut c = chart("");
        assert_eq!(deprecation_warning(&c), None);
        c.metadata.deprecated = true;
        assert_eq!(
            deprecation_warning(&c).as_deref(),
            Some("This chart is deprecated")
        );
    }
}
