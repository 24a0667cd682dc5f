//! `.helmignore` rules: which files of a chart directory are left out when loading it.
//!
//! Helm counterpart: `internal/ignore/rules.go`, including its quirks, which this module keeps
//! for compatibility: patterns are Go `filepath.Match` globs (no `**`); a pattern without `/`
//! matches the base name only, one with `/` the whole relative path, a leading `/` anchors at
//! the root; a trailing `/` matches directories only; and a negated rule (`!x`) ignores every
//! path it does *not* match (Helm returns "ignore" for a non-match of a negation). The default
//! rule `templates/.?*` is always added. Rules apply to the top chart directory only.

/// Why a `.helmignore` could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreError {
    /// `**` is not supported by Helm.
    #[error("double-star (**) syntax is not supported")]
    DoubleStar,
    /// The glob is malformed (Go's `filepath.ErrBadPattern`).
    #[error("syntax error in pattern")]
    BadPattern,
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: String,
    /// The glob as characters, for matching; `None` when it has no wildcard or escape, so
    /// that it matches by string equality (most rules: `.git`, `OWNERS`).
    wild: Option<Vec<char>>,
    negate: bool,
    must_dir: bool,
    anchor: Anchor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// Leading `/`: match the whole path from the root.
    Root,
    /// Contains `/`: match the whole relative path.
    Path,
    /// No `/`: match the base name.
    Base,
}

/// A parsed set of ignore rules, evaluated in order.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

impl IgnoreRules {
    /// Parses `.helmignore` text (one rule per line, `#` comments) and adds Helm's defaults.
    pub fn parse(text: &str) -> Result<Self, IgnoreError> {
        let mut rules = IgnoreRules::default();
        for line in text.lines() {
            rules.add_rule(line)?;
        }
        rules.add_defaults();
        Ok(rules)
    }

    /// Rules with only Helm's defaults (`templates/.?*`).
    pub fn defaults() -> Self {
        let mut rules = IgnoreRules::default();
        rules.add_defaults();
        rules
    }

    fn add_defaults(&mut self) {
        // A constant, known-good rule; parsing it cannot fail.
        let _ = self.add_rule("templates/.?*");
    }

    fn add_rule(&mut self, rule: &str) -> Result<(), IgnoreError> {
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err(IgnoreError::DoubleStar);
        }
        glob_match(rule, "abc")?;
        let (negate, rule) = match rule.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, rule),
        };
        let (must_dir, rule) = match rule.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, rule),
        };
        let (anchor, glob) = if let Some(rest) = rule.strip_prefix('/') {
            (Anchor::Root, rest)
        } else if rule.contains('/') {
            (Anchor::Path, rule)
        } else {
            (Anchor::Base, rule)
        };
        let wild = glob
            .contains(['*', '?', '[', '\\'])
            .then(|| glob.chars().collect());
        self.patterns.push(Pattern {
            glob: glob.to_string(),
            wild,
            negate,
            must_dir,
            anchor,
        });
        Ok(())
    }

    /// Whether the chart-relative `path` (with `/` separators) is ignored.
    pub fn ignores(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        // Characters of the path and of its base name, made once, when a wildcard needs them.
        let (mut path_chars, mut base_chars) = (None, None);
        for p in &self.patterns {
            let (subject, chars) = match p.anchor {
                Anchor::Root | Anchor::Path => (path, &mut path_chars),
                Anchor::Base => (base, &mut base_chars),
            };
            // A bad pattern never matches (Go's Match fails); validity does not matter here.
            let matched = match &p.wild {
                None => p.glob == subject,
                Some(glob) => {
                    let name: &Vec<char> = chars.get_or_insert_with(|| subject.chars().collect());
                    match_from(glob, name).unwrap_or(false)
                }
            };
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

/// Go's `path/filepath.Match` with `/` as the separator: `*`, `?`, `[a-z]`, `[^x]`, `\` escapes.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, IgnoreError> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let result = match_from(&p, &n)?;
    if !result {
        // Go reports a bad pattern even when an early mismatch stops matching; check fully.
        validate_pattern(&p)?;
    }
    Ok(result)
}

fn validate_pattern(p: &[char]) -> Result<(), IgnoreError> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err(IgnoreError::BadPattern);
                }
                i += 2;
            }
            '[' => {
                let (_, next) = match_class(p, i, 'a')?;
                i = next;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

fn match_from(p: &[char], n: &[char]) -> Result<bool, IgnoreError> {
    let (mut pi, mut ni) = (0, 0);
    // Backtracking point for the last `*`: (pattern index after star, name index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi + 1, ni));
                    pi += 1;
                    continue;
                }
                '?' if ni < n.len() && n[ni] != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' if ni < n.len() => {
                    let (ok, next) = match_class(p, pi, n[ni])?;
                    if ok && n[ni] != '/' {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                }
                '\\' => {
                    let c = *p.get(pi + 1).ok_or(IgnoreError::BadPattern)?;
                    if ni < n.len() && n[ni] == c {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                }
                c if c != '?' && c != '[' && ni < n.len() && n[ni] == c => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        } else if ni == n.len() {
            return Ok(true);
        }
        // Mismatch: let the last star swallow one more non-separator character.
        match star {
            Some((sp, sn)) if sn < n.len() && n[sn] != '/' => {
                star = Some((sp, sn + 1));
                pi = sp;
                ni = sn + 1;
            }
            _ => return Ok(false),
        }
    }
}

/// Matches `c` against the class starting at `p[start] == '['`; returns the index after `]`.
fn match_class(p: &[char], start: usize, c: char) -> Result<(bool, usize), IgnoreError> {
    let mut i = start + 1;
    let negated = p.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let Some(&ch) = p.get(i) else {
            return Err(IgnoreError::BadPattern);
        };
        if ch == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        let (lo, next) = class_char(p, i)?;
        i = next;
        let mut hi = lo;
        if p.get(i) == Some(&'-') {
            let (h, next) = class_char(p, i + 1)?;
            hi = h;
            i = next;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    Ok((matched != negated, i))
}

fn class_char(p: &[char], i: usize) -> Result<(char, usize), IgnoreError> {
    match p.get(i) {
        None | Some('-') | Some(']') => Err(IgnoreError::BadPattern),
        Some('\\') => p
            .get(i + 1)
            .map(|&c| (c, i + 2))
            .ok_or(IgnoreError::BadPattern),
        Some(&c) => Ok((c, i + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_star_does_not_cross_slashes() {
        assert!(glob_match("*.txt", "a.txt").unwrap());
        assert!(!glob_match("*.txt", "d/a.txt").unwrap());
        assert!(glob_match("d/*.txt", "d/a.txt").unwrap());
        assert!(glob_match("a?c", "abc").unwrap());
        assert!(glob_match("[a-c]x", "bx").unwrap());
        assert!(!glob_match("[^a-c]x", "bx").unwrap());
        assert!(glob_match("\\*", "*").unwrap());
    }

    #[test]
    fn malformed_classes_are_bad_patterns() {
        assert_eq!(glob_match("[a-", "x"), Err(IgnoreError::BadPattern));
        assert!(IgnoreRules::parse("[\n").is_err());
    }

    #[test]
    fn double_star_is_rejected() {
        assert_eq!(
            IgnoreRules::parse("a/**/b").unwrap_err(),
            IgnoreError::DoubleStar
        );
    }

    #[test]
    fn patterns_without_slash_match_base_names_anywhere() {
        let r = IgnoreRules::parse("*.swp\n# comment\n\n").unwrap();
        assert!(r.ignores("templates/x.swp", false));
        assert!(r.ignores("a.swp", false));
        assert!(!r.ignores("a.yaml", false));
    }

    #[test]
    fn trailing_slash_matches_directories_only() {
        let r = IgnoreRules::parse("ci/\n").unwrap();
        assert!(r.ignores("ci", true));
        assert!(!r.ignores("ci", false));
    }

    #[test]
    fn leading_slash_anchors_to_the_root() {
        let r = IgnoreRules::parse("/README.md\n").unwrap();
        assert!(r.ignores("README.md", false));
        assert!(!r.ignores("docs/README.md", false));
    }

    #[test]
    fn hidden_files_in_templates_are_ignored_by_default() {
        let r = IgnoreRules::defaults();
        assert!(r.ignores("templates/.hidden.yaml", false));
        assert!(!r.ignores("templates/a.yaml", false));
        assert!(!r.ignores("charts/sub/templates/.x", false));
    }

    #[test]
    fn a_negated_rule_ignores_what_it_does_not_match() {
        let r = IgnoreRules::parse("!keep.txt\n").unwrap();
        assert!(r.ignores("other.txt", false));
        assert!(!r.ignores("keep.txt", false));
    }

    #[test]
    fn the_root_itself_is_never_ignored() {
        let r = IgnoreRules::parse("*\n").unwrap();
        assert!(!r.ignores(".", true));
        assert!(!r.ignores("", true));
    }
}
