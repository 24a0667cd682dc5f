//! Sprig's path, URL, semantic-version, UUID and network functions.
//!
//! Helm counterpart: Masterminds/sprig v3 (`functions.go` path entries → Go's `path` and
//! `path/filepath`, `url.go`, `semver.go` → Masterminds/semver v3 constraints, `crypto.go`
//! `uuidv4`, `network.go` `getHostByName`). `os*` path functions behave as on Linux.
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::super::value::{Func, FuncError, Object, Value};
use super::conv::strval;
use super::{FuncResult, args, str_arg, string_value};

/// Registers the path, URL, semver, UUID and network functions.
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("base", base),
        ("dir", dir),
        ("clean", clean),
        ("ext", ext),
        ("isAbs", is_abs),
        ("osBase", base),
        ("osDir", dir),
        ("osClean", clean),
        ("osExt", ext),
        ("osIsAbs", is_abs),
        ("urlParse", url_parse),
        ("urlJoin", url_join),
        ("semver", semver_fn),
        ("semverCompare", semver_compare),
        ("uuidv4", uuidv4),
        ("getHostByName", get_host_by_name),
    ];
    m.extend(fs.iter().copied());
}

/// Go's `path.Clean`.
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn path_dir(p: &str) -> String {
    let idx = p.rfind('/').map_or(0, |i| i + 1);
    clean_path(&p[..idx])
}

fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}

fn one_path(name: &str, a: &[Value], f: fn(&str) -> String) -> FuncResult {
    let [p] = args::<1>(name, a)?;
    Ok(string_value(f(str_arg(p)?)))
}

fn base(a: &[Value]) -> FuncResult {
    one_path("base", a, path_base)
}

fn dir(a: &[Value]) -> FuncResult {
    one_path("dir", a, path_dir)
}

fn clean(a: &[Value]) -> FuncResult {
    one_path("clean", a, clean_path)
}

fn ext(a: &[Value]) -> FuncResult {
    one_path("ext", a, path_ext)
}

fn is_abs(a: &[Value]) -> FuncResult {
    let [p] = args::<1>("isAbs", a)?;
    Ok(Value::Bool(str_arg(p)?.starts_with('/')))
}

/// The parts of a URL as Go's `net/url.Parse` splits them.
#[derive(Default)]
struct Url {
    scheme: String,
    opaque: String,
    userinfo: Option<String>,
    host: String,
    path: String,
    raw_query: String,
    fragment: String,
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or_else(|| format!("invalid URL escape {:?}", &s[i..]))?;
            let v = u8::from_str_radix(hex, 16)
                .map_err(|_| format!("invalid URL escape \"%{hex}\""))?;
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn parse_url(raw: &str) -> Result<Url, String> {
    let mut u = Url::default();
    let (rest, frag) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    if let Some(f) = frag {
        u.fragment = percent_decode(f)?;
    }
    let mut rest = rest.to_string();
    if let Some(colon) = rest.find(':') {
        let cand = &rest[..colon];
        let valid = cand.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && cand
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            u.scheme = cand.to_ascii_lowercase();
            rest = rest[colon + 1..].to_string();
        } else if colon == 0 {
            return Err("missing protocol scheme".into());
        }
    }
    if let Some((r, q)) = rest.split_once('?') {
        u.raw_query = q.to_string();
        rest = r.to_string();
    }
    if !rest.starts_with('/') && !u.scheme.is_empty() {
        u.opaque = rest;
        return Ok(u);
    }
    if let Some(after) = rest.strip_prefix("//") {
        let (authority, path) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        let host = match authority.rfind('@') {
            Some(i) => {
                u.userinfo = Some(authority[..i].to_string());
                &authority[i + 1..]
            }
            None => authority,
        };
        u.host = percent_decode(host)?;
        u.path = percent_decode(path)?;
    } else {
        u.path = percent_decode(&rest)?;
    }
    Ok(u)
}

fn hostname(host: &str) -> String {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_string();
    }
    match host.rfind(':') {
        Some(i) if host[i + 1..].chars().all(|c| c.is_ascii_digit()) => host[..i].to_string(),
        _ => host.to_string(),
    }
}

fn url_parse(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("urlParse", a)?;
    let u = parse_url(str_arg(v)?).map_err(|e| FuncError(format!("unable to parse url: {e}")))?;
    let mut m = BTreeMap::new();
    m.insert("scheme".to_string(), string_value(u.scheme.as_str()));
    m.insert("host".to_string(), string_value(u.host.as_str()));
    m.insert("hostname".to_string(), string_value(hostname(&u.host)));
    m.insert("path".to_string(), string_value(u.path.as_str()));
    m.insert("query".to_string(), string_value(u.raw_query.as_str()));
    m.insert("opaque".to_string(), string_value(u.opaque.as_str()));
    m.insert("fragment".to_string(), string_value(u.fragment.as_str()));
    m.insert(
        "userinfo".to_string(),
        string_value(u.userinfo.unwrap_or_default()),
    );
    Ok(Value::Map(Rc::new(RefCell::new(m))))
}

fn url_join(a: &[Value]) -> FuncResult {
    let [d] = args::<1>("urlJoin", a)?;
    let Value::Map(m) = d else {
        return Err(super::wrong_type("map[string]interface {}", d));
    };
    let m = m.borrow();
    let get = |k: &str| m.get(k).map(strval).unwrap_or_default();
    let (scheme, host, path, query, opaque, fragment, user) = (
        get("scheme"),
        get("host"),
        get("path"),
        get("query"),
        get("opaque"),
        get("fragment"),
        get("userinfo"),
    );
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !user.is_empty() {
            if !host.is_empty() || !path.is_empty() || !user.is_empty() {
                out.push_str("//");
            }
            if !user.is_empty() {
                out.push_str(&user);
                out.push('@');
            }
            out.push_str(&host);
        }
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&path);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&fragment);
    }
    Ok(string_value(out))
}

/// A semantic version as Masterminds/semver v3 parses it (lenient: `v` prefix and
/// missing minor/patch allowed).
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

/// Parses a version like Masterminds/semver's `NewVersion`.
pub fn parse_version(s: &str) -> Result<Version, FuncError> {
    let invalid = || FuncError("Invalid Semantic Version".into());
    let body = s.strip_prefix('v').unwrap_or(s);
    let (body, metadata) = match body.split_once('+') {
        Some((b, m)) => (b, m.to_string()),
        None => (body, String::new()),
    };
    let (nums, pre) = match body.split_once('-') {
        Some((n, p)) => (n, p.to_string()),
        None => (body, String::new()),
    };
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return Err(invalid());
    }
    let mut n = [0u64; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        n[i] = p.parse().map_err(|_| invalid())?;
    }
    let ident_ok = |x: &str| {
        x.split('.')
            .all(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    if (!pre.is_empty() && !ident_ok(&pre)) || (!metadata.is_empty() && !ident_ok(&metadata)) {
        return Err(invalid());
    }
    Ok(Version {
        major: n[0],
        minor: n[1],
        patch: n[2],
        pre,
        metadata,
        original: s.to_string(),
    })
}

fn compare_pre(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (xa, xb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for (p, q) in xa.iter().zip(xb.iter()) {
        let ord = match (p.parse::<u64>(), q.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            _ => p.cmp(q),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    xa.len().cmp(&xb.len())
}

impl Version {
    fn cmp(&self, o: &Version) -> std::cmp::Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| compare_pre(&self.pre, &o.pre))
    }

    fn string(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            s.push('+');
            s.push_str(&self.metadata);
        }
        s
    }
}

impl Object for Version {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Major" => Value::uint64(self.major),
            "Minor" => Value::uint64(self.minor),
            "Patch" => Value::uint64(self.patch),
            "Prerelease" => string_value(self.pre.as_str()),
            "Metadata" => string_value(self.metadata.as_str()),
            "Original" => string_value(self.original.as_str()),
            "String" => string_value(self.string()),
            _ => return None,
        })
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let other = || -> Result<Version, FuncError> {
            match args.first() {
                Some(Value::Object(o)) => parse_version(&o.display()),
                Some(Value::String(s)) => parse_version(s),
                _ => Err(FuncError(
                    "wrong type for value; expected *semver.Version".into(),
                )),
            }
        };
        Some(match name {
            "Compare" => other().map(|o| Value::Int(self.cmp(&o) as i64)),
            "LessThan" => other().map(|o| Value::Bool(self.cmp(&o).is_lt())),
            "GreaterThan" => other().map(|o| Value::Bool(self.cmp(&o).is_gt())),
            "Equal" => other().map(|o| Value::Bool(self.cmp(&o).is_eq())),
            _ => return None,
        })
    }

    fn display(&self) -> String {
        self.string()
    }
}

/// One `op version` term of a Masterminds constraint.
struct Term {
    op: String,
    v: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    any: bool,
}

fn parse_term(t: &str) -> Result<Term, FuncError> {
    let bad = || FuncError(format!("improper constraint: {t}"));
    let t = t.trim();
    let op_len = t
        .find(|c: char| c.is_ascii_alphanumeric() || c == '*')
        .ok_or_else(bad)?;
    let op = t[..op_len].trim().to_string();
    if !matches!(
        op.as_str(),
        "" | "=" | "!=" | ">" | "<" | ">=" | "=>" | "<=" | "=<" | "~" | "~>" | "^"
    ) {
        return Err(bad());
    }
    let ver = t[op_len..].trim();
    let ver = ver.strip_prefix('v').unwrap_or(ver);
    let (core, suffix) = match ver.find(['-', '+']) {
        Some(i) => (&ver[..i], &ver[i..]),
        None => (ver, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return Err(bad());
    }
    let wild = |p: &str| matches!(p, "x" | "X" | "*");
    let any = wild(parts[0]);
    let minor_dirty = any || parts.len() < 2 || wild(parts[1]);
    let patch_dirty = minor_dirty || parts.len() < 3 || wild(parts[2]);
    let nums: Vec<String> = (0..3)
        .map(|i| {
            parts
                .get(i)
                .filter(|p| !wild(p))
                .map_or("0".to_string(), |p| p.to_string())
        })
        .collect();
    let v = parse_version(&format!("{}.{}.{}{suffix}", nums[0], nums[1], nums[2]))
        .map_err(|_| bad())?;
    Ok(Term {
        op,
        v,
        minor_dirty,
        patch_dirty,
        any,
    })
}

impl Term {
    fn check(&self, v: &Version) -> bool {
        use std::cmp::Ordering::*;
        if !v.pre.is_empty() && self.v.pre.is_empty() {
            return false;
        }
        let c = &self.v;
        let dirty = self.minor_dirty || self.patch_dirty;
        match self.op.as_str() {
            "" | "=" => {
                if self.any {
                    return true;
                }
                if dirty {
                    return self.tilde(v);
                }
                v.cmp(c) == Equal
            }
            "!=" => {
                if self.any {
                    return false;
                }
                if dirty {
                    return !self.tilde(v);
                }
                v.cmp(c) != Equal
            }
            ">" => {
                if self.any {
                    return false;
                }
                if !dirty {
                    return v.cmp(c) == Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if v.minor != c.minor {
                    return v.minor > c.minor;
                }
                false
            }
            "<" => !self.any && v.cmp(c) == Less,
            ">=" | "=>" => self.any || v.cmp(c) != Less,
            "<=" | "=<" => {
                if self.any {
                    return true;
                }
                if !dirty {
                    return v.cmp(c) != Greater;
                }
                if v.major != c.major {
                    return v.major < c.major;
                }
                if self.minor_dirty {
                    return true;
                }
                v.minor <= c.minor
            }
            "~" | "~>" => self.tilde(v),
            "^" => {
                if self.any {
                    return true;
                }
                if v.cmp(c) == Less {
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
            _ => false,
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        if self.any {
            return true;
        }
        if v.cmp(&self.v).is_lt() {
            return false;
        }
        if v.major != self.v.major {
            return false;
        }
        if v.minor != self.v.minor && !self.minor_dirty {
            return false;
        }
        true
    }
}

/// Masterminds/semver v3 `NewConstraint(c).Check(v)`.
pub fn check_constraint(constraint: &str, version: &str) -> Result<bool, FuncError> {
    let mut groups = Vec::new();
    for group in constraint.split("||") {
        let normalized = normalize_constraint(group);
        let mut terms = Vec::new();
        for t in normalized.split(',') {
            if t.trim().is_empty() {
                return Err(FuncError(format!("improper constraint: {constraint}")));
            }
            if let Some((lo, hi)) = t.split_once(" - ") {
                terms.push(parse_term(&format!(">={}", lo.trim()))?);
                terms.push(parse_term(&format!("<={}", hi.trim()))?);
            } else {
                terms.push(parse_term(t)?);
            }
        }
        groups.push(terms);
    }
    let v = parse_version(version)?;
    Ok(groups.iter().any(|g| g.iter().all(|t| t.check(&v))))
}

/// Turns space-separated terms (`>=1.2 <2`) into comma-separated ones, keeping ranges.
fn normalize_constraint(group: &str) -> String {
    let tokens: Vec<&str> = group.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i];
        if tok == "-" && !out.is_empty() && i + 1 < tokens.len() {
            let last = out.pop().unwrap_or_default();
            out.push(format!("{last} - {}", tokens[i + 1]));
            i += 2;
            continue;
        }
        let is_op_only = tok.chars().all(|c| "<>=!~^".contains(c));
        if is_op_only && i + 1 < tokens.len() {
            out.push(format!("{tok}{}", tokens[i + 1]));
            i += 2;
            continue;
        }
        if let Some(last) = out.last_mut()
            && last.ends_with(',')
        {
            last.push_str(tok);
        } else if tok.starts_with(',') {
            if let Some(last) = out.last_mut() {
                last.push_str(tok);
            }
        } else {
            out.push(tok.to_string());
        }
        i += 1;
    }
    out.join(",").replace(",,", ",")
}

fn semver_fn(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("semver", a)?;
    Ok(Value::Object(Rc::new(parse_version(str_arg(v)?)?)))
}

fn semver_compare(a: &[Value]) -> FuncResult {
    let [c, v] = args::<2>("semverCompare", a)?;
    Ok(Value::Bool(check_constraint(str_arg(c)?, str_arg(v)?)?))
}

fn uuidv4(a: &[Value]) -> FuncResult {
    args::<0>("uuidv4", a)?;
    Ok(string_value(uuid::Uuid::new_v4().to_string()))
}

/// Helm's `getHostByName` without `--enable-dns`: takes a name, resolves nothing, returns `""`.
pub(crate) fn get_host_by_name_disabled(a: &[Value]) -> FuncResult {
    let [n] = args::<1>("getHostByName", a)?;
    str_arg(n)?;
    Ok(string_value(""))
}

fn get_host_by_name(a: &[Value]) -> FuncResult {
    use std::net::ToSocketAddrs;
    let [n] = args::<1>("getHostByName", a)?;
    let name = str_arg(n)?;
    let addrs: Vec<String> = (name, 0)
        .to_socket_addrs()
        .map(|it| it.map(|s| s.ip().to_string()).collect())
        .unwrap_or_default();
    if addrs.is_empty() {
        return Err(FuncError("invalid argument to Intn".into()));
    }
    Ok(string_value(addrs[0].as_str()))
}

#[cfg(test)]
mod tests {
    use super::super::super::gofmt::format_value;
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn call(f: Func, a: &[Value]) -> String {
        match f(a) {
            Ok(v) => format_value(&v),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn paths_follow_go_path_package() {
        assert_eq!(call(base, &[s("/a/b.txt")]), "b.txt");
        assert_eq!(call(base, &[s("/a/b/")]), "b");
        assert_eq!(call(base, &[s("")]), ".");
        assert_eq!(call(dir, &[s("/a/b/c")]), "/a/b");
        assert_eq!(call(dir, &[s("file")]), ".");
        assert_eq!(call(clean, &[s("a//b/../c/./d/")]), "a/c/d");
        assert_eq!(call(clean, &[s("/../x")]), "/x");
        assert_eq!(call(clean, &[s("../../x")]), "../../x");
        assert_eq!(call(ext, &[s("a/b.tar.gz")]), ".gz");
        assert_eq!(call(ext, &[s("a.b/c")]), "");
        assert_eq!(call(is_abs, &[s("/x")]), "true");
    }

    #[test]
    fn url_parse_and_join_round_trip() {
        let parsed = url_parse(&[s("https://user:pw@example.com:8443/a/b?x=1#frag")]).unwrap();
        assert_eq!(
            format_value(&parsed),
            "map[fragment:frag host:example.com:8443 hostname:example.com opaque: path:/a/b query:x=1 scheme:https userinfo:user:pw]"
        );
        assert_eq!(
            call(url_join, &[parsed]),
            "https://user:pw@example.com:8443/a/b?x=1#frag"
        );
        let opaque = url_parse(&[s("mailto:a@b.c")]).unwrap();
        assert_eq!(call(url_join, &[opaque]), "mailto:a@b.c");
    }

    #[test]
    fn semver_compare_follows_masterminds_constraints() {
        let cases = [
            (">=1.19-0", "v1.20.2", true),
            ("<1.19-0", "v1.20.2", false),
            (">=1.16.0-0 <1.22.0-0", "1.20.2", true),
            (">= 1.2, < 2.0", "1.9.9", true),
            (">= 1.2, < 2.0", "2.0.0", false),
            ("^1.2.3", "1.9.0", true),
            ("^1.2.3", "2.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("1.2.x", "1.2.7", true),
            ("1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.4", false),
            (">1.2", "1.2.5", false),
            (">1.2", "1.3.0", true),
            ("*", "5.0.0", true),
            (">=1.0.0", "1.5.0-beta.1", false),
            ("<=1.x", "1.9.0", true),
            ("1.0 - 2.0", "1.5.0", true),
            (">2.0 || <1.0", "0.5.0", true),
            ("!=1.2.3", "1.2.4", true),
        ];
        for (c, v, want) in cases {
            assert_eq!(check_constraint(c, v).unwrap(), want, "{c} vs {v}");
        }
        assert!(check_constraint(">=1.0", "not-a-version").is_err());
    }

    #[test]
    fn semver_exposes_fields() {
        let v = semver_fn(&[s("v1.2.3-beta.1+build")]).unwrap();
        let Value::Object(o) = v else {
            panic!("not an object")
        };
        assert_eq!(format_value(&o.field("Major").unwrap()), "1");
        assert_eq!(format_value(&o.field("Prerelease").unwrap()), "beta.1");
        assert_eq!(o.display(), "1.2.3-beta.1+build");
    }

    #[test]
    fn uuidv4_has_version_four_shape() {
        let u = call(uuidv4, &[]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
