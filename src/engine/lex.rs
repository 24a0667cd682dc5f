//! The template lexer: splits template text into Go `text/template` tokens.
//!
//! Helm counterpart: Go's `text/template/parse/lex.go`. Unlike Go (a goroutine feeding a
//! channel) the whole text is scanned up front into a `Vec<Item>`; the token kinds, the
//! trim markers (`{{- ` / ` -}}`), comments and the error texts follow Go exactly. Lexical
//! errors become an `Error` item that the parser reports as `template: NAME:LINE: TEXT`.

/// The kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A lexical error; the value is Go's message.
    Error,
    /// `true` / `false`.
    Bool,
    /// A printable ASCII character that is no other token (`,`, `}`, …).
    Char,
    /// A character constant `'a'`.
    CharConstant,
    /// A complex constant `1+2i`.
    Complex,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// End of input.
    Eof,
    /// `.Name`.
    Field,
    /// A function name.
    Identifier,
    /// `{{`.
    LeftDelim,
    /// `(`.
    LeftParen,
    /// A number.
    Number,
    /// `|`.
    Pipe,
    /// A raw string, with its backquotes.
    RawString,
    /// `}}`.
    RightDelim,
    /// `)`.
    RightParen,
    /// A run of spaces inside an action.
    Space,
    /// A quoted string, with its quotes.
    String,
    /// Text outside actions.
    Text,
    /// `$`, `$x`.
    Variable,
    /// `block`.
    Block,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `.`.
    Dot,
    /// `define`.
    Define,
    /// `else`.
    Else,
    /// `end`.
    End,
    /// `if`.
    If,
    /// `nil`.
    Nil,
    /// `range`.
    Range,
    /// `template`.
    Template,
    /// `with`.
    With,
}

impl ItemKind {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            ItemKind::Block
                | ItemKind::Break
                | ItemKind::Continue
                | ItemKind::Dot
                | ItemKind::Define
                | ItemKind::Else
                | ItemKind::End
                | ItemKind::If
                | ItemKind::Nil
                | ItemKind::Range
                | ItemKind::Template
                | ItemKind::With
        )
    }
}

/// One token: kind, byte offset, line (1-based) and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    /// Token kind.
    pub kind: ItemKind,
    /// Byte offset of the token in the template text.
    pub pos: usize,
    /// 1-based line of the token's start (0 from [`lex_without_lines`]). A `u32` keeps
    /// an item at 32 bytes; a line past `u32::MAX` reads as `u32::MAX`.
    pub line: u32,
    /// The token's text (empty for `Error`: the message is [`Lexed::error`]).
    pub val: &'a str,
}

impl std::fmt::Display for Item<'_> {
    /// Go's `item.String()`, used in parse errors (`unexpected "}" in operand`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            ItemKind::Eof => f.write_str("EOF"),
            ItemKind::Error => f.write_str("lexical error"),
            k if k.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                write!(f, "{}...", go_quote(&head))
            }
            _ => f.write_str(&go_quote(self.val)),
        }
    }
}

/// Go's `%q` / `strconv.Quote` of a string.
pub fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

#[inline]
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

#[inline]
fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        return c == '_' || c.is_ascii_alphanumeric();
    }
    c.is_alphabetic() || c.is_numeric()
}

fn keyword(word: &str) -> Option<ItemKind> {
    Some(match word {
        "." => ItemKind::Dot,
        "block" => ItemKind::Block,
        "break" => ItemKind::Break,
        "continue" => ItemKind::Continue,
        "define" => ItemKind::Define,
        "else" => ItemKind::Else,
        "end" => ItemKind::End,
        "if" => ItemKind::If,
        "range" => ItemKind::Range,
        "nil" => ItemKind::Nil,
        "template" => ItemKind::Template,
        "with" => ItemKind::With,
        _ => return None,
    })
}

struct Lexer<'a> {
    name: &'a str,
    input: &'a str,
    action_start: usize,
    pos: usize,
    start: usize,
    paren_depth: usize,
    items: Vec<Item<'a>>,
    message: String,
    done: bool,
}

/// A lexed text: its tokens, and the message of the `Error` token ending them, if any.
pub struct Lexed<'a> {
    /// The tokens; the last is `Eof` or `Error`.
    pub items: Vec<Item<'a>>,
    /// Go's message for the `Error` token (empty when there is none).
    pub error: String,
}

/// Scans `input` (named `name`, for error texts) into tokens; the last item is `Eof`
/// or `Error`.
pub fn lex<'a>(name: &'a str, input: &'a str) -> Lexed<'a> {
    let mut lexed = lex_without_lines(name, input);
    // Assign lines in one pass: items are in input order.
    let bytes = input.as_bytes();
    let (mut line, mut at) = (1, 0);
    for item in &mut lexed.items {
        let to = item.pos.min(bytes.len());
        if to > at {
            line += bytes[at..to].iter().filter(|b| **b == b'\n').count();
            at = to;
        }
        item.line = u32::try_from(line).unwrap_or(u32::MAX);
    }
    lexed
}

/// The line of byte offset `pos` of `input`, as [`lex`] gives it to an item there.
pub fn line_at(input: &str, pos: usize) -> usize {
    let before = input.as_bytes().get(..pos).unwrap_or(input.as_bytes());
    1 + before.iter().filter(|b| **b == b'\n').count()
}

/// [`lex`] with every item's `line` left 0: the parser needs a line only for an error
/// (see [`line_at`]), and counting them for every token is a good part of lexing.
pub fn lex_without_lines<'a>(name: &'a str, input: &'a str) -> Lexed<'a> {
    let mut lexer = Lexer {
        name,
        input,
        action_start: 0,
        pos: 0,
        start: 0,
        paren_depth: 0,
        // Helm's templates run to about one token per 4 to 8 bytes: room for that up
        // front spares the copies of growing (pages not written to are never touched).
        items: Vec::with_capacity(input.len() / 4 + 8),
        message: String::new(),
        done: false,
    };
    lexer.run();
    Lexed {
        items: std::mem::take(&mut lexer.items),
        error: lexer.message,
    }
}

impl<'a> Lexer<'a> {
    #[inline]
    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    #[inline]
    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    #[inline]
    fn peek(&self) -> Option<char> {
        // Templates are almost all ASCII: decode UTF-8 only past it.
        match self.input.as_bytes().get(self.pos) {
            Some(&b) if b.is_ascii() => Some(char::from(b)),
            Some(_) => self.rest().chars().next(),
            None => None,
        }
    }

    #[inline]
    fn emit(&mut self, kind: ItemKind) {
        let val = &self.input[self.start..self.pos];
        self.items.push(Item {
            kind,
            pos: self.start,
            line: 0,
            val,
        });
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn error(&mut self, message: String) {
        self.items.push(Item {
            kind: ItemKind::Error,
            pos: self.start,
            line: 0,
            val: "",
        });
        self.message = message;
        self.done = true;
    }

    fn run(&mut self) {
        self.lex_text();
    }

    fn skip_to(&mut self, to: usize) {
        self.pos = to;
    }

    fn lex_text(&mut self) {
        loop {
            if self.done {
                return;
            }
            match find_left_delim(self.rest()) {
                Some(offset) => {
                    let delim_at = self.pos + offset;
                    let after = &self.input[delim_at + LEFT_DELIM.len()..];
                    let trim = has_left_trim_marker(after);
                    let mut text_end = delim_at;
                    if trim {
                        text_end = self.input[self.start..delim_at]
                            .trim_end_matches(is_space)
                            .len()
                            + self.start;
                    }
                    self.skip_to(text_end);
                    if self.pos > self.start {
                        self.emit(ItemKind::Text);
                    }
                    self.skip_to(delim_at);
                    self.ignore();
                    self.lex_left_delim(trim);
                }
                None => {
                    let end = self.input.len();
                    self.skip_to(end);
                    if self.pos > self.start {
                        self.emit(ItemKind::Text);
                    }
                    self.emit(ItemKind::Eof);
                    return;
                }
            }
        }
    }

    fn lex_left_delim(&mut self, trim: bool) {
        self.action_start = self.pos;
        self.pos += LEFT_DELIM.len();
        let after_marker = if trim { 2 } else { 0 };
        if self.input[self.pos + after_marker..].starts_with(LEFT_COMMENT) {
            self.pos += after_marker;
            self.ignore();
            self.lex_comment();
            return;
        }
        self.emit(ItemKind::LeftDelim);
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        self.lex_inside_action();
    }

    fn lex_comment(&mut self) {
        self.pos += LEFT_COMMENT.len();
        let Some(i) = self.rest().find(RIGHT_COMMENT) else {
            self.error("unclosed comment".into());
            return;
        };
        let to = self.pos + i + RIGHT_COMMENT.len();
        self.skip_to(to);
        let (delim, trim) = self.at_right_delim();
        if !delim {
            self.error("comment ends before closing delimiter".into());
            return;
        }
        let skip = if trim { 2 } else { 0 } + RIGHT_DELIM.len();
        let to = self.pos + skip;
        self.skip_to(to);
        if trim {
            self.trim_leading_space();
        }
        self.ignore();
    }

    fn trim_leading_space(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(is_space);
        let to = self.pos + (rest.len() - trimmed.len());
        self.skip_to(to);
    }

    /// Whether the input is at `}}` or ` -}}` (and whether that was the trim form).
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[2..].starts_with(RIGHT_DELIM) {
            return (true, true);
        }
        (rest.starts_with(RIGHT_DELIM), false)
    }

    fn lex_inside_action(&mut self) {
        loop {
            if self.done {
                return;
            }
            let (delim, trim) = self.at_right_delim();
            if delim {
                if self.paren_depth == 0 {
                    if trim {
                        self.pos += 2;
                        self.ignore();
                    }
                    self.pos += RIGHT_DELIM.len();
                    self.emit(ItemKind::RightDelim);
                    if trim {
                        self.trim_leading_space();
                        self.ignore();
                    }
                    return;
                }
                self.error("unclosed left paren".into());
                return;
            }
            let Some(c) = self.next() else {
                // Go names where the action started only when that is not the error's line.
                let line = 1 + self.input[..self.action_start].matches('\n').count();
                let error_line = 1 + self.input[..self.start].matches('\n').count();
                if line == error_line {
                    self.error("unclosed action".into());
                } else {
                    self.error(format!("unclosed action started at {}:{line}", self.name));
                }
                return;
            };
            match c {
                c if is_space(c) => {
                    self.pos -= 1;
                    self.lex_space();
                }
                '=' => self.emit(ItemKind::Assign),
                ':' => {
                    if self.next() != Some('=') {
                        self.error("expected :=".into());
                        return;
                    }
                    self.emit(ItemKind::Declare);
                }
                '|' => self.emit(ItemKind::Pipe),
                '"' => self.lex_quote(),
                '`' => self.lex_raw_quote(),
                '$' => self.lex_variable(),
                '\'' => self.lex_char(),
                '.' => {
                    let next_is_digit = self.peek().is_some_and(|d| d.is_ascii_digit());
                    if next_is_digit {
                        self.pos -= 1;
                        self.lex_number();
                    } else {
                        self.lex_field_or_variable(ItemKind::Field);
                    }
                }
                '+' | '-' | '0'..='9' => {
                    self.pos -= 1;
                    self.lex_number();
                }
                c if is_alphanumeric(c) => {
                    self.pos -= c.len_utf8();
                    self.lex_identifier();
                }
                '(' => {
                    self.emit(ItemKind::LeftParen);
                    self.paren_depth += 1;
                }
                ')' => {
                    self.emit(ItemKind::RightParen);
                    if self.paren_depth == 0 {
                        self.error(format!("unexpected right paren {}", unicode_plus(c)));
                        return;
                    }
                    self.paren_depth -= 1;
                }
                c if c.is_ascii() && !c.is_ascii_control() => self.emit(ItemKind::Char),
                c => {
                    self.error(format!(
                        "unrecognized character in action: {}",
                        unicode_plus(c)
                    ));
                    return;
                }
            }
        }
    }

    fn lex_space(&mut self) {
        let mut spaces = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next();
            spaces += 1;
        }
        // A trim-marked closing delimiter: the space before `-}}` belongs to it.
        let before = &self.input[self.pos - 1..];
        if has_right_trim_marker(before) && before[2..].starts_with(RIGHT_DELIM) {
            self.pos -= 1;
            if spaces == 1 {
                return;
            }
        }
        self.emit(ItemKind::Space);
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some('}') => true,
            _ => false,
        }
    }

    /// Moves past a run of identifier characters: bytes while ASCII, chars past it.
    fn skip_alphanumeric(&mut self) {
        let bytes = self.input.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if b.is_ascii_alphanumeric() || b == b'_' {
                self.pos += 1;
            } else if b.is_ascii() {
                return;
            } else {
                match self.peek() {
                    Some(c) if is_alphanumeric(c) => self.pos += c.len_utf8(),
                    _ => return,
                }
            }
        }
    }

    fn lex_identifier(&mut self) {
        self.skip_alphanumeric();
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", unicode_plus(c)));
            return;
        }
        let word = &self.input[self.start..self.pos];
        let kind = if let Some(k) = keyword(word) {
            k
        } else if word == "true" || word == "false" {
            ItemKind::Bool
        } else {
            ItemKind::Identifier
        };
        self.emit(kind);
    }

    fn lex_variable(&mut self) {
        if self.at_terminator() {
            self.emit(ItemKind::Variable);
            return;
        }
        self.lex_field_or_variable(ItemKind::Variable);
    }

    fn lex_field_or_variable(&mut self, kind: ItemKind) {
        if self.at_terminator() {
            self.emit(if kind == ItemKind::Variable {
                ItemKind::Variable
            } else {
                ItemKind::Dot
            });
            return;
        }
        self.skip_alphanumeric();
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", unicode_plus(c)));
            return;
        }
        self.emit(kind);
    }

    fn lex_char(&mut self) {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => {
                        self.error("unterminated character constant".into());
                        return;
                    }
                    _ => {}
                },
                Some('\n') | None => {
                    self.error("unterminated character constant".into());
                    return;
                }
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(ItemKind::CharConstant);
    }

    fn lex_quote(&mut self) {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => {
                        self.error("unterminated quoted string".into());
                        return;
                    }
                    _ => {}
                },
                Some('\n') | None => {
                    self.error("unterminated quoted string".into());
                    return;
                }
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(ItemKind::String);
    }

    fn lex_raw_quote(&mut self) {
        loop {
            match self.next() {
                None => {
                    self.error("unterminated raw quoted string".into());
                    return;
                }
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(ItemKind::RawString);
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.next();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alphanumeric) {
            self.next();
            return false;
        }
        true
    }

    fn lex_number(&mut self) {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            self.error(format!("bad number syntax: {}", go_quote(&text)));
            return;
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_string();
                self.error(format!("bad number syntax: {}", go_quote(&text)));
                return;
            }
            self.emit(ItemKind::Complex);
        } else {
            self.emit(ItemKind::Number);
        }
    }
}

/// Go's `%#U`: `U+007D '}'`.
fn unicode_plus(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{}'", c as u32, c)
    }
}

/// The offset of the first `{{` in `text`: one vectorised search for the pair (`memmem`),
/// about 5 % faster over the corpus' templates than a `memchr` for `{` and a check of the
/// next byte, because JSON in templates is full of lone `{`. The searcher is built once
/// (building one per search was a tenth of the lexer's time: most searches are short).
fn find_left_delim(text: &str) -> Option<usize> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(LEFT_DELIM));
    FINDER.find(text.as_bytes())
}

/// `-` followed by a space character, right after `{{`.
fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

/// A space character followed by `-`, right before `}}`.
fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<ItemKind> {
        lex("t", text).items.into_iter().map(|i| i.kind).collect()
    }

    #[test]
    fn text_and_action_are_separate_tokens() {
        use ItemKind::*;
        assert_eq!(
            kinds("a{{ .x }}b"),
            vec![Text, LeftDelim, Space, Field, Space, RightDelim, Text, Eof]
        );
    }

    #[test]
    fn trim_markers_eat_surrounding_whitespace() {
        let items = lex("t", "a  \n{{- .x -}}\n  b").items;
        assert_eq!(items[0].val, "a");
        assert_eq!(items.last().map(|i| i.kind), Some(ItemKind::Eof));
        let text: Vec<_> = items.iter().filter(|i| i.kind == ItemKind::Text).collect();
        assert_eq!(text[1].val, "b");
        assert_eq!(text[1].line, 3);
    }

    #[test]
    fn line_at_gives_the_line_lex_gives_each_item() {
        for text in [
            "a\n{{ .x }}\n\n{{- if .y -}}\n b {{ end }}\n",
            "a\n{{ .x \n",
            "\n\n",
        ] {
            let lexed = lex("t", text);
            let lines: Vec<usize> = lexed.items.iter().map(|i| i.line as usize).collect();
            let at: Vec<usize> = lexed.items.iter().map(|i| line_at(text, i.pos)).collect();
            assert_eq!(at, lines);
            assert!(lexed.items.iter().any(|i| i.line > 1));
        }
    }

    #[test]
    fn comments_vanish_and_can_trim() {
        let items = lex("t", "a {{- /* note */ -}} b").items;
        let text: String = items
            .iter()
            .filter(|i| i.kind == ItemKind::Text)
            .map(|i| i.val)
            .collect();
        assert_eq!(text, "ab");
    }

    #[test]
    fn unclosed_action_is_an_error() {
        let lexed = lex("t", "a\n{{ .x \n");
        let last = lexed.items.last().map(|i| (lexed.error.clone(), i.line));
        assert_eq!(
            last,
            Some(("unclosed action started at t:2".to_string(), 3))
        );
    }

    #[test]
    fn unclosed_action_on_its_own_line_does_not_repeat_the_line() {
        let lexed = lex("t", "a\n{{ .x");
        let last = lexed.items.last().map(|i| (lexed.error.clone(), i.line));
        assert_eq!(last, Some(("unclosed action".to_string(), 2)));
    }

    #[test]
    fn numbers_with_underscores_and_hex_lex_as_one_token() {
        let items = lex("t", "{{ 1_000 0x1F 1e3 -2.5 }}").items;
        let nums: Vec<_> = items
            .iter()
            .filter(|i| i.kind == ItemKind::Number)
            .map(|i| i.val)
            .collect();
        assert_eq!(nums, vec!["1_000", "0x1F", "1e3", "-2.5"]);
    }

    #[test]
    fn left_delimiter_is_found_past_single_braces_and_multibyte_text() {
        assert_eq!(find_left_delim("a { b {{"), Some(6));
        assert_eq!(find_left_delim("é{x{{"), Some(4));
        assert_eq!(find_left_delim("{ } {"), None);
        assert_eq!(
            kinds("ü{{.}}"),
            vec![
                ItemKind::Text,
                ItemKind::LeftDelim,
                ItemKind::Dot,
                ItemKind::RightDelim,
                ItemKind::Eof
            ]
        );
    }

    #[test]
    fn identifiers_and_fields_take_non_ascii_letters_and_digits() {
        let items = lex("t", "{{ .héllo.wörld2 fünc_1 }}").items;
        let vals: Vec<_> = items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Field | ItemKind::Identifier))
            .map(|i| i.val)
            .collect();
        assert_eq!(vals, vec![".héllo", ".wörld2", "fünc_1"]);
    }

    #[test]
    fn item_display_truncates_long_values_like_go() {
        let item = Item {
            kind: ItemKind::String,
            pos: 0,
            line: 1,
            val: "abcdefghijklmnop",
        };
        assert_eq!(item.to_string(), "\"abcdefghij\"...");
    }
}
