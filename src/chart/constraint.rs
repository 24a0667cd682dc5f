//! Semantic version constraints as Helm evaluates them (`kubeVersion`, dependency versions).
//!
//! Helm counterpart: Masterminds `semver/v3` `constraints.go`, used by
//! `pkg/chart/common/util.IsCompatibleRange` and `pkg/chart/v2/util/dependencies.go`.
//! Grammar: `||` separates alternatives, `,` or spaces join conditions, operators
//! `= != > < >= => <= =< ~ ~> ^`, wildcards `x X *` and missing parts, hyphen ranges
//! `1.2 - 1.4.5`. A prerelease version satisfies a condition only if the condition's version
//! has a prerelease too: hence the common `>=1.19.0-0`, which admits `v1.20.2-gke.1`.
use semver::Version;

use super::validate::parse_version;

// The grammar is Masterminds' regular expressions, matched by hand: compiling them costs
// more than a whole `rhelm template` run should. Go's patterns, for reference:
//   CV  = v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?
//         (-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?
//   OPS = =||!=|>|<|>=|=>|<=|=<|~|~>|\^
//   one   = ^\s*(OPS)\s*(CV)\s*$
//   find  = (OPS)\s*(CV)
//   valid = ^(\s*(OPS)\s*(CV)\s*)((?:\s+|,\s*)(OPS)\s*(CV)\s*)*$
//   range = \s*(CV)\s+-\s+(CV)\s*        (replaced by ` >= $1, <= $2 `)
// No character of CV is a space, comma or operator, so each pattern has exactly one way to
// match at a given start: greedy scanning is the regex's leftmost-first match. `\s` is
// Go's `[\t\n\f\r ]`; a character class's `|` is literal, as in Go.

/// Go's `\s`.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// CV's `[0-9|x|X|\*]`.
fn is_number(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'|' | b'x' | b'X' | b'*')
}

/// CV's `[0-9A-Za-z\-]`.
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Operators longest first: where two could start at one place, only the longer can be
/// followed by a version, so this order finds the alternative Go's regex would take.
const OPERATORS: [&str; 11] = ["!=", ">=", "=>", "<=", "=<", "~>", "=", ">", "<", "~", "^"];

/// Where a run of spaces starting at `i` ends.
fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|b| is_space(*b)) {
        i += 1;
    }
    i
}

/// Where a run of `class` characters starting at `i` ends.
fn skip_class(s: &[u8], mut i: usize, class: fn(u8) -> bool) -> usize {
    while s.get(i).is_some_and(|b| class(*b)) {
        i += 1;
    }
    i
}

/// A version matched by CV: byte offsets into the scanned text.
#[derive(Debug, Clone, Copy)]
struct Cv {
    start: usize,
    end: usize,
    major: (usize, usize),
    /// `.minor`, dot included (empty range if absent).
    minor: (usize, usize),
    /// `.patch`, dot included.
    patch: (usize, usize),
    /// `-prerelease`, dash included.
    pre: (usize, usize),
}

/// `prefix` followed by one or more `class` characters at `i`; where that ends.
fn prefixed_run(s: &[u8], i: usize, prefix: u8, class: fn(u8) -> bool) -> Option<usize> {
    if s.get(i) == Some(&prefix) && s.get(i + 1).is_some_and(|b| class(*b)) {
        Some(skip_class(s, i + 1, class))
    } else {
        None
    }
}

/// `-ident(.ident)*` (or with `+`) at `i`; where it ends.
fn dotted_idents(s: &[u8], i: usize, prefix: u8) -> Option<usize> {
    let mut end = prefixed_run(s, i, prefix, is_ident)?;
    while let Some(next) = prefixed_run(s, end, b'.', is_ident) {
        end = next;
    }
    Some(end)
}

/// CV matched greedily at `i`.
fn scan_cv(s: &[u8], i: usize) -> Option<Cv> {
    let mut j = i;
    if s.get(j) == Some(&b'v') && s.get(j + 1).is_some_and(|b| is_number(*b)) {
        j += 1;
    }
    let major_end = skip_class(s, j, is_number);
    if major_end == j {
        return None;
    }
    let major = (j, major_end);
    let part = |at: usize| match prefixed_run(s, at, b'.', is_number) {
        Some(end) => (at, end),
        None => (at, at),
    };
    let minor = part(major.1);
    let patch = part(minor.1);
    let pre = match dotted_idents(s, patch.1, b'-') {
        Some(end) => (patch.1, end),
        None => (patch.1, patch.1),
    };
    let end = dotted_idents(s, pre.1, b'+').unwrap_or(pre.1);
    Some(Cv {
        start: i,
        end,
        major,
        minor,
        patch,
        pre,
    })
}

/// `(OPS)\s*(CV)` at `i`: the operator and the version.
fn scan_condition(s: &[u8], i: usize) -> Option<(&'static str, Cv)> {
    let rest = s.get(i..)?;
    let op = OPERATORS
        .iter()
        .copied()
        .find(|op| {
            rest.starts_with(op.as_bytes()) && scan_cv(s, skip_spaces(s, i + op.len())).is_some()
        })
        .unwrap_or("");
    scan_cv(s, skip_spaces(s, i + op.len())).map(|cv| (op, cv))
}

/// The `valid` pattern: conditions separated by spaces or a comma.
fn is_valid(s: &[u8]) -> bool {
    let mut i = skip_spaces(s, 0);
    loop {
        let Some((_, cv)) = scan_condition(s, i) else {
            return false;
        };
        let after = skip_spaces(s, cv.end);
        match s.get(after) {
            None => return true,
            Some(b',') => i = skip_spaces(s, after + 1),
            Some(_) if after > cv.end => i = after,
            Some(_) => return false,
        }
    }
}

/// The `find` pattern's matches, left to right, as `(start, end)`.
fn find_conditions(s: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match scan_condition(s, i) {
            Some((_, cv)) => {
                found.push((i, cv.end));
                i = cv.end;
            }
            None => i += 1,
        }
    }
    found
}

/// The `range` pattern replaced by ` >= FROM, <= TO ` everywhere (hyphen ranges).
fn rewrite_hyphen_ranges(text: &str) -> String {
    let s = text.as_bytes();
    let range_at = |i: usize| -> Option<(Cv, Cv, usize)> {
        let from = scan_cv(s, skip_spaces(s, i))?;
        let dash = skip_spaces(s, from.end);
        if dash == from.end || s.get(dash) != Some(&b'-') {
            return None;
        }
        let to_start = skip_spaces(s, dash + 1);
        if to_start == dash + 1 {
            return None;
        }
        let to = scan_cv(s, to_start)?;
        Some((from, to, skip_spaces(s, to.end)))
    };
    let mut out = String::with_capacity(text.len() + 8);
    let (mut copied, mut i) = (0, 0);
    while i < s.len() {
        match range_at(i) {
            Some((from, to, end)) => {
                out.push_str(&text[copied..i]);
                out.push_str(" >= ");
                out.push_str(&text[from.start..from.end]);
                out.push_str(", <= ");
                out.push_str(&text[to.start..to.end]);
                out.push(' ');
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
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
        let rewritten = rewrite_hyphen_ranges(text);
        let mut alternatives = Vec::new();
        for part in rewritten.split("||") {
            if !is_valid(part.as_bytes()) {
                return Err(ConstraintError(part.to_string()));
            }
            let found: Vec<&str> = find_conditions(part.as_bytes())
                .into_iter()
                .map(|(start, end)| &part[start..end])
                .collect();
            let pieces = if found.is_empty() { vec![part] } else { found };
            let conditions = pieces
                .into_iter()
                .map(parse_condition)
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

fn parse_condition(text: &str) -> Result<Condition, ConstraintError> {
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
    // The `one` pattern: the whole text is one condition.
    let s = text.as_bytes();
    let (op, cv) = scan_condition(s, skip_spaces(s, 0)).ok_or_else(bad)?;
    if skip_spaces(s, cv.end) != s.len() {
        return Err(bad());
    }
    let op = match op {
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
    let group = |(start, end): (usize, usize)| &text[start..end];
    let is_x = |s: &str| matches!(s, "x" | "X" | "*");
    let (major, minor, patch, pre) = (
        group(cv.major),
        group(cv.minor),
        group(cv.patch),
        group(cv.pre),
    );
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
        group((cv.start, cv.end)).to_string()
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
    use proptest::strategy::Strategy;

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

    #[test]
    fn spaces_commas_and_operator_spellings_parse_as_in_masterminds() {
        assert!(ok(" >= 1.2.3 ,< 2 ", "1.5.0"));
        assert!(ok("=> 1.2, =< 1.4", "1.4.0"));
        assert!(ok("~> 1.2", "1.2.7"));
        assert!(ok("\t>=1.2\n<2\r", "1.9.0"));
        assert!(ok("v1.2.3", "1.2.3"));
        assert!(ok("1.2.3-beta.1+build.5", "1.2.3-beta.1"));
        assert!(Constraint::parse(">1.2<2").is_err());
        assert!(Constraint::parse("1.2,,2").is_err());
        assert!(Constraint::parse("== 1.2").is_err());
        assert!(Constraint::parse("1.2.3-").is_err());
        assert_eq!(
            Constraint::parse("1|2").map(|_| ()),
            Err(ConstraintError("1|2".into()))
        );
    }

    #[test]
    fn hyphen_ranges_are_rewritten_wherever_the_pattern_matches() {
        assert_eq!(rewrite_hyphen_ranges("1.2 - 1.4.5"), " >= 1.2, <= 1.4.5 ");
        assert_eq!(
            rewrite_hyphen_ranges("1.2.3.4 - 5 || 7 - 8"),
            "1. >= 2.3.4, <= 5 || >= 7, <= 8 "
        );
        assert_eq!(rewrite_hyphen_ranges("1.2 -1.4"), "1.2 -1.4");
    }

    /// Masterminds' patterns compiled as regexes: the definition the scanner must follow.
    mod oracle {
        const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
        const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
        // Go's `\s` is ASCII; the inputs below never hold other spaces.
        fn re(pattern: String) -> regex::Regex {
            regex::Regex::new(&pattern.replace(r"\s", r"[\t\n\f\r ]")).unwrap()
        }
        pub fn one() -> regex::Regex {
            re(format!(r"^\s*({OPS})\s*({CV})\s*$"))
        }
        pub fn find() -> regex::Regex {
            re(format!(r"({OPS})\s*({CV})"))
        }
        pub fn valid() -> regex::Regex {
            re(format!(
                r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
            ))
        }
        pub fn range() -> regex::Regex {
            re(format!(r"\s*({CV})\s+-\s+({CV})\s*"))
        }
    }

    /// Pieces of constraints, glued at random into texts both well- and ill-formed.
    const TOKENS: &[&str] = &[
        " ", "  ", "\t", "\n", ",", ", ", "-", " - ", "||", "|", ".", "+", "=", "!=", ">", "<",
        ">=", "=>", "<=", "=<", "~", "~>", "^", "v", "1", "12", "1.2", "1.2.3", "0.0.0", "x", "X",
        "*", "1.x", "-beta", "-0", "-rc.1", "+build.7", ".4", "a", "v1.2",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn the_scanner_matches_exactly_what_the_masterminds_patterns_match(
            text in proptest::collection::vec(proptest::sample::select(TOKENS), 0..10)
                .prop_map(|tokens| tokens.concat())
        ) {
            let (one, find, valid, range) =
                (oracle::one(), oracle::find(), oracle::valid(), oracle::range());
            proptest::prop_assert_eq!(
                rewrite_hyphen_ranges(&text),
                range.replace_all(&text, " >= ${1}, <= ${11} ").into_owned()
            );
            let s = text.as_bytes();
            proptest::prop_assert_eq!(is_valid(s), valid.is_match(&text));
            let spans: Vec<(usize, usize)> =
                find.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            proptest::prop_assert_eq!(find_conditions(s), spans);
            let scanned = scan_condition(s, skip_spaces(s, 0))
                .filter(|(_, cv)| skip_spaces(s, cv.end) == s.len())
                .map(|(op, cv)| {
                    let g = |(a, b): (usize, usize)| text[a..b].to_string();
                    (op.to_string(), g((cv.start, cv.end)), g(cv.major), g(cv.minor), g(cv.patch), g(cv.pre))
                });
            let expected = one.captures(&text).map(|c| {
                let g = |i: usize| c.get(i).map_or("", |m| m.as_str()).to_string();
                (g(1), g(2), g(3), g(4), g(5), g(6))
            });
            proptest::prop_assert_eq!(scanned, expected);
        }
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
