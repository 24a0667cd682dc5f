//! A quick check of rendered documents written in plain block-style YAML (nearly all of
//! them: CRDs, config maps, deployments), so that sorting a manifest need not run the full
//! YAML parser over hundreds of kilobytes only to read `apiVersion`, `kind` and `metadata`.
//!
//! [`head_text`] accepts a conservative subset of YAML: block mappings and sequences
//! indented with spaces, plain one-line keys, plain (possibly multi-line), quoted and block
//! scalars, empty flow collections, one-line flow sequences of scalars, comments. When it
//! answers, the document is valid YAML and the answer holds exactly the document's
//! top-level `apiVersion`, `kind` and `metadata` entries, so parsing it gives the head that
//! parsing the whole would. Anything outside the subset (other flow collections, anchors,
//! tags, tabs, odd characters, unusual indentation, duplicate head keys, deep nesting)
//! gives `None`: the caller then parses the whole document, which is also what produces
//! the error message for invalid YAML.

/// Deepest nesting accepted: serde_yaml refuses more than 128 levels, stay well below.
const MAX_DEPTH: usize = 64;
/// Longest key accepted: libyaml refuses simple keys of 1024 characters or more.
const MAX_KEY_LEN: usize = 1000;
/// The top-level keys a manifest's head is read from.
const HEAD_KEYS: [&str; 3] = ["apiVersion", "kind", "metadata"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

/// What a line leaves open for the lines after it.
#[derive(Clone, Copy)]
enum Open {
    Nothing,
    /// A key or dash without a value on its line, at this column: a nested block may
    /// follow, or after a key a sequence at the key's own column.
    Block {
        indent: usize,
        after_key: bool,
    },
    /// A plain scalar that lines indented past `indent` continue.
    Plain {
        indent: usize,
    },
    /// A block scalar whose content is indented past `parent`, at `content` once known.
    Literal {
        parent: usize,
        content: Option<usize>,
    },
    /// A quoted scalar not closed on its line; lines indented past `parent` continue it.
    Quoted {
        quote: u8,
        parent: usize,
    },
}

/// Characters libyaml reads as part of a line (printable, no tab, no other line break).
fn is_plain_char(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{A0}'..='\u{2027}' | '\u{202A}'..='\u{D7FF}' | '\u{10000}'..)
        || (('\u{E000}'..='\u{FFFD}').contains(&c) && c != '\u{FEFF}')
}

/// Characters that start something other than a plain scalar.
fn is_indicator(b: u8) -> bool {
    b"-?:,[]{}#&*!|>'\"%@`".contains(&b)
}

/// A plain scalar's text on one line: nothing that would end it or make it a key (no
/// `": "`, no `:` at the end, no `" #"`). One scan: most lines of a manifest pass here.
fn plain_ok(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr2_iter(b':', b'#', b).all(|i| match b[i] {
        b':' => b.get(i + 1).is_some_and(|next| *next != b' '),
        _ => i == 0 || b[i - 1] != b' ',
    })
}

/// Length of the unquoted word at the start of `s`: ASCII letters and digits and `extra`.
fn word_end(s: &str, extra: &[u8]) -> usize {
    (s.bytes())
        .position(|b| !(b.is_ascii_alphanumeric() || extra.contains(&b)))
        .unwrap_or(s.len())
}

/// What may follow a closed scalar on its line: spaces, then maybe a comment.
fn tail_ok(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

fn is_dash_item(t: &str) -> bool {
    t == "-" || t.starts_with("- ")
}

/// A key at the start of `t`: its text, whether it was quoted, and what follows the `:`.
fn split_key(t: &str) -> Option<(&str, bool, &str)> {
    let (key, quoted, rest) = match t.as_bytes().first()? {
        q @ (b'"' | b'\'') => {
            let close = t[1..].find(*q as char)? + 1;
            let key = &t[1..close];
            if key.contains('\\') || t[close + 1..].starts_with(*q as char) {
                return None;
            }
            (key, true, &t[close + 1..])
        }
        b'-' => return None,
        _ => {
            let end = word_end(t, b"_./$-");
            (&t[..end], false, &t[end..])
        }
    };
    let after = rest.strip_prefix(':')?;
    if (key.is_empty() && !quoted) || key.len() > MAX_KEY_LEN {
        return None;
    }
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    Some((key, quoted, after))
}

/// Scans quoted text from `i` (after the opening quote, or a continued line's start):
/// `Some(Some(end))` with the closing quote's index, `Some(None)` if the line ends first,
/// `None` on an escape outside the plainest ones.
fn scan_quoted(bytes: &[u8], mut i: usize, quote: u8) -> Option<Option<usize>> {
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' if quote == b'"' => {
                if !b"0abtnvfre \"/\\N_LP".contains(bytes.get(i + 1)?) {
                    return None;
                }
                i += 2;
            }
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            _ if b == quote => return Some(Some(i)),
            _ => i += 1,
        }
    }
    Some(None)
}

/// The rest of a quoted scalar's line from `i`: closed with a valid tail, or still open.
fn quoted(v: &str, i: usize, quote: u8, parent: usize) -> Option<Open> {
    match scan_quoted(v.as_bytes(), i, quote)? {
        Some(end) => tail_ok(&v[end + 1..]).then_some(Open::Nothing),
        None => Some(Open::Quoted { quote, parent }),
    }
}

/// A one-line flow sequence of quoted or simple plain scalars (`["", "v1"]`, `[a, b]`):
/// what follows its `]`.
fn flow_sequence_rest(v: &str) -> Option<&str> {
    let bytes = v.as_bytes();
    let skip = |mut i: usize| {
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    };
    let mut i = skip(1);
    if bytes.get(i) == Some(&b']') {
        return Some(&v[i + 1..]);
    }
    loop {
        i = match bytes.get(i)? {
            q @ (b'"' | b'\'') => scan_quoted(bytes, i + 1, *q)?? + 1,
            b if b.is_ascii_alphanumeric() => i + word_end(&v[i..], b"._/-"),
            _ => return None,
        };
        i = skip(i);
        match bytes.get(i)? {
            b',' => i = skip(i + 1),
            b']' => return Some(&v[i + 1..]),
            _ => return None,
        }
    }
}

/// A scalar value starting a line's value part; what it leaves open.
fn value(v: &str, parent: usize) -> Option<Open> {
    let bytes = v.as_bytes();
    match bytes.first()? {
        q @ (b'"' | b'\'') => quoted(v, 1, *q, parent),
        b'|' | b'>' => {
            let rest = v[1..].strip_prefix(['-', '+']).unwrap_or(&v[1..]);
            tail_ok(rest).then_some(Open::Literal {
                parent,
                content: None,
            })
        }
        b'{' => tail_ok(v.strip_prefix("{}")?).then_some(Open::Nothing),
        b'[' => tail_ok(flow_sequence_rest(v)?).then_some(Open::Nothing),
        // `-`, `?` and `:` start a plain scalar when a non-space follows.
        b'-' | b'?' | b':' if bytes.get(1).is_some_and(|b| *b != b' ') => {
            plain_ok(v).then_some(Open::Plain { indent: parent })
        }
        b if is_indicator(*b) => None,
        _ => plain_ok(v).then_some(Open::Plain { indent: parent }),
    }
}

/// The document's top-level `apiVersion`, `kind` and `metadata` entries, if the whole
/// document is in the subset this module checks (see the module docs); else `None`.
pub(super) fn head_text(doc: &str) -> Option<String> {
    // Without an early exit, so that the check runs over whole vectors of bytes.
    let ascii = !doc.bytes().fold(false, |bad, b| {
        bad | !(b == b'\n' || (b' '..=b'~').contains(&b))
    });
    if !ascii && !doc.chars().all(|c| c == '\n' || is_plain_char(c)) {
        return None;
    }
    let mut stack: Vec<(usize, Kind)> = Vec::new();
    let mut open = Open::Nothing;
    // Top-level entries: key and the byte offset where its line starts.
    let mut roots: Vec<(&str, usize)> = Vec::new();
    let mut offset = 0;
    for line in doc.split('\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let ind = line.len() - line.trim_start_matches(' ').len();
        let t = &line[ind..];
        if let Open::Literal { parent, content } = open {
            match content {
                _ if line.is_empty() => continue,
                None if t.is_empty() => return None,
                None if ind > parent => {
                    open = Open::Literal {
                        parent,
                        content: Some(ind),
                    };
                    continue;
                }
                Some(c) if t.is_empty() || ind >= c => continue,
                _ => open = Open::Nothing,
            }
        }
        if let Open::Quoted { quote, parent } = open {
            if t.is_empty() {
                continue;
            }
            if ind <= parent {
                return None;
            }
            open = quoted(line, ind, quote, parent)?;
            continue;
        }
        if t.is_empty() {
            if let Open::Plain { .. } = open {
                open = Open::Nothing;
            }
            continue;
        }
        if let Open::Plain { indent } = open
            && ind > indent
        {
            // Inside a plain scalar only a comment or a block indicator could start a line.
            let block_indicator = t.len() == 1 || t.as_bytes()[1] == b' ';
            if t.starts_with('#') || (b"-?:".contains(&t.as_bytes()[0]) && block_indicator) {
                return None;
            }
            if !plain_ok(t) {
                return None;
            }
            continue;
        }
        if t.starts_with('#') {
            // A comment ends a plain scalar; what is indented past it then is an error.
            if let Open::Plain { .. } = open {
                open = Open::Nothing;
            }
            continue;
        }
        // Which block this line belongs to.
        match open {
            Open::Block { indent, .. } if ind > indent => {
                if is_dash_item(t) {
                    stack.push((ind, Kind::Seq));
                } else if split_key(t).is_some() {
                    stack.push((ind, Kind::Map));
                } else {
                    // A scalar on the line after its key or dash.
                    open = value(t, indent)?;
                    continue;
                }
            }
            Open::Block {
                indent,
                after_key: true,
            } if ind == indent && is_dash_item(t) && stack.last() == Some(&(ind, Kind::Map)) => {
                stack.push((ind, Kind::Seq));
            }
            _ if stack.is_empty() => {
                if ind != 0 {
                    return None;
                }
                stack.push((0, Kind::Map));
            }
            _ => {
                while stack.last().is_some_and(|(i, _)| *i > ind) {
                    stack.pop();
                }
                let top = *stack.last()?;
                if top.0 != ind {
                    return None;
                }
                // A compact sequence (at its key's column) ends at the next key.
                if top.1 == Kind::Seq && !is_dash_item(t) {
                    stack.pop();
                    if stack.last() != Some(&(ind, Kind::Map)) {
                        return None;
                    }
                }
            }
        }
        if stack.len() > MAX_DEPTH {
            return None;
        }
        let (col, kind) = *stack.last()?;
        let entry = if kind == Kind::Seq {
            if !is_dash_item(t) {
                return None;
            }
            let rest = t[1..].trim_start_matches(' ');
            if rest.is_empty() || rest.starts_with('#') {
                open = Open::Block {
                    indent: col,
                    after_key: false,
                };
                continue;
            }
            if is_dash_item(rest) {
                return None;
            }
            let rest_col = col + (t.len() - rest.len());
            if split_key(rest).is_none() {
                open = value(rest, col)?;
                continue;
            }
            stack.push((rest_col, Kind::Map));
            if stack.len() > MAX_DEPTH {
                return None;
            }
            (rest_col, rest)
        } else {
            (col, t)
        };
        let (key_col, text) = entry;
        let (key, quoted, after) = split_key(text)?;
        if key_col == 0 && stack.len() == 1 {
            if quoted {
                return None;
            }
            roots.push((key, line_start));
        }
        let v = after.trim_start_matches(' ');
        open = if v.is_empty() || v.starts_with('#') {
            Open::Block {
                indent: key_col,
                after_key: true,
            }
        } else {
            value(v, key_col)?
        };
    }
    if let Open::Quoted { .. } = open {
        return None;
    }
    let mut head = String::new();
    for name in HEAD_KEYS {
        let mut found = roots.iter().enumerate().filter(|(_, (k, _))| *k == name);
        let Some((i, (_, start))) = found.next() else {
            continue;
        };
        if found.next().is_some() {
            return None;
        }
        let end = roots.get(i + 1).map_or(doc.len(), |(_, next)| *next);
        head.push_str(&doc[*start..end]);
        if !head.ends_with('\n') {
            head.push('\n');
        }
    }
    Some(head)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::head_text;
    use crate::release::manifest::Head;
    use crate::test_support::shared_dir;

    /// The head serde_yaml reads from `text` (an empty text has the default head, as
    /// `parse_document` reads it), or that it failed.
    fn head_of(text: &str) -> Result<String, ()> {
        serde_yaml::from_str::<Option<Head>>(text)
            .map(|head| format!("{:?}", head.unwrap_or_default()))
            .map_err(|_| ())
    }

    #[test]
    fn a_crd_like_document_yields_exactly_its_head_entries() {
        let doc = "# generated\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  annotations:\n    \"helm.sh/resource-policy\": keep\n  name: things.example.com\nspec:\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        description: A thing, described\n          over two lines.\n        properties:\n          items:\n            items:\n              type: string\n            type: array\n          data:\n            x-kubernetes-preserve-unknown-fields: true\n            default: {}\n        required: []\n    served: true\n  script: |\n    #!/bin/sh\n\n    echo \"a: b\" # not a comment\n  quoted: \"a \\\"b\\\" c\"\n  folded: 'one\n    two''s\n\n    three'\n  next:\n    {}\n  single: 'it''s'\n";
        let head = head_text(doc).expect("in the subset");
        assert_eq!(
            head,
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  annotations:\n    \"helm.sh/resource-policy\": keep\n  name: things.example.com\n"
        );
        assert_eq!(head_of(&head), head_of(doc));
    }

    #[test]
    fn what_the_subset_does_not_cover_is_left_to_the_full_parser() {
        for doc in [
            "kind: A\nspec: [a, {b: c}]\n",
            "kind: A\nspec: [a,\n  b]\n",
            "kind: A\nspec: &x 1\n",
            "kind: A\nspec:\n\tx: 1\n",
            "kind: A\nspec: a: b\n",
            "kind: A\nspec: \"open\n  quote\n",
            "kind: A\nspec: 'open\nquote'\n",
            "kind: A\n  spec: 1\n",
            "kind: A\nkind: B\n",
            "- kind: A\n",
            "  kind: A\n",
            "kind: A\nspec: x\n# comment\n   more\n",
        ] {
            assert_eq!(head_text(doc), None, "{doc:?}");
        }
    }

    #[test]
    fn large_conformance_documents_take_the_quick_path_and_read_the_same_head() {
        let root = shared_dir().join("conformance");
        let mut quick = 0;
        for case in std::fs::read_dir(&root).unwrap() {
            let manifest = case.unwrap().path().join("expected/manifest.yaml");
            let Ok(text) = std::fs::read_to_string(&manifest) else {
                continue;
            };
            for doc in super::super::split_manifests(&text) {
                let doc = doc.split_once('\n').map_or("", |(_, rest)| rest);
                if doc.len() < 8 * 1024 {
                    continue;
                }
                if let Some(head) = head_text(doc) {
                    assert_eq!(head_of(&head), head_of(doc), "{}", manifest.display());
                    quick += 1;
                }
            }
        }
        assert!(
            quick >= 5,
            "only {quick} large documents took the quick path"
        );
    }

    const KEYS: &[&str] = &[
        "apiVersion",
        "kind",
        "metadata",
        "name",
        "namespace",
        "annotations",
        "a",
        "x-y",
        "\"q\"",
        "'s'",
        "\"kind\"",
        "$ref",
        "a b",
    ];
    const VALUES: &[&str] = &[
        "[\"\", \"v1\"]",
        "[a, b.c]",
        "[a,]",
        "[ a ] # c",
        "[\"x\" y]",
        "[a b]",
        "['q''s', x-y]",
        "?y",
        "'quoted' tail",
        "[",
        "[a,",
        "",
        "v1",
        "1",
        "foo bar",
        "a: b",
        "x #c",
        "x# c",
        "\"dq\"",
        "\"d\\\"q\" # c",
        "'s''q'",
        "'open",
        "|",
        "|-",
        ">+",
        "|2",
        "[]",
        "{}",
        "[a]",
        "&a x",
        "*a",
        "!t x",
        "-1",
        "- x",
        "?x",
        ":x",
        "# c",
        "\"unterminated",
        "é",
        "a\tb",
        "\"\\u0041\"",
        "x:",
        "%x",
        "@x",
        "{ }",
        "null",
        "ends:",
        "\u{2028}",
    ];

    fn line(indent: usize, shape: usize, key: usize, value: usize) -> String {
        let pad = " ".repeat([0, 0, 1, 2, 2, 3, 4, 6, 8][indent % 9]);
        let (k, v) = (KEYS[key % KEYS.len()], VALUES[value % VALUES.len()]);
        match shape % 9 {
            0 | 1 => format!("{pad}{k}: {v}"),
            2 => format!("{pad}{k}:"),
            3 => format!("{pad}- {v}"),
            4 => format!("{pad}- {k}: {v}"),
            5 => format!("{pad}-"),
            6 => format!("{pad}# {v}"),
            7 => String::new(),
            _ => format!("{pad}{v}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20000))]
        #[test]
        fn an_accepted_document_is_valid_yaml_with_the_same_head(
            lines in proptest::collection::vec((0..9usize, 0..9usize, 0..64usize, 0..64usize), 1..14)
        ) {
            let doc: String = lines
                .iter()
                .map(|(i, s, k, v)| line(*i, *s, *k, *v) + "\n")
                .collect();
            if let Some(head) = head_text(&doc) {
                // Valid as the full parse reads it (duplicate keys outside the head are fine).
                let valid = serde_yaml::from_str::<serde::de::IgnoredAny>(&doc).is_ok();
                prop_assert!(valid, "accepted invalid YAML: {:?}", doc);
                let quick = head_of(&head);
                if quick.is_ok() {
                    prop_assert_eq!(quick, head_of(&doc), "{:?}", doc);
                }
            }
        }
    }
}
