//! Sprig's string functions: case, trimming, substrings, quoting, wrapping, regexes,
//! hashing, encodings, splitting and joining.
//!
//! Helm counterpart: Masterminds/sprig v3 `strings.go`, `regex.go`, `crypto.go` (hashes),
//! and the `goutils`/`xstrings` helpers they call. Byte offsets follow Go (`trunc`,
//! `substr` count bytes); a cut inside a UTF-8 sequence is replaced by U+FFFD because
//! our strings must stay valid UTF-8.
use std::collections::HashMap;

use rand::RngExt;
use regex::Regex;
use sha1::Digest;

use super::super::gofmt;
use super::super::value::{Func, FuncError, Value};
use super::conv::{strslice, strval};
use super::{FuncResult, args, int_arg, str_arg, string_list, string_value};

/// Registers the string functions.
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("trim", trim),
        ("trimAll", trim_all),
        ("trimall", trim_all),
        ("trimPrefix", trim_prefix),
        ("trimSuffix", trim_suffix),
        ("upper", upper),
        ("lower", lower),
        ("title", title),
        ("untitle", untitle),
        ("substr", substr),
        ("repeat", repeat),
        ("nospace", nospace),
        ("trunc", trunc),
        ("abbrev", abbrev),
        ("abbrevboth", abbrevboth),
        ("initials", initials),
        ("randAlpha", rand_alpha),
        ("randNumeric", rand_numeric),
        ("randAlphaNum", rand_alpha_num),
        ("randAscii", rand_ascii),
        ("wrap", wrap),
        ("wrapWith", wrap_with),
        ("contains", contains),
        ("hasPrefix", has_prefix),
        ("hasSuffix", has_suffix),
        ("quote", quote),
        ("squote", squote),
        ("cat", cat),
        ("indent", indent),
        ("nindent", nindent),
        ("replace", replace),
        ("plural", plural),
        ("snakecase", snakecase),
        ("camelcase", camelcase),
        ("kebabcase", kebabcase),
        ("swapcase", swapcase),
        ("shuffle", shuffle),
        ("regexMatch", regex_match),
        ("mustRegexMatch", must_regex_match),
        ("regexFindAll", regex_find_all),
        ("mustRegexFindAll", must_regex_find_all),
        ("regexFind", regex_find),
        ("mustRegexFind", must_regex_find),
        ("regexReplaceAll", regex_replace_all),
        ("mustRegexReplaceAll", must_regex_replace_all),
        ("regexReplaceAllLiteral", regex_replace_all_literal),
        ("mustRegexReplaceAllLiteral", must_regex_replace_all_literal),
        ("regexSplit", regex_split),
        ("mustRegexSplit", must_regex_split),
        ("regexQuoteMeta", regex_quote_meta),
        ("sha1sum", sha1sum),
        ("sha256sum", sha256sum),
        ("sha512sum", sha512sum),
        ("adler32sum", adler32sum),
        ("toString", to_string),
        ("split", split),
        ("splitList", split_list),
        ("splitn", splitn),
        ("join", join),
        ("toStrings", to_strings),
        ("sortAlpha", sort_alpha),
        ("b64enc", b64enc),
        ("b64dec", b64dec),
        ("b32enc", b32enc),
        ("b32dec", b32dec),
    ];
    m.extend(fs.iter().copied());
}

fn s1(name: &str, a: &[Value], f: impl FnOnce(&str) -> String) -> FuncResult {
    let [s] = args::<1>(name, a)?;
    Ok(string_value(f(str_arg(s)?)))
}

/// Go's `s[a:b]` on bytes, lossy where the cut splits a character.
fn byte_slice(s: &str, a: usize, b: usize) -> String {
    String::from_utf8_lossy(&s.as_bytes()[a..b]).into_owned()
}

fn runtime_error(msg: String) -> FuncError {
    FuncError(format!("runtime error: {msg}"))
}

/// Go's `unicode.IsSpace`.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c as u32 > 0xff && c.is_whitespace())
}

/// Go's `unicode.ToUpper` (one rune to one rune).
pub(crate) fn to_upper_rune(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `unicode.ToLower` (one rune to one rune).
pub(crate) fn to_lower_rune(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn go_upper(s: &str) -> String {
    s.chars().map(to_upper_rune).collect()
}

fn go_lower(s: &str) -> String {
    s.chars().map(to_lower_rune).collect()
}

fn go_trim_space(s: &str) -> &str {
    s.trim_matches(is_space)
}

fn trim(a: &[Value]) -> FuncResult {
    s1("trim", a, |s| go_trim_space(s).to_string())
}

fn two_strings<'a>(name: &str, a: &'a [Value]) -> Result<(&'a str, &'a str), FuncError> {
    let [x, y] = args::<2>(name, a)?;
    Ok((str_arg(x)?, str_arg(y)?))
}

fn trim_all(a: &[Value]) -> FuncResult {
    let (cut, s) = two_strings("trimAll", a)?;
    Ok(string_value(s.trim_matches(|c| cut.contains(c))))
}

fn trim_prefix(a: &[Value]) -> FuncResult {
    let (p, s) = two_strings("trimPrefix", a)?;
    Ok(string_value(s.strip_prefix(p).unwrap_or(s)))
}

fn trim_suffix(a: &[Value]) -> FuncResult {
    let (p, s) = two_strings("trimSuffix", a)?;
    Ok(string_value(s.strip_suffix(p).unwrap_or(s)))
}

fn upper(a: &[Value]) -> FuncResult {
    s1("upper", a, go_upper)
}

fn lower(a: &[Value]) -> FuncResult {
    s1("lower", a, go_lower)
}

/// Go's `strings.Title` separator rule.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphanumeric() {
        return false;
    }
    is_space(c)
}

fn title(a: &[Value]) -> FuncResult {
    s1("title", a, |s| {
        let mut prev = ' ';
        s.chars()
            .map(|c| {
                let out = if is_separator(prev) {
                    to_upper_rune(c)
                } else {
                    c
                };
                prev = c;
                out
            })
            .collect()
    })
}

fn untitle(a: &[Value]) -> FuncResult {
    s1("untitle", a, |s| {
        let mut next = true;
        s.chars()
            .map(|c| {
                if is_space(c) {
                    next = true;
                    c
                } else if next {
                    next = false;
                    to_lower_rune(c)
                } else {
                    c
                }
            })
            .collect()
    })
}

fn substr(a: &[Value]) -> FuncResult {
    let [start, end, s] = args::<3>("substr", a)?;
    let (start, end, s) = (int_arg(start)?, int_arg(end)?, str_arg(s)?);
    let len = s.len() as i64;
    if start < 0 {
        if end < 0 || end > len {
            return Err(runtime_error(format!(
                "slice bounds out of range [:{end}] with length {len}"
            )));
        }
        return Ok(string_value(byte_slice(s, 0, end as usize)));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(runtime_error(format!(
                "slice bounds out of range [{start}:{len}]"
            )));
        }
        return Ok(string_value(byte_slice(s, start as usize, s.len())));
    }
    if start > end {
        return Err(runtime_error(format!(
            "slice bounds out of range [{start}:{end}]"
        )));
    }
    Ok(string_value(byte_slice(s, start as usize, end as usize)))
}

fn go_repeat(s: &str, count: i64) -> Result<String, FuncError> {
    if count < 0 {
        return Err(FuncError("strings: negative Repeat count".into()));
    }
    if (s.len() as u128) * (count as u128) > (1u128 << 31) {
        return Err(FuncError("strings: Repeat output length overflow".into()));
    }
    Ok(s.repeat(count as usize))
}

fn repeat(a: &[Value]) -> FuncResult {
    let [n, s] = args::<2>("repeat", a)?;
    // Go checks `count int` before `str string`.
    let count = int_arg(n)?;
    Ok(string_value(go_repeat(str_arg(s)?, count)?))
}

fn nospace(a: &[Value]) -> FuncResult {
    s1("nospace", a, |s| {
        s.chars().filter(|c| !is_space(*c)).collect()
    })
}

fn trunc(a: &[Value]) -> FuncResult {
    let [n, s] = args::<2>("trunc", a)?;
    let (c, s) = (int_arg(n)?, str_arg(s)?);
    let len = s.len() as i64;
    if c < 0 && len + c > 0 {
        return Ok(string_value(byte_slice(s, (len + c) as usize, s.len())));
    }
    if c >= 0 && len > c {
        return Ok(string_value(byte_slice(s, 0, c as usize)));
    }
    Ok(string_value(s))
}

/// goutils `AbbreviateFull`; `None` where it returns an error.
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> Option<String> {
    if s.is_empty() {
        return Some(String::new());
    }
    if max_width < 4 {
        return None;
    }
    let len = s.len() as i64;
    if len <= max_width {
        return Some(s.to_string());
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return Some(byte_slice(s, 0, (max_width - 3) as usize) + "...");
    }
    if max_width < 7 {
        return None;
    }
    if offset + max_width - 3 < len {
        let rest = byte_slice(s, offset as usize, s.len());
        let inner = abbreviate_full(&rest, 0, max_width - 3)?;
        return Some(format!("...{inner}"));
    }
    Some(format!(
        "...{}",
        byte_slice(s, (len - (max_width - 3)) as usize, s.len())
    ))
}

fn abbrev(a: &[Value]) -> FuncResult {
    let [w, s] = args::<2>("abbrev", a)?;
    let (w, s) = (int_arg(w)?, str_arg(s)?);
    if s.len() as i64 <= w {
        return Ok(string_value(s));
    }
    Ok(string_value(abbreviate_full(s, 0, w).unwrap_or_default()))
}

fn abbrevboth(a: &[Value]) -> FuncResult {
    let [l, r, s] = args::<3>("abbrevboth", a)?;
    let (l, r, s) = (int_arg(l)?, int_arg(r)?, str_arg(s)?);
    if r < 4 || l > 0 && r < 7 {
        return Ok(string_value(s));
    }
    Ok(string_value(abbreviate_full(s, l, r).unwrap_or_default()))
}

fn initials(a: &[Value]) -> FuncResult {
    s1("initials", a, |s| {
        let mut gap = true;
        let mut out = String::new();
        for c in s.chars() {
            if is_space(c) {
                gap = true;
            } else if gap {
                out.push(c);
                gap = false;
            }
        }
        out
    })
}

fn random_from(name: &str, a: &[Value], alphabet: &[u8]) -> FuncResult {
    let [n] = args::<1>(name, a)?;
    let n = int_arg(n)?;
    if n < 0 {
        return Ok(string_value(""));
    }
    let mut rng = rand::rng();
    let s: String = (0..n)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect();
    Ok(string_value(s))
}

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";

fn rand_alpha(a: &[Value]) -> FuncResult {
    random_from("randAlpha", a, ALPHA)
}

fn rand_numeric(a: &[Value]) -> FuncResult {
    random_from("randNumeric", a, DIGITS)
}

fn rand_alpha_num(a: &[Value]) -> FuncResult {
    random_from(
        "randAlphaNum",
        a,
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    )
}

fn rand_ascii(a: &[Value]) -> FuncResult {
    let printable: Vec<u8> = (32u8..127).collect();
    random_from("randAscii", a, &printable)
}

/// goutils `WrapCustom` (byte-based, as in Go).
fn wrap_custom(s: &str, wrap_length: i64, new_line: &str, wrap_long_words: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let nl = if new_line.is_empty() { "\n" } else { new_line };
    let wl = wrap_length.max(1) as usize;
    let b = s.as_bytes();
    let len = b.len();
    let mut offset = 0usize;
    let mut out = String::new();
    while len - offset > wl {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (wl + offset + 1).min(len);
        let space = b[offset..end].iter().rposition(|c| *c == b' ');
        if let Some(sp) = space {
            let at = sp + offset;
            out.push_str(&byte_slice(s, offset, at));
            out.push_str(nl);
            offset = at + 1;
        } else if wrap_long_words {
            let end = wl + offset;
            out.push_str(&byte_slice(s, offset, end));
            out.push_str(nl);
            offset += wl;
        } else {
            let end = wl + offset;
            match b[end..].iter().position(|c| *c == b' ') {
                None => {
                    out.push_str(&byte_slice(s, offset, len));
                    offset = len;
                }
                Some(idx) => {
                    let at = idx + end;
                    out.push_str(&byte_slice(s, offset, at));
                    out.push_str(nl);
                    offset = at + 1;
                }
            }
        }
    }
    out.push_str(&byte_slice(s, offset, len));
    out
}

fn wrap(a: &[Value]) -> FuncResult {
    let [l, s] = args::<2>("wrap", a)?;
    Ok(string_value(wrap_custom(
        str_arg(s)?,
        int_arg(l)?,
        "",
        false,
    )))
}

fn wrap_with(a: &[Value]) -> FuncResult {
    let [l, sep, s] = args::<3>("wrapWith", a)?;
    Ok(string_value(wrap_custom(
        str_arg(s)?,
        int_arg(l)?,
        str_arg(sep)?,
        true,
    )))
}

fn contains(a: &[Value]) -> FuncResult {
    let (sub, s) = two_strings("contains", a)?;
    Ok(Value::Bool(s.contains(sub)))
}

fn has_prefix(a: &[Value]) -> FuncResult {
    let (p, s) = two_strings("hasPrefix", a)?;
    Ok(Value::Bool(s.starts_with(p)))
}

fn has_suffix(a: &[Value]) -> FuncResult {
    let (p, s) = two_strings("hasSuffix", a)?;
    Ok(Value::Bool(s.ends_with(p)))
}

fn quote(a: &[Value]) -> FuncResult {
    let out: Vec<String> = a
        .iter()
        .filter(|v| !matches!(v, Value::Nil))
        .map(|v| gofmt::quote(&strval(v)))
        .collect();
    Ok(string_value(out.join(" ")))
}

fn squote(a: &[Value]) -> FuncResult {
    let out: Vec<String> = a
        .iter()
        .filter(|v| !matches!(v, Value::Nil))
        .map(|v| format!("'{}'", gofmt::format_value(v)))
        .collect();
    Ok(string_value(out.join(" ")))
}

fn cat(a: &[Value]) -> FuncResult {
    let out: Vec<String> = a
        .iter()
        .filter(|v| !matches!(v, Value::Nil))
        .map(gofmt::format_value)
        .collect();
    Ok(string_value(out.join(" ")))
}

fn do_indent(spaces: i64, s: &str) -> Result<String, FuncError> {
    let pad = go_repeat(" ", spaces)?;
    Ok(format!("{pad}{}", s.replace('\n', &format!("\n{pad}"))))
}

fn indent(a: &[Value]) -> FuncResult {
    let [n, s] = args::<2>("indent", a)?;
    Ok(string_value(do_indent(int_arg(n)?, str_arg(s)?)?))
}

fn nindent(a: &[Value]) -> FuncResult {
    let [n, s] = args::<2>("nindent", a)?;
    Ok(string_value(format!(
        "\n{}",
        do_indent(int_arg(n)?, str_arg(s)?)?
    )))
}

fn replace(a: &[Value]) -> FuncResult {
    let [old, new, src] = args::<3>("replace", a)?;
    Ok(string_value(
        str_arg(src)?.replace(str_arg(old)?, str_arg(new)?),
    ))
}

fn plural(a: &[Value]) -> FuncResult {
    let [one, many, n] = args::<3>("plural", a)?;
    let (one, many, n) = (str_arg(one)?, str_arg(many)?, int_arg(n)?);
    Ok(string_value(if n == 1 { one } else { many }))
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// xstrings v1.5 `ToCamelCase`: connectors removed and the next rune upper-cased; a word
/// that starts upper-case has its following upper-case runes lowered (`GOLANG` → `Golang`).
fn to_camel_case(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    let mut r0 = '\0';
    let mut first_upper = false;
    let mut found = false;
    for c in chars.by_ref() {
        if !is_connector(c) {
            first_upper = c.is_uppercase();
            r0 = to_upper_rune(c);
            found = true;
            break;
        }
        out.push(c);
    }
    if !found {
        return out;
    }
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = r0.is_uppercase();
            r0 = to_upper_rune(r0);
        } else {
            if first_upper {
                if r0.is_uppercase() {
                    r0 = to_lower_rune(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

/// xstrings v1.5 `ToSnakeCase`/`ToKebabCase`: every connector (`-`, `_`, space) becomes
/// `sep`; words split at lower→upper, at the last capital of an acronym (`HTTPServer`),
/// and around digit runs (`HTTP2xx` → `http_2xx`, `Bld4Floor` → `bld4_floor`).
fn to_lower_words(s: &str, sep: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    // Whether the digit run being read was attached to the word before it.
    let mut digits_attached = false;
    for (i, &c) in chars.iter().enumerate() {
        if is_connector(c) {
            out.push(sep);
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let mut boundary = false;
        if let Some(p) = prev.filter(|p| !is_connector(*p)) {
            let (p_letter, c_letter) = (p.is_alphabetic(), c.is_alphabetic());
            if p.is_lowercase() && c.is_uppercase() {
                boundary = true;
            } else if p.is_uppercase() && c.is_uppercase() {
                boundary = next.is_some_and(|n| n.is_lowercase());
            } else if p_letter && c.is_numeric() {
                let mut j = i;
                while j < chars.len() && chars[j].is_numeric() {
                    j += 1;
                }
                let after = chars.get(j).copied();
                let capitalized_word = after.is_some_and(|n| n.is_uppercase())
                    && chars.get(j + 1).is_some_and(|n| n.is_lowercase());
                boundary = after.is_some_and(|n| n.is_alphabetic()) && !capitalized_word;
                digits_attached = !boundary;
            } else if p.is_numeric() && c_letter {
                boundary = digits_attached;
            }
        }
        if c.is_numeric() && !prev.is_some_and(|p| p.is_numeric() || p.is_alphabetic()) {
            digits_attached = false;
        }
        if boundary {
            out.push(sep);
        }
        out.push(to_lower_rune(c));
    }
    out
}

fn snakecase(a: &[Value]) -> FuncResult {
    s1("snakecase", a, |s| to_lower_words(s, '_'))
}

fn camelcase(a: &[Value]) -> FuncResult {
    s1("camelcase", a, to_camel_case)
}

fn kebabcase(a: &[Value]) -> FuncResult {
    s1("kebabcase", a, |s| to_lower_words(s, '-'))
}

fn swapcase(a: &[Value]) -> FuncResult {
    s1("swapcase", a, |s| {
        s.chars()
            .map(|c| {
                if c.is_uppercase() {
                    to_lower_rune(c)
                } else if c.is_lowercase() {
                    to_upper_rune(c)
                } else {
                    c
                }
            })
            .collect()
    })
}

fn shuffle(a: &[Value]) -> FuncResult {
    s1("shuffle", a, |s| {
        let mut chars: Vec<char> = s.chars().collect();
        let mut rng = rand::rng();
        for i in (1..chars.len()).rev() {
            let j = rng.random_range(0..=i);
            chars.swap(i, j);
        }
        chars.into_iter().collect()
    })
}

/// Compiles a regex with Go's error text on failure. Charts call the regex functions with
/// the same few patterns thousands of times per render, so compiled ones are cached per
/// thread (a `Regex` clone shares its compiled program).
fn compile(re: &str) -> Result<Regex, FuncError> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Regex>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(re).cloned()) {
        return Ok(hit);
    }
    let compiled = compile_uncached(re)?;
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        // Bounded: a template generating patterns must not grow memory without limit.
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert(re.to_string(), compiled.clone());
    });
    Ok(compiled)
}

fn compile_uncached(re: &str) -> Result<Regex, FuncError> {
    Regex::new(re).map_err(|e| {
        let detail = match &e {
            regex::Error::Syntax(s) => s
                .lines()
                .rev()
                .find(|l| l.starts_with("error:"))
                .map_or_else(
                    || s.clone(),
                    |l| l.trim_start_matches("error: ").to_string(),
                ),
            other => other.to_string(),
        };
        FuncError(format!("error parsing regexp: {detail}: `{re}`"))
    })
}

fn regex_match_impl(a: &[Value], name: &str) -> Result<bool, FuncError> {
    let (re, s) = two_strings(name, a)?;
    Ok(compile(re)?.is_match(s))
}

fn regex_match(a: &[Value]) -> FuncResult {
    Ok(Value::Bool(regex_match_impl(a, "regexMatch").or_else(
        |e| {
            if super::is_argument_error(&e) {
                Err(e)
            } else {
                Ok(false)
            }
        },
    )?))
}

fn must_regex_match(a: &[Value]) -> FuncResult {
    Ok(Value::Bool(regex_match_impl(a, "mustRegexMatch")?))
}

fn find_all_impl(name: &str, a: &[Value]) -> Result<Option<Vec<String>>, FuncError> {
    let [re, s, n] = args::<3>(name, a)?;
    let (re, s, n) = (str_arg(re)?, str_arg(s)?, int_arg(n)?);
    let r = compile(re)?;
    let mut out: Vec<String> = Vec::new();
    if n == 0 {
        return Ok(None);
    }
    for m in r.find_iter(s) {
        if n >= 0 && out.len() as i64 >= n {
            break;
        }
        out.push(m.as_str().to_string());
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}

fn regex_find_all(a: &[Value]) -> FuncResult {
    let found = find_all_impl("regexFindAll", a).or_else(|e| {
        if super::is_argument_error(&e) {
            Err(e)
        } else {
            Ok(None)
        }
    })?;
    Ok(string_list(found.unwrap_or_default()))
}

fn must_regex_find_all(a: &[Value]) -> FuncResult {
    Ok(string_list(
        find_all_impl("mustRegexFindAll", a)?.unwrap_or_default(),
    ))
}

fn find_impl(name: &str, a: &[Value]) -> Result<String, FuncError> {
    let (re, s) = two_strings(name, a)?;
    Ok(compile(re)?
        .find(s)
        .map(|m| m.as_str().to_string())
        .unwrap_or_default())
}

fn regex_find(a: &[Value]) -> FuncResult {
    match find_impl("regexFind", a) {
        Ok(s) => Ok(string_value(s)),
        Err(e) if super::is_argument_error(&e) => Err(e),
        Err(_) => Ok(string_value("")),
    }
}

fn must_regex_find(a: &[Value]) -> FuncResult {
    Ok(string_value(find_impl("mustRegexFind", a)?))
}

/// Go's `Regexp.Expand` template syntax converted to the regex crate's
/// (identical except that Go treats `$` before a non-name as literal).
fn replace_impl(name: &str, a: &[Value], literal: bool) -> Result<String, FuncError> {
    let [re, s, repl] = args::<3>(name, a)?;
    let (re, s, repl) = (str_arg(re)?, str_arg(s)?, str_arg(repl)?);
    let r = compile(re)?;
    Ok(if literal {
        r.replace_all(s, regex::NoExpand(repl)).into_owned()
    } else {
        r.replace_all(s, repl).into_owned()
    })
}

fn regex_replace_all(a: &[Value]) -> FuncResult {
    match replace_impl("regexReplaceAll", a, false) {
        Ok(s) => Ok(string_value(s)),
        Err(e) if super::is_argument_error(&e) => Err(e),
        Err(_) => Ok(string_value("")),
    }
}

fn must_regex_replace_all(a: &[Value]) -> FuncResult {
    Ok(string_value(replace_impl("mustRegexReplaceAll", a, false)?))
}

fn regex_replace_all_literal(a: &[Value]) -> FuncResult {
    match replace_impl("regexReplaceAllLiteral", a, true) {
        Ok(s) => Ok(string_value(s)),
        Err(e) if super::is_argument_error(&e) => Err(e),
        Err(_) => Ok(string_value("")),
    }
}

fn must_regex_replace_all_literal(a: &[Value]) -> FuncResult {
    Ok(string_value(replace_impl(
        "mustRegexReplaceAllLiteral",
        a,
        true,
    )?))
}

/// Go's `Regexp.Split`.
fn split_impl(name: &str, a: &[Value]) -> Result<Vec<String>, FuncError> {
    let [re, s, n] = args::<3>(name, a)?;
    let (re, s, n) = (str_arg(re)?, str_arg(s)?, int_arg(n)?);
    let r = compile(re)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if !re.is_empty() && s.is_empty() {
        return Ok(vec![String::new()]);
    }
    let mut out = Vec::new();
    let mut beg = 0usize;
    let mut end;
    for m in r.find_iter(s) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() == 0 {
            continue;
        }
        out.push(s[beg..end].to_string());
        beg = m.end();
    }
    out.push(s[beg..].to_string());
    Ok(out)
}

fn regex_split(a: &[Value]) -> FuncResult {
    match split_impl("regexSplit", a) {
        Ok(v) => Ok(string_list(v)),
        Err(e) if super::is_argument_error(&e) => Err(e),
        Err(_) => Ok(string_list(Vec::<String>::new())),
    }
}

fn must_regex_split(a: &[Value]) -> FuncResult {
    Ok(string_list(split_impl("mustRegexSplit", a)?))
}

fn regex_quote_meta(a: &[Value]) -> FuncResult {
    s1("regexQuoteMeta", a, |s| {
        let mut out = String::new();
        for c in s.chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    })
}

fn sha1sum(a: &[Value]) -> FuncResult {
    s1("sha1sum", a, |s| {
        hex::encode(sha1::Sha1::digest(s.as_bytes()))
    })
}

fn sha256sum(a: &[Value]) -> FuncResult {
    s1("sha256sum", a, |s| {
        hex::encode(sha2::Sha256::digest(s.as_bytes()))
    })
}

fn sha512sum(a: &[Value]) -> FuncResult {
    s1("sha512sum", a, |s| {
        hex::encode(sha2::Sha512::digest(s.as_bytes()))
    })
}

fn adler32sum(a: &[Value]) -> FuncResult {
    s1("adler32sum", a, |s| {
        let mut h = adler32::RollingAdler32::new();
        h.update_buffer(s.as_bytes());
        h.hash().to_string()
    })
}

fn to_string(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("toString", a)?;
    Ok(string_value(strval(v)))
}

/// Go's `strings.SplitN` (`n < 0`: all; `n == 0`: none; empty separator: per character).
pub(crate) fn go_split_n(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = s.chars().map(String::from).collect();
        if n < 0 || n as usize >= chars.len() {
            return chars;
        }
        let k = (n - 1) as usize;
        let mut out: Vec<String> = chars[..k].to_vec();
        out.push(chars[k..].concat());
        return out;
    }
    if n < 0 {
        s.split(sep).map(String::from).collect()
    } else {
        s.splitn(n as usize, sep).map(String::from).collect()
    }
}

fn split_map(parts: Vec<String>) -> Value {
    let m = Value::empty_map();
    if let Value::Map(inner) = &m {
        let mut inner = inner.borrow_mut();
        for (i, p) in parts.into_iter().enumerate() {
            inner.insert(format!("_{i}"), string_value(p));
        }
    }
    m
}

fn split(a: &[Value]) -> FuncResult {
    let (sep, s) = two_strings("split", a)?;
    Ok(split_map(go_split_n(s, sep, -1)))
}

fn split_list(a: &[Value]) -> FuncResult {
    let (sep, s) = two_strings("splitList", a)?;
    Ok(string_list(go_split_n(s, sep, -1)))
}

fn splitn(a: &[Value]) -> FuncResult {
    let [sep, n, s] = args::<3>("splitn", a)?;
    Ok(split_map(go_split_n(
        str_arg(s)?,
        str_arg(sep)?,
        int_arg(n)?,
    )))
}

fn join(a: &[Value]) -> FuncResult {
    let [sep, v] = args::<2>("join", a)?;
    Ok(string_value(strslice(v).join(str_arg(sep)?)))
}

fn to_strings(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("toStrings", a)?;
    Ok(string_list(strslice(v)))
}

fn sort_alpha(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("sortAlpha", a)?;
    match v {
        Value::List(_) | Value::Bytes(_) => {
            let mut items = strslice(v);
            items.sort();
            Ok(string_list(items))
        }
        other => Ok(string_list([strval(other)])),
    }
}

fn b64enc(a: &[Value]) -> FuncResult {
    use base64::Engine;
    s1("b64enc", a, |s| {
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    })
}

fn b64dec(a: &[Value]) -> FuncResult {
    use base64::Engine;
    s1(
        "b64dec",
        a,
        |s| match base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                let at = match e {
                    base64::DecodeError::InvalidByte(i, _)
                    | base64::DecodeError::InvalidLastSymbol { offset: i, .. } => i,
                    _ => s.len() - s.len() % 4,
                };
                format!("illegal base64 data at input byte {at}")
            }
        },
    )
}

fn b32enc(a: &[Value]) -> FuncResult {
    s1("b32enc", a, |s| data_encoding::BASE32.encode(s.as_bytes()))
}

fn b32dec(a: &[Value]) -> FuncResult {
    s1("b32dec", a, |s| {
        match data_encoding::BASE32.decode(s.as_bytes()) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => format!("illegal base32 data at input byte {}", e.position),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn call(f: Func, a: &[Value]) -> String {
        match f(a) {
            Ok(v) => gofmt::format_value(&v),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn trimming_and_case_follow_go() {
        assert_eq!(call(trim, &[s("  a b \n")]), "a b");
        assert_eq!(call(trim_all, &[s("$"), s("$5.00$")]), "5.00");
        assert_eq!(call(trim_prefix, &[s("-"), s("-hi")]), "hi");
        assert_eq!(call(trim_suffix, &[s("-"), s("hi-")]), "hi");
        assert_eq!(call(upper, &[s("straße")]), "STRAßE");
        assert_eq!(
            call(title, &[s("hello wOrld-foo_bar")]),
            "Hello WOrld-Foo_bar"
        );
        assert_eq!(call(untitle, &[s("Hello World")]), "hello world");
        assert_eq!(call(swapcase, &[s("This Is A.Test")]), "tHIS iS a.tEST");
    }

    #[test]
    fn substr_and_trunc_slice_bytes() {
        assert_eq!(
            call(substr, &[Value::Int(0), Value::Int(5), s("hello world")]),
            "hello"
        );
        assert_eq!(
            call(substr, &[Value::Int(-1), Value::Int(3), s("hello")]),
            "hel"
        );
        assert_eq!(
            call(substr, &[Value::Int(2), Value::Int(99), s("hello")]),
            "llo"
        );
        assert_eq!(
            call(substr, &[Value::Int(4), Value::Int(2), s("hello")]),
            "ERR runtime error: slice bounds out of range [4:2]"
        );
        assert_eq!(call(trunc, &[Value::Int(5), s("hello world")]), "hello");
        assert_eq!(call(trunc, &[Value::Int(-5), s("hello world")]), "world");
        assert_eq!(call(trunc, &[Value::Int(63), s("short")]), "short");
    }

    #[test]
    fn typed_parameters_reject_other_types_like_go() {
        assert_eq!(
            call(trunc, &[Value::Float(5.0), s("x")]),
            "ERR wrong type for value; expected int; got float64"
        );
        assert_eq!(
            call(upper, &[Value::Int(1)]),
            "ERR wrong type for value; expected string; got int"
        );
        assert_eq!(
            call(upper, &[]),
            "ERR wrong number of args for upper: want 1 got 0"
        );
    }

    #[test]
    fn abbreviations_match_sprig_examples() {
        assert_eq!(call(abbrev, &[Value::Int(5), s("hello world")]), "he...");
        assert_eq!(
            call(
                abbrevboth,
                &[Value::Int(5), Value::Int(10), s("1234 5678 9123")]
            ),
            "...5678..."
        );
        assert_eq!(call(initials, &[s("First Try")]), "FT");
    }

    #[test]
    fn wrapping_follows_goutils() {
        assert_eq!(
            call(wrap, &[Value::Int(5), s("Hello World")]),
            "Hello\nWorld"
        );
        assert_eq!(
            call(wrap_with, &[Value::Int(5), s("\t"), s("Hello World")]),
            "Hello\tWorld"
        );
        assert_eq!(
            call(wrap_with, &[Value::Int(3), s("-"), s("abcdefg")]),
            "abc-def-g"
        );
    }

    #[test]
    fn quoting_skips_nil_and_formats_values() {
        assert_eq!(call(quote, &[s("a\"b")]), "\"a\\\"b\"");
        assert_eq!(call(quote, &[Value::Nil]), "");
        assert_eq!(
            call(quote, &[Value::Float(1e6), Value::Bool(true)]),
            "\"1e+06\" \"true\""
        );
        assert_eq!(call(squote, &[s("a"), Value::Int(2)]), "'a' '2'");
        assert_eq!(
            call(cat, &[s("hello"), Value::Nil, Value::Int(2)]),
            "hello 2"
        );
    }

    #[test]
    fn indent_pads_every_line() {
        assert_eq!(call(indent, &[Value::Int(2), s("a\nb")]), "  a\n  b");
        assert_eq!(call(nindent, &[Value::Int(2), s("a")]), "\n  a");
        assert_eq!(
            call(indent, &[Value::Int(-1), s("a")]),
            "ERR strings: negative Repeat count"
        );
    }

    #[test]
    fn case_conversions_match_xstrings_examples() {
        assert_eq!(call(camelcase, &[s("http_server")]), "HttpServer");
        assert_eq!(call(camelcase, &[s("_complex__case_")]), "_Complex_Case_");
        assert_eq!(call(camelcase, &[s("GOLANG_IS_GREAT")]), "GolangIsGreat");
        assert_eq!(call(camelcase, &[s("a")]), "A");
        for (input, want) in [
            ("HTTPServer", "http_server"),
            ("_camelCase", "_camel_case"),
            ("NoHTTPS", "no_https"),
            ("Wi_thF", "wi_th_f"),
            ("_AnotherTES_TCaseP", "_another_tes_t_case_p"),
            ("ALL", "all"),
            ("_HELLO_WORLD_", "_hello_world_"),
            ("HELLO____WORLD", "hello____world"),
            ("TW", "tw"),
            ("http2xx", "http_2xx"),
            ("HTTP2XX", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("HTTP20XStatus", "http_20x_status"),
            ("HTTP-20xStatus", "http_20x_status"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
            ("Duration2m3s", "duration_2m_3s"),
            ("  sentence case  ", "__sentence_case__"),
            (
                " Mixed-hyphen case _and SENTENCE_case and UPPER-case",
                "_mixed_hyphen_case__and_sentence_case_and_upper_case",
            ),
        ] {
            assert_eq!(call(snakecase, &[s(input)]), want, "snakecase {input:?}");
            assert_eq!(
                call(kebabcase, &[s(input)]),
                want.replace('_', "-"),
                "kebabcase {input:?}"
            );
        }
        assert_eq!(call(snakecase, &[s("FirstName")]), "first_name");
        assert_eq!(call(snakecase, &[s("HTTPServer")]), "http_server");
        assert_eq!(call(snakecase, &[s("NoHTTPS")]), "no_https");
        assert_eq!(call(snakecase, &[s("GO_PATH")]), "go_path");
        assert_eq!(call(kebabcase, &[s("FirstName")]), "first-name");
    }

    #[test]
    fn regex_functions_behave_like_go_regexp() {
        assert_eq!(call(regex_match, &[s("^[a-z]+$"), s("abc")]), "true");
        assert_eq!(
            call(regex_find_all, &[s("a."), s("abacad"), Value::Int(2)]),
            "[ab ac]"
        );
        assert_eq!(call(regex_find, &[s("[0-9]+"), s("ab12cd34")]), "12");
        assert_eq!(
            call(
                regex_replace_all,
                &[s("a(x*)b"), s("-ab-axxb-"), s("${1}W")]
            ),
            "-W-xxW-"
        );
        assert_eq!(
            call(
                regex_replace_all_literal,
                &[s("a(x*)b"), s("-ab-"), s("$1")]
            ),
            "-$1-"
        );
        assert_eq!(
            call(regex_split, &[s("z+"), s("pizza"), Value::Int(-1)]),
            "[pi a]"
        );
        assert_eq!(call(regex_quote_meta, &[s("1.2+3")]), "1\\.2\\+3");
        assert!(call(must_regex_match, &[s("("), s("x")]).starts_with("ERR error parsing regexp"));
        assert_eq!(call(regex_match, &[s("("), s("x")]), "false");
    }

    #[test]
    fn hashes_and_encodings_match_known_digests() {
        assert_eq!(
            call(sha256sum, &[s("abc")]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            call(sha1sum, &[s("abc")]),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(call(adler32sum, &[s("Wikipedia")]), "300286872");
        assert_eq!(call(b64enc, &[s("hello")]), "aGVsbG8=");
        assert_eq!(call(b64dec, &[s("aGVsbG8=")]), "hello");
        assert_eq!(
            call(b64dec, &[s("a!")]),
            "illegal base64 data at input byte 1"
        );
        assert_eq!(call(b32enc, &[s("hello")]), "NBSWY3DP");
        assert_eq!(call(b32dec, &[s("NBSWY3DP")]), "hello");
    }

    #[test]
    fn splitting_and_joining_follow_sprig() {
        assert_eq!(
            call(split, &[s("$"), s("foo$bar$baz")]),
            "map[_0:foo _1:bar _2:baz]"
        );
        assert_eq!(
            call(splitn, &[s("$"), Value::Int(2), s("foo$bar$baz")]),
            "map[_0:foo _1:bar$baz]"
        );
        assert_eq!(call(split_list, &[s(""), s("abc")]), "[a b c]");
        let l = Value::list(vec![s("b"), Value::Int(1), Value::Nil, s("a")]);
        assert_eq!(call(join, &[s("-"), l.clone()]), "b-1-a");
        assert_eq!(call(sort_alpha, &[l]), "[1 a b]");
        assert_eq!(call(join, &[s(","), s("x")]), "x");
    }

    #[test]
    fn random_strings_have_requested_length_and_alphabet() {
        let Ok(Value::String(r)) = rand_alpha_num(&[Value::Int(20)]) else {
            panic!("randAlphaNum returned a non-string");
        };
        assert_eq!(r.len(), 20);
        assert!(r.chars().all(|c| c.is_ascii_alphanumeric()));
        let Ok(Value::String(n)) = rand_numeric(&[Value::Int(8)]) else {
            panic!("randNumeric returned a non-string");
        };
        assert!(n.chars().all(|c| c.is_ascii_digit()) && n.len() == 8);
    }

    #[test]
    fn misc_string_helpers() {
        assert_eq!(call(repeat, &[Value::Int(3), s("ab")]), "ababab");
        assert_eq!(call(nospace, &[s(" a b\tc ")]), "abc");
        assert_eq!(call(replace, &[s(" "), s("-"), s("a b c")]), "a-b-c");
        assert_eq!(call(plural, &[s("one"), s("many"), Value::Int(2)]), "many");
        assert_eq!(call(contains, &[s("cat"), s("catch")]), "true");
        assert_eq!(call(to_string, &[Value::Float(2.5)]), "2.5");
    }
}
