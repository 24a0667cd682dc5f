//! The template parser: tokens to an AST whose nodes carry byte offsets (spans).
//!
//! Helm counterpart: Go's `text/template/parse/parse.go` and `node.go`. A template text
//! parses into a root tree plus the `{{define}}`/`{{block}}` trees it declares; function
//! names are resolved at parse time against the function table (as Go checks them), so the
//! executor never looks names up by string. Node `Display` follows Go's `Node.String()`,
//! used in execution errors (`executing "x" at <.Values.a.b>`).
//!
//! [`parse_all`] parses a chart's files on several threads (trees are built from `Rc`s,
//! so a thread hands over only whole, freshly parsed sets; see `SendTrees`). The AST
//! avoids small allocations: exactly sized slices, field chains as one string, literals
//! that keep their source text only when `Display` could not rebuild it.
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::lex::{Item, ItemKind, go_quote, lex_without_lines, line_at};
use super::value::{Func, Value};

/// A parse failure, with Go's text: `template: NAME:LINE: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template: {name}:{line}: {message}")]
pub struct ParseError {
    /// The name of the template being parsed (the file name).
    pub name: String,
    /// 1-based line of the last token read.
    pub line: usize,
    /// Go's message (`unexpected "}" in operand`).
    pub message: String,
}

/// A function the executor can call, resolved at parse time.
#[derive(Clone, Copy)]
pub enum FuncRef {
    /// A Go builtin (`and`, `or`, `len`, `index`, …) that needs special evaluation.
    Builtin(Builtin),
    /// A Helm engine function needing executor context (`include`, `tpl`, …).
    Engine(EngineFunc),
    /// A pure function (Sprig and Helm's pure helpers).
    Pure(Func),
}

/// Go's builtin template functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// Go's `and`.
    And,
    /// Go's `or`.
    Or,
    /// Go's `not`.
    Not,
    /// Go's `len`.
    Len,
    /// Go's `index`.
    Index,
    /// Go's `slice`.
    Slice,
    /// Go's `call`.
    Call,
    /// Go's `print`.
    Print,
    /// Go's `printf`.
    Printf,
    /// Go's `println`.
    Println,
    /// Go's `html`.
    Html,
    /// Go's `js`.
    Js,
    /// Go's `urlquery`.
    Urlquery,
    /// Go's `eq`.
    Eq,
    /// Go's `ne`.
    Ne,
    /// Go's `lt`.
    Lt,
    /// Go's `le`.
    Le,
    /// Go's `gt`.
    Gt,
    /// Go's `ge`.
    Ge,
}

/// Helm's engine functions that need the executor (template set, recursion state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineFunc {
    /// Helm's `include`.
    Include,
    /// Helm's `tpl`.
    Tpl,
    /// Helm's `required`.
    Required,
    /// Helm's `fail`.
    Fail,
    /// Helm's `lookup`.
    Lookup,
}

/// The names a template may call: Go builtins, engine functions and pure functions.
pub struct FuncTable {
    map: HashMap<&'static str, FuncRef, FastHash>,
}

impl FuncTable {
    /// Builds the table; pure functions override Go builtins of the same name (as in Go,
    /// where a template's FuncMap is searched before the builtins), and engine functions
    /// override both.
    pub fn new(pure: &HashMap<&'static str, Func>) -> Self {
        use Builtin::*;
        let mut map: HashMap<&'static str, FuncRef, FastHash> = [
            ("and", And),
            ("or", Or),
            ("not", Not),
            ("len", Len),
            ("index", Index),
            ("slice", Slice),
            ("call", Call),
            ("print", Print),
            ("printf", Printf),
            ("println", Println),
            ("html", Html),
            ("js", Js),
            ("urlquery", Urlquery),
            ("eq", Eq),
            ("ne", Ne),
            ("lt", Lt),
            ("le", Le),
            ("gt", Gt),
            ("ge", Ge),
        ]
        .into_iter()
        .map(|(n, b)| (n, FuncRef::Builtin(b)))
        .collect();
        for (name, func) in pure {
            map.insert(name, FuncRef::Pure(*func));
        }
        for (name, func) in [
            ("include", EngineFunc::Include),
            ("tpl", EngineFunc::Tpl),
            ("required", EngineFunc::Required),
            ("fail", EngineFunc::Fail),
            ("lookup", EngineFunc::Lookup),
        ] {
            map.insert(name, FuncRef::Engine(func));
        }
        FuncTable { map }
    }

    /// The function called `name`, if any.
    pub fn get(&self, name: &str) -> Option<FuncRef> {
        self.map.get(name).copied()
    }

    /// The function called `name` with the table's own copy of the name, if any.
    pub fn get_named(&self, name: &str) -> Option<(&'static str, FuncRef)> {
        self.map.get_key_value(name).map(|(k, v)| (*k, *v))
    }
}

/// One parsed template: its name and body, plus the text it came from (for positions).
pub struct Tree {
    /// The template's name (`mychart/templates/x.yaml`, or a `define` name).
    pub name: String,
    /// The name of the file it was parsed from, for error locations.
    pub parse_name: Rc<str>,
    /// The full text it was parsed from.
    pub text: TreeText,
    /// The body.
    pub root: List,
}

impl Tree {
    /// Go's `ErrorContext` location: `PARSENAME:LINE:COL` (COL is a 0-based byte offset).
    pub fn location(&self, pos: usize) -> String {
        let text = self.text.as_str();
        let pos = pos.min(text.len());
        let before = &text[..pos];
        let (line, col) = match before.rfind('\n') {
            Some(nl) => (before.matches('\n').count() + 1, pos - nl - 1),
            None => (1, pos),
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }

    /// The text of a `Node::Text` of this tree (empty for a range that is not its own).
    pub fn text_at(&self, range: &std::ops::Range<usize>) -> &str {
        self.text.as_str().get(range.clone()).unwrap_or_default()
    }
}

/// The text a tree was parsed from. A chart file's text is the file's own buffer (no
/// copy: text nodes are ranges of it); any other text is copied once.
#[derive(Clone)]
pub struct TreeText(bytes::Bytes);

impl TreeText {
    /// A copy of `text`.
    pub fn copied(text: &str) -> Self {
        TreeText(bytes::Bytes::copy_from_slice(text.as_bytes()))
    }

    /// `data` itself, if it is UTF-8.
    pub fn shared(data: &bytes::Bytes) -> Option<Self> {
        std::str::from_utf8(data).ok()?;
        Some(TreeText(data.clone()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // SAFETY: both constructors take only UTF-8 (a `&str`, or bytes just checked), and
        // the bytes of a `Bytes` never change.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

/// A sequence of nodes (sized exactly: a parsed tree never grows).
pub type List = Box<[Node]>;

/// A node of a template body.
pub enum Node {
    /// Plain text: its byte range in the tree's text (see [`Tree::text_at`]).
    Text(std::ops::Range<usize>),
    /// `{{pipeline}}`.
    Action(Pipe),
    /// `{{if}}` (boxed, as are the other branches: `Node`s are mostly text and actions,
    /// and a branch inline would double the size of every node).
    If(Box<Branch>),
    /// `{{with}}`.
    With(Box<Branch>),
    /// `{{range}}`.
    Range(Box<Branch>),
    /// `{{template "name" pipeline}}`.
    Template {
        /// Offset of the name.
        pos: usize,
        /// Template name.
        name: String,
        /// Argument (dot for the callee).
        pipe: Option<Box<Pipe>>,
    },
    /// `{{break}}`.
    Break(usize),
    /// `{{continue}}`.
    Continue(usize),
}

/// The parts of `if`, `with`, `range`.
pub struct Branch {
    /// Offset of the control keyword's pipeline.
    pub pos: usize,
    /// The condition / value.
    pub pipe: Pipe,
    /// Body.
    pub list: List,
    /// `else` body.
    pub else_list: Option<List>,
}

/// A pipeline, with optional variable declarations.
pub struct Pipe {
    /// Offset.
    pub pos: usize,
    /// `=` instead of `:=`.
    pub is_assign: bool,
    /// Declared or assigned variables (`$x`).
    pub decl: Vec<String>,
    /// Commands separated by `|`.
    pub cmds: Box<[Command]>,
}

/// A command: an operand followed by arguments.
pub struct Command {
    /// Offset.
    pub pos: usize,
    /// The operands; the first is the function or value.
    pub args: Box<[Arg]>,
}

/// The field names of a chain (`.A.B` has `A` and `B`), kept as one string (`A.B`): one
/// allocation where a `Vec<String>` takes one per name, and field names have no dots.
#[derive(Default)]
pub struct Fields(Box<str>);

impl Fields {
    /// Fields from their names joined with dots (`A.B`; empty for none).
    fn new(joined: &str) -> Self {
        Fields(Box::from(joined))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (!self.0.is_empty())
            .then(|| self.0.split('.'))
            .into_iter()
            .flatten()
    }

    /// The names but the last (in order), and the last; `None` when there are none.
    pub fn split_last(&self) -> Option<(impl Iterator<Item = &str>, &str)> {
        if self.0.is_empty() {
            return None;
        }
        let (init, last) = match self.0.rsplit_once('.') {
            Some((init, last)) => (Some(init), last),
            None => (None, &*self.0),
        };
        Some((init.into_iter().flat_map(|i| i.split('.')), last))
    }
}

impl fmt::Display for Fields {
    /// Go's form: `.A.B`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for name in self.iter() {
            write!(f, ".{name}")?;
        }
        Ok(())
    }
}

/// An operand.
pub enum Arg {
    /// `.A.B`.
    Field {
        /// Offset.
        pos: usize,
        /// Field names.
        idents: Fields,
    },
    /// `$x.A.B`.
    Variable {
        /// Offset.
        pos: usize,
        /// Variable name (with `$`).
        name: String,
        /// Fields after it.
        fields: Fields,
    },
    /// `(pipe).A.B`.
    Chain {
        /// Offset.
        pos: usize,
        /// The term.
        node: Box<Arg>,
        /// Fields after it.
        fields: Fields,
    },
    /// A function name.
    Identifier {
        /// Offset.
        pos: usize,
        /// Name (the function table's, so parsing does not copy it).
        name: &'static str,
        /// The resolved function.
        func: FuncRef,
    },
    /// `(pipeline)`.
    Pipe(Box<Pipe>),
    /// `.`.
    Dot(usize),
    /// `nil`.
    Nil(usize),
    /// `true` / `false`.
    Bool(usize, bool),
    /// A number constant, already typed as Go would (int or float64), and its source
    /// text unless that is the plain decimal form of an int (then `Display` prints it).
    Number(usize, Option<Box<str>>, Value),
    /// A string constant: its quoted source text unless that is the value in double
    /// quotes (then `Display` adds them), and its value.
    String(usize, Option<Box<str>>, Rc<str>),
}

impl Arg {
    /// Whether the operand reads a field of data (`.A.B`, `$x.A`, `(pipe).A`): Go gives
    /// what it reads its declared type (`interface {}` for a map's value), not the dynamic
    /// one, so a nil read this way is typed.
    pub fn reads_data(&self) -> bool {
        match self {
            Arg::Field { .. } => true,
            Arg::Variable { fields, .. } | Arg::Chain { fields, .. } => !fields.is_empty(),
            _ => false,
        }
    }

    /// Byte offset of the operand.
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
            Arg::Dot(p) | Arg::Nil(p) | Arg::Bool(p, _) => *p,
            Arg::Number(p, ..) | Arg::String(p, ..) => *p,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => write!(f, "{idents}"),
            Arg::Variable { name, fields, .. } => write!(f, "{name}{fields}"),
            Arg::Chain { node, fields, .. } => {
                match node.as_ref() {
                    Arg::Pipe(p) => write!(f, "({p})")?,
                    other => write!(f, "{other}")?,
                }
                write!(f, "{fields}")
            }
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Pipe(p) => write!(f, "{p}"),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(_, Some(text), _) | Arg::String(_, Some(text), _) => f.write_str(text),
            // Built only for ints (see `Parser::term`).
            Arg::Number(_, None, value) => match value {
                Value::Int(i) => write!(f, "{i}"),
                _ => Ok(()),
            },
            Arg::String(_, None, value) => write!(f, "\"{value}\""),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match arg {
                Arg::Pipe(p) => write!(f, "({p})")?,
                other => write!(f, "{other}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, cmd) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{cmd}")?;
        }
        Ok(())
    }
}

/// The result of parsing one text: its trees by name (the text's own name included).
pub type TreeSet = HashMap<String, Rc<Tree>, FastHash>;

/// The hasher of the engine's maps keyed by names: templates and functions are looked up
/// by name all the time (still seeded per process, as names come from charts).
pub type FastHash = foldhash::fast::RandomState;

/// Parses `text` named `name`; returns the main tree and every defined template.
/// A defined template that is only whitespace does not replace an existing one, as in Go.
pub fn parse(name: &str, text: &str, funcs: &FuncTable) -> Result<TreeSet, ParseError> {
    parse_text(name, TreeText::copied(text), funcs)
}

/// [`parse`] of a text that the trees keep as it is (see [`TreeText`]).
pub fn parse_text(name: &str, text: TreeText, funcs: &FuncTable) -> Result<TreeSet, ParseError> {
    let src = text.as_str();
    let lexed = lex_without_lines(name, src);
    let parse_name: Rc<str> = Rc::from(name);
    let mut parser = Parser {
        items: lexed.items,
        src,
        lex_error: lexed.error,
        i: 0,
        hi: 0,
        funcs,
        vars: vec!["$"],
        vars_base: 0,
        range_depth: 0,
        parse_name: parse_name.clone(),
        text: text.clone(),
        trees: HashMap::default(),
        nodes: Vec::new(),
        cmds: Vec::new(),
        args: Vec::new(),
    };
    let root = parser.parse_top()?;
    let tree = Tree {
        name: name.to_string(),
        parse_name,
        text: text.clone(),
        root,
    };
    parser.add(tree)?;
    Ok(parser.trees)
}

/// One template text to parse: its name (the file's template path) and its text.
pub struct Source<'a> {
    /// The template's name, as [`parse`] takes it.
    pub name: &'a str,
    /// The template text.
    pub text: &'a str,
}

/// Deeply nested actions recurse in the parser; give parse threads the render thread's
/// headroom rather than a 2 MiB stack.
const PARSE_STACK: usize = 512 << 20;

/// Below this many bytes of template text in all, a second thread costs more than it saves.
const PARALLEL_MIN_BYTES: usize = 64 << 10;

/// At most this many threads parse at once (the calling thread included).
const MAX_PARSE_THREADS: usize = 4;

/// Parses every source, on several threads when there is enough text, and returns their
/// tree sets in the order of `sources`, or the error of the first source (in that order)
/// that fails to parse, as parsing them one after the other would. The calling thread
/// first runs `meanwhile` (other work of the caller), then joins the parsing.
pub fn parse_all(
    sources: &[Source],
    funcs: &FuncTable,
    meanwhile: impl FnOnce(),
) -> Result<Vec<TreeSet>, ParseError> {
    let total: usize = sources.iter().map(|s| s.text.len()).sum();
    // (`available_parallelism` reads cgroup files: only asked when it can matter.)
    let threads = if total < PARALLEL_MIN_BYTES {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(MAX_PARSE_THREADS)
            .min(sources.len())
    };
    if threads < 2 {
        meanwhile();
        return sources
            .iter()
            .map(|s| parse(s.name, s.text, funcs))
            .collect();
    }
    // Files differ in cost per byte, so threads take them one at a time as they finish
    // the last (not in fixed shares), and stop at a failure: no later file matters then.
    let work = Work {
        sources,
        funcs,
        next: AtomicUsize::new(0),
        failed_at: AtomicUsize::new(usize::MAX),
    };
    let mut slots: Vec<Option<Result<SendTrees, ParseError>>> = Vec::new();
    slots.resize_with(sources.len(), || None);
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .name("rhelm-parse".into())
                    .stack_size(PARSE_STACK)
                    .spawn_scoped(scope, || work.run())
            })
            .collect();
        let mut place = |parsed: Vec<(usize, Result<SendTrees, ParseError>)>| {
            for (i, result) in parsed {
                slots[i] = Some(result);
            }
        };
        meanwhile();
        place(work.run());
        // A helper that could not start left its files to the others.
        for handle in helpers.into_iter().flatten() {
            match handle.join() {
                Ok(parsed) => place(parsed),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let mut out = Vec::with_capacity(sources.len());
    for (slot, source) in slots.into_iter().zip(sources) {
        // Every file up to the first failure was parsed (threads stop only past it).
        let trees = match slot {
            Some(result) => result?.into_inner(),
            None => parse(source.name, source.text, funcs)?,
        };
        out.push(trees);
    }
    Ok(out)
}

/// The files of [`parse_all`], shared by its threads.
struct Work<'s, 'f> {
    sources: &'s [Source<'s>],
    funcs: &'f FuncTable,
    /// The index of the next file to take.
    next: AtomicUsize,
    /// The lowest index of a file that failed to parse.
    failed_at: AtomicUsize,
}

impl Work<'_, '_> {
    /// Parses files until none is left before the first failure; returns them by index.
    fn run(&self) -> Vec<(usize, Result<SendTrees, ParseError>)> {
        let mut out = Vec::new();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(s) = self.sources.get(i) else {
                return out;
            };
            if i > self.failed_at.load(Ordering::Relaxed) {
                return out;
            }
            let parsed = SendTrees::parse_text(s.name, TreeText::copied(s.text), self.funcs);
            if parsed.is_err() {
                self.failed_at.fetch_min(i, Ordering::Relaxed);
            }
            out.push((i, parsed));
        }
    }
}

/// A tree set fresh from [`parse_text`], on its way from the thread that parsed it to
/// another ([`parse_all`]'s helpers, `preparse`'s thread). Only [`SendTrees::parse_text`]
/// builds one.
pub(super) struct SendTrees(TreeSet);

// SAFETY: `Rc` is `!Send` only because two threads holding clones of one `Rc` would
// update its count without synchronisation. A `SendTrees` is only built (in
// `SendTrees::parse_text`) from the set that `parse_text` has just returned, and every
// `Rc` in that set was created by that call (`parse_name` in `parse_text`, the
// `Rc<Tree>`s in `Parser::add`, `Arg::String` values in `Parser::term`; `Arg::Number`
// holds only `Value::Int`/`Value::Float`, see `parse_number`), with all its clones inside
// the set: the parser's own clone of `parse_name` is dropped when `parse_text` returns.
// (The trees' `TreeText` is a `Bytes`, which is `Send`.) `parse_text` takes no `Rc` in
// (its inputs are a `&str`, a `TreeText` and the `Sync` `FuncTable`). A `SendTrees` is
// then only moved, never cloned, so moving it moves every handle to those counts at once,
// and the thread that parsed keeps none.
unsafe impl Send for SendTrees {}

impl SendTrees {
    /// [`parse_text`], for trees to be used on another thread.
    pub(super) fn parse_text(
        name: &str,
        text: TreeText,
        funcs: &FuncTable,
    ) -> Result<Self, ParseError> {
        parse_text(name, text, funcs).map(SendTrees)
    }

    /// The trees, on the thread that uses them.
    pub(super) fn into_inner(self) -> TreeSet {
        self.0
    }
}

/// Go's `IsEmptyTree`: only whitespace text.
pub fn is_empty_tree(tree: &Tree) -> bool {
    tree.root.iter().all(|n| match n {
        Node::Text(range) => tree.text_at(range).trim().is_empty(),
        _ => false,
    })
}

struct Parser<'f, 't> {
    items: Vec<Item<'t>>,
    /// The text the items are slices of.
    src: &'t str,
    /// The message of the lexer's `Error` token, if it produced one.
    lex_error: String,
    i: usize,
    hi: usize,
    funcs: &'f FuncTable,
    /// Variables in scope, innermost last; those of the template being parsed start at
    /// `vars_base` (a `define` inside a file sees none of the file's variables).
    vars: Vec<&'t str>,
    vars_base: usize,
    range_depth: usize,
    parse_name: Rc<str>,
    text: TreeText,
    trees: TreeSet,
    /// Nodes, commands and operands of the lists, pipelines and commands being parsed,
    /// innermost last: each is moved into an exactly sized slice when it is complete, so
    /// the tree holds no spare capacity and growing happens in these few buffers.
    nodes: Vec<Node>,
    cmds: Vec<Command>,
    args: Vec<Arg>,
}

enum Parsed {
    Node(Node),
    End,
    Else,
}

impl<'t> Parser<'_, 't> {
    fn item(&self, i: usize) -> &Item<'t> {
        let last = self.items.len().saturating_sub(1);
        &self.items[i.min(last)]
    }

    fn next(&mut self) -> Item<'t> {
        let item = *self.item(self.i);
        self.hi = self.hi.max(self.i);
        if self.i < self.items.len() {
            self.i += 1;
        }
        if item.kind == ItemKind::Error {
            // The error is the last item: stay on it, so every later read (and a backup)
            // sees it again and reports it.
            self.i = self.items.len();
        }
        item
    }

    fn backup(&mut self) {
        self.i -= 1;
    }

    fn peek(&mut self) -> Item<'t> {
        self.hi = self.hi.max(self.i);
        *self.item(self.i)
    }

    fn next_non_space(&mut self) -> Item<'t> {
        loop {
            let item = self.next();
            if item.kind != ItemKind::Space {
                return item;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'t> {
        let item = self.next_non_space();
        self.backup();
        item
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            name: self.parse_name.to_string(),
            line: line_at(self.src, self.item(self.hi).pos),
            message: message.into(),
        }
    }

    fn unexpected(&self, item: &Item, context: &str) -> ParseError {
        if item.kind == ItemKind::Error {
            return self.error(self.lex_error.clone());
        }
        self.error(format!("unexpected {item} in {context}"))
    }

    fn add(&mut self, tree: Tree) -> Result<(), ParseError> {
        match self.trees.get(&tree.name) {
            Some(old) if !is_empty_tree(old) => {
                if !is_empty_tree(&tree) {
                    return Err(self.error(format!(
                        "template: multiple definition of template {}",
                        go_quote(&tree.name)
                    )));
                }
                Ok(())
            }
            _ => {
                self.trees.insert(tree.name.clone(), Rc::new(tree));
                Ok(())
            }
        }
    }

    fn new_tree(&self, name: String, root: List) -> Tree {
        Tree {
            name,
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root,
        }
    }

    fn parse_top(&mut self) -> Result<List, ParseError> {
        let start = self.nodes.len();
        loop {
            let item = self.peek();
            if item.kind == ItemKind::Eof {
                return Ok(self.nodes.drain(start..).collect());
            }
            if item.kind == ItemKind::LeftDelim {
                let save = self.i;
                self.next();
                if self.next_non_space().kind == ItemKind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.i = save;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => self.nodes.push(n),
                Parsed::End => return Err(self.error("unexpected {{end}}")),
                Parsed::Else => return Err(self.error("unexpected {{else}}")),
            }
        }
    }

    fn parse_definition(&mut self) -> Result<(), ParseError> {
        const CONTEXT: &str = "define clause";
        let name_item = self.next_non_space();
        if !matches!(name_item.kind, ItemKind::String | ItemKind::RawString) {
            return Err(self.unexpected(&name_item, CONTEXT));
        }
        let name = unquote(name_item.val).map_err(|e| self.error(e))?;
        let close = self.next_non_space();
        if close.kind != ItemKind::RightDelim {
            return Err(self.unexpected(&close, CONTEXT));
        }
        // A definition sees only its own `$`.
        let saved_base = std::mem::replace(&mut self.vars_base, self.vars.len());
        self.vars.push("$");
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars.truncate(self.vars_base);
        self.vars_base = saved_base;
        self.range_depth = saved_depth;
        if let Parsed::Else = end {
            return Err(self.error(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        let tree = self.new_tree(name, list);
        self.add(tree)
    }

    /// Nodes up to `{{end}}` or `{{else}}`, which is returned.
    fn item_list(&mut self) -> Result<(List, Parsed), ParseError> {
        let start = self.nodes.len();
        loop {
            if self.peek_non_space().kind == ItemKind::Eof {
                return Err(self.error("unexpected EOF"));
            }
            match self.text_or_action()? {
                Parsed::Node(n) => self.nodes.push(n),
                other => return Ok((self.nodes.drain(start..).collect(), other)),
            }
        }
    }

    fn text_or_action(&mut self) -> Result<Parsed, ParseError> {
        let item = self.next_non_space();
        match item.kind {
            // The text stays in the tree's copy of the source, shared by all its nodes.
            ItemKind::Text => Ok(Parsed::Node(Node::Text(
                item.pos..item.pos + item.val.len(),
            ))),
            ItemKind::LeftDelim => self.action(),
            _ => Err(self.unexpected(&item, "input")),
        }
    }

    fn action(&mut self) -> Result<Parsed, ParseError> {
        let item = self.next_non_space();
        match item.kind {
            ItemKind::Block => return self.block_control().map(Parsed::Node),
            ItemKind::Break => return self.break_control(item.pos, true).map(Parsed::Node),
            ItemKind::Continue => return self.break_control(item.pos, false).map(Parsed::Node),
            ItemKind::Else => return self.else_control(),
            ItemKind::End => {
                let close = self.next_non_space();
                if close.kind != ItemKind::RightDelim {
                    return Err(self.unexpected(&close, "end"));
                }
                return Ok(Parsed::End);
            }
            ItemKind::If => return self.control(ControlKind::If).map(Parsed::Node),
            ItemKind::Range => return self.control(ControlKind::Range).map(Parsed::Node),
            ItemKind::With => return self.control(ControlKind::With).map(Parsed::Node),
            ItemKind::Template => return self.template_control().map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", ItemKind::RightDelim)?;
        Ok(Parsed::Node(Node::Action(pipe)))
    }

    fn break_control(&mut self, pos: usize, is_break: bool) -> Result<Node, ParseError> {
        let word = if is_break {
            "{{break}}"
        } else {
            "{{continue}}"
        };
        let close = self.next_non_space();
        if close.kind != ItemKind::RightDelim {
            return Err(self.unexpected(&close, word));
        }
        if self.range_depth == 0 {
            return Err(self.error(format!("{word} outside {{{{range}}}}")));
        }
        Ok(if is_break {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        })
    }

    fn else_control(&mut self) -> Result<Parsed, ParseError> {
        let peek = self.peek_non_space();
        if matches!(peek.kind, ItemKind::If | ItemKind::With) {
            // `{{else if}}` / `{{else with}}`: leave the keyword pending.
            return Ok(Parsed::Else);
        }
        let close = self.next_non_space();
        if close.kind != ItemKind::RightDelim {
            return Err(self.unexpected(&close, "else"));
        }
        Ok(Parsed::Else)
    }

    fn control(&mut self, kind: ControlKind) -> Result<Node, ParseError> {
        let mark = self.vars.len();
        let result = self.control_body(kind);
        self.vars.truncate(mark);
        result
    }

    fn control_body(&mut self, kind: ControlKind) -> Result<Node, ParseError> {
        let context = match kind {
            ControlKind::If => "if",
            ControlKind::Range => "range",
            ControlKind::With => "with",
        };
        let pipe = self.pipeline(context, ItemKind::RightDelim)?;
        if kind == ControlKind::Range {
            self.range_depth += 1;
        }
        let body = self.item_list();
        if kind == ControlKind::Range {
            self.range_depth -= 1;
        }
        let (list, next) = body?;
        let else_list = match next {
            Parsed::Else => {
                let chained = match kind {
                    ControlKind::If => ItemKind::If,
                    ControlKind::With => ItemKind::With,
                    ControlKind::Range => ItemKind::Eof,
                };
                if self.peek().kind == chained {
                    // `{{else if …}}` is `{{else}}{{if …}}…{{end}}` sharing one `{{end}}`.
                    self.next();
                    Some(Box::new([self.control(kind)?]) as List)
                } else {
                    let (else_list, next) = self.item_list()?;
                    if !matches!(next, Parsed::End) {
                        return Err(self.error("expected end; found {{else}}"));
                    }
                    Some(else_list)
                }
            }
            _ => None,
        };
        let branch = Box::new(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        });
        Ok(match kind {
            ControlKind::If => Node::If(branch),
            ControlKind::Range => Node::Range(branch),
            ControlKind::With => Node::With(branch),
        })
    }

    fn template_control(&mut self) -> Result<Node, ParseError> {
        const CONTEXT: &str = "template clause";
        let item = self.next_non_space();
        let name = self.template_name(&item, CONTEXT)?;
        let next = self.next_non_space();
        let pipe = if next.kind != ItemKind::RightDelim {
            self.backup();
            Some(Box::new(self.pipeline(CONTEXT, ItemKind::RightDelim)?))
        } else {
            None
        };
        Ok(Node::Template {
            pos: item.pos,
            name,
            pipe,
        })
    }

    fn block_control(&mut self) -> Result<Node, ParseError> {
        const CONTEXT: &str = "block clause";
        let item = self.next_non_space();
        let name = self.template_name(&item, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemKind::RightDelim)?;
        // A definition sees only its own `$`.
        let saved_base = std::mem::replace(&mut self.vars_base, self.vars.len());
        self.vars.push("$");
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars.truncate(self.vars_base);
        self.vars_base = saved_base;
        self.range_depth = saved_depth;
        if let Parsed::Else = end {
            return Err(self.error(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        let tree = self.new_tree(name.clone(), list);
        self.add(tree)?;
        Ok(Node::Template {
            pos: item.pos,
            name,
            pipe: Some(Box::new(pipe)),
        })
    }

    fn template_name(&self, item: &Item, context: &str) -> Result<String, ParseError> {
        match item.kind {
            ItemKind::String | ItemKind::RawString => unquote(item.val).map_err(|e| self.error(e)),
            _ => Err(self.unexpected(item, context)),
        }
    }

    fn pipeline(&mut self, context: &str, end: ItemKind) -> Result<Pipe, ParseError> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Box::default(),
        };
        let cmds_start = self.cmds.len();
        // Declarations: `$x :=`, `$x =`, `$i, $v :=` (range only).
        loop {
            let v = self.peek_non_space();
            if v.kind != ItemKind::Variable {
                break;
            }
            let save = self.i;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.kind {
                ItemKind::Assign | ItemKind::Declare => {
                    pipe.is_assign = next.kind == ItemKind::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.to_string());
                    self.vars.push(v.val);
                    break;
                }
                ItemKind::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.to_string());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            ItemKind::Variable | ItemKind::RightDelim | ItemKind::RightParen => {
                                continue;
                            }
                            _ => return Err(self.error("range can only initialize variables")),
                        }
                    }
                    return Err(self.error(format!("too many declarations in {context}")));
                }
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        loop {
            let item = self.next_non_space();
            if item.kind == end {
                pipe.cmds = self.cmds.drain(cmds_start..).collect();
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match item.kind {
                ItemKind::Bool
                | ItemKind::CharConstant
                | ItemKind::Complex
                | ItemKind::Dot
                | ItemKind::Field
                | ItemKind::Identifier
                | ItemKind::Number
                | ItemKind::Nil
                | ItemKind::RawString
                | ItemKind::String
                | ItemKind::Variable
                | ItemKind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    self.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&item, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> Result<(), ParseError> {
        if pipe.cmds.is_empty() {
            return Err(self.error(format!("missing value for {context}")));
        }
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                cmd.args.first(),
                Some(Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(..) | Arg::String(..))
            ) {
                return Err(self.error(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> Result<Command, ParseError> {
        let pos = self.peek_non_space().pos;
        let args_start = self.args.len();
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                self.args.push(operand);
            }
            let item = self.next();
            match item.kind {
                ItemKind::Space => continue,
                ItemKind::RightDelim | ItemKind::RightParen => self.backup(),
                ItemKind::Pipe => {}
                _ => return Err(self.unexpected(&item, "operand")),
            }
            break;
        }
        if self.args.len() == args_start {
            return Err(self.error("empty command"));
        }
        Ok(Command {
            pos,
            args: self.args.drain(args_start..).collect(),
        })
    }

    fn operand(&mut self) -> Result<Option<Arg>, ParseError> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != ItemKind::Field {
            return Ok(Some(node));
        }
        // (`term` took the fields after a field or variable itself.)
        let (chain_pos, fields) = self.trailing_fields(None);
        Ok(Some(match node {
            Arg::Bool(..) | Arg::String(..) | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                return Err(self.error(format!(
                    "unexpected . after term {}",
                    go_quote(&node.to_string())
                )));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    /// Takes the `Field` items that follow (`.B.C`), which Go joins to the operand before
    /// them. `own` is that operand's item when it is a field or a variable with fields of
    /// its own, and those fields' text (`A` of `.A`). Returns Go's position of the joined
    /// node (the first following field's, else the operand's) and all the fields.
    fn trailing_fields(&mut self, own: Option<(Item<'t>, &'t str)>) -> (usize, Fields) {
        let first = self.peek();
        if first.kind != ItemKind::Field {
            return match own {
                Some((item, names)) => (item.pos, Fields::new(names)),
                None => (first.pos, Fields::default()),
            };
        }
        let from = self.i;
        while self.peek().kind == ItemKind::Field {
            self.next();
        }
        let taken = &self.items[from..self.i];
        // The items of `.A.B.C` are adjacent in the text, so their names are one slice of
        // it; `own`'s names are a suffix of its item's text.
        let (start, mut end) = match own {
            Some((item, names)) => (
                item.pos + item.val.len() - names.len(),
                item.pos + item.val.len(),
            ),
            None => (first.pos + 1, first.pos),
        };
        let mut adjacent = true;
        for f in taken {
            adjacent &= f.pos == end;
            end = f.pos + f.val.len();
        }
        let fields = match self.src.get(start..end) {
            Some(joined) if adjacent => Fields::new(joined),
            // Not seen from the lexer; kept correct all the same.
            _ => {
                let own = own.map(|(_, names)| names);
                let names: Vec<&str> = own
                    .into_iter()
                    .chain(taken.iter().map(|f| &f.val[1..]))
                    .collect();
                Fields::new(&names.join("."))
            }
        };
        (first.pos, fields)
    }

    fn term(&mut self) -> Result<Option<Arg>, ParseError> {
        let item = self.next_non_space();
        Ok(Some(match item.kind {
            ItemKind::Identifier => {
                let Some((name, func)) = self.funcs.get_named(item.val) else {
                    return Err(self.error(format!("function {} not defined", go_quote(item.val))));
                };
                Arg::Identifier {
                    pos: item.pos,
                    name,
                    func,
                }
            }
            ItemKind::Dot => Arg::Dot(item.pos),
            ItemKind::Nil => Arg::Nil(item.pos),
            ItemKind::Variable => {
                let (name, own) = match item.val.split_once('.') {
                    Some((name, own)) => (name, Some((item, own))),
                    None => (item.val, None),
                };
                if !self.vars[self.vars_base..].contains(&name) {
                    return Err(self.error(format!("undefined variable {}", go_quote(name))));
                }
                let (pos, fields) = self.trailing_fields(own);
                Arg::Variable {
                    pos: if own.is_none() && fields.is_empty() {
                        item.pos
                    } else {
                        pos
                    },
                    name: name.to_string(),
                    fields,
                }
            }
            ItemKind::Field => {
                let (pos, idents) = self.trailing_fields(Some((item, &item.val[1..])));
                Arg::Field { pos, idents }
            }
            ItemKind::Bool => Arg::Bool(item.pos, item.val == "true"),
            ItemKind::CharConstant | ItemKind::Complex | ItemKind::Number => {
                let value = parse_number(item.val, item.kind).map_err(|e| self.error(e))?;
                let plain = matches!(value, Value::Int(_)) && is_plain_decimal(item.val);
                Arg::Number(item.pos, (!plain).then(|| Box::from(item.val)), value)
            }
            ItemKind::LeftParen => {
                let pipe = self.pipeline("parenthesized pipeline", ItemKind::RightParen)?;
                Arg::Pipe(Box::new(pipe))
            }
            ItemKind::String | ItemKind::RawString => {
                // Most literals are double-quoted without escapes: their value is the text
                // between the quotes, and `Display` can put the quotes back.
                let inner = item.val.get(1..item.val.len().saturating_sub(1));
                match inner {
                    Some(inner)
                        if item.kind == ItemKind::String
                            && item.val.len() >= 2
                            && !inner.contains('\\') =>
                    {
                        Arg::String(item.pos, None, Rc::from(inner))
                    }
                    _ => {
                        let value = unquote(item.val).map_err(|e| self.error(e))?;
                        Arg::String(item.pos, Some(Box::from(item.val)), Rc::from(value))
                    }
                }
            }
            ItemKind::Error => return Err(self.error(self.lex_error.clone())),
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ControlKind {
    If,
    Range,
    With,
}

/// Go's `strconv.Unquote` for `"…"` and `` `…` `` literals.
pub fn unquote(text: &str) -> Result<String, String> {
    let bad = || "invalid syntax".to_string();
    if let Some(raw) = text.strip_prefix('`') {
        return raw.strip_suffix('`').map(str::to_string).ok_or_else(bad);
    }
    let quote = text.chars().next().ok_or_else(bad)?;
    if quote != '"' && quote != '\'' {
        return Err(bad());
    }
    let inner = text
        .strip_prefix(quote)
        .and_then(|t| t.strip_suffix(quote))
        .ok_or_else(bad)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(bad)?;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '"' if quote == '"' => out.push('"'),
            '\'' if quote == '\'' => out.push('\''),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                if hex.len() != n {
                    return Err(bad());
                }
                let code = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
                if e == 'x' {
                    // A byte; only ASCII is representable in a Rust string.
                    out.push(char::from_u32(code).ok_or_else(bad)?);
                } else {
                    out.push(char::from_u32(code).ok_or_else(bad)?);
                }
            }
            '0'..='7' => {
                let mut digits = String::from(e);
                for _ in 0..2 {
                    digits.push(chars.next().ok_or_else(bad)?);
                }
                let code = u32::from_str_radix(&digits, 8).map_err(|_| bad())?;
                if code > 255 {
                    return Err(bad());
                }
                out.push(char::from_u32(code).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
    }
    if quote == '\'' && out.chars().count() != 1 {
        return Err(bad());
    }
    Ok(out)
}

/// Whether `text` is how an int prints: decimal digits, no `+`, no leading zero, no `-0`.
fn is_plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let well_formed = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed && (!digits.starts_with('0') || text == "0")
}

/// Go's `strconv.ParseInt(text, 0, 64)` (prefixes `0x`, `0o`, `0b`, leading-0 octal, `_`).
fn parse_go_int(text: &str) -> Option<i128> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    // Underscores only between digits (or after a base prefix).
    if digits.contains('_') {
        let d = digits.as_bytes();
        if d.last() == Some(&b'_')
            || (!prefixed && d.first() == Some(&b'_'))
            || digits.contains("__")
        {
            return None;
        }
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    let n = i128::from_str_radix(&clean, radix).ok()?;
    Some(if neg { -n } else { n })
}

/// Go's hexadecimal floating-point literal: `0x1.8p3` (mantissa in hex, binary exponent).
fn parse_hex_float(text: &str) -> Option<f64> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let body: String = body.get(2..)?.chars().filter(|c| *c != '_').collect();
    let (mantissa, exp) = match body.find(['p', 'P']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i32>().ok()?),
        None => (body.as_str(), 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let value = value * 2f64.powi(exp);
    Some(if neg { -value } else { value })
}

/// Types a number constant as Go's `idealConstant` would: int when it is an integer
/// literal, float64 when it has `.`, `e` or `p` (non-hex).
fn parse_number(text: &str, kind: ItemKind) -> Result<Value, String> {
    if kind == ItemKind::CharConstant {
        let s = unquote(text).map_err(|_| format!("malformed character constant: {text}"))?;
        let c = s.chars().next().unwrap_or_default();
        return Ok(Value::Int(c as i64));
    }
    if kind == ItemKind::Complex || text.ends_with('i') {
        return Err(format!("illegal number syntax: {}", go_quote(text)));
    }
    if let Some(n) = parse_go_int(text) {
        return match i64::try_from(n) {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => Err(format!("{text} overflows int")),
        };
    }
    let is_hex = text
        .trim_start_matches(['+', '-'])
        .to_ascii_lowercase()
        .starts_with("0x");
    if is_hex {
        return match parse_hex_float(text) {
            Some(f) if text.contains(['p', 'P']) => Ok(Value::Float(f)),
            _ => Err(format!("illegal number syntax: {}", go_quote(text))),
        };
    }
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    match clean.parse::<f64>() {
        Ok(f) if text.contains(['.', 'e', 'E']) => Ok(Value::Float(f)),
        Ok(_) => Err(format!("integer overflow: {}", go_quote(text))),
        Err(_) => Err(format!("illegal number syntax: {}", go_quote(text))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FuncTable {
        let mut pure: HashMap<&'static str, Func> = HashMap::new();
        pure.insert("upper", |_| Ok(Value::Nil));
        FuncTable::new(&pure)
    }

    fn parse_err(text: &str) -> String {
        match parse("t.yaml", text, &table()) {
            Ok(_) => String::from("no error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn text_nodes_read_their_text_from_the_trees_source_without_trim_markers() {
        let trees = parse(
            "t.yaml",
            "a  {{- .x }} b{{ define \"d\" }} \n {{ end }}",
            &table(),
        )
        .unwrap_or_default();
        let texts = |name: &str| -> Vec<String> {
            let Some(tree) = trees.get(name) else {
                return vec![];
            };
            tree.root
                .iter()
                .filter_map(|n| match n {
                    Node::Text(range) => Some(tree.text_at(range).to_string()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(texts("t.yaml"), vec!["a", " b"]);
        assert_eq!(texts("d"), vec![" \n "]);
        assert!(trees.get("d").is_some_and(|d| is_empty_tree(d)));
        assert!(trees.get("t.yaml").is_some_and(|t| !is_empty_tree(t)));
    }

    #[test]
    fn unknown_function_is_a_parse_error_with_the_line() {
        assert_eq!(
            parse_err("a\n{{ nope 1 }}"),
            "template: t.yaml:2: function \"nope\" not defined"
        );
    }

    #[test]
    fn single_closing_brace_is_unexpected_in_operand() {
        assert_eq!(
            parse_err("{{ .x }"),
            "template: t.yaml:1: unexpected \"}\" in operand"
        );
    }

    #[test]
    fn missing_end_is_unexpected_eof() {
        assert_eq!(
            parse_err("{{ if .x }}a"),
            "template: t.yaml:1: unexpected EOF"
        );
    }

    #[test]
    fn undefined_variable_is_reported() {
        assert_eq!(
            parse_err("{{ $x }}"),
            "template: t.yaml:1: undefined variable \"$x\""
        );
    }

    #[test]
    fn defines_become_separate_trees() {
        let set = parse("t", "{{ define \"a\" }}A{{ end }}b", &table()).map_err(|e| e.to_string());
        let set = set.unwrap_or_default();
        assert!(set.contains_key("a"));
        assert!(set.contains_key("t"));
    }

    #[test]
    fn node_strings_match_go() {
        let set = parse("t", "{{ $x := (.a).b | upper }}", &table()).unwrap_or_default();
        let tree = &set["t"];
        let Node::Action(pipe) = &tree.root[0] else {
            panic!("not an action");
        };
        assert_eq!(pipe.to_string(), "$x := (.a).b | upper");
    }

    #[test]
    fn literals_and_field_chains_print_as_their_source_text() {
        let text = r#"{{ upper "a" "\x41\n" `r"aw` 7 -3 0 -0 +5 0x1F 017 1_0 2.50 1e3 'a' .a.b.c $.x.y $x (.a).b.c }}"#;
        let text = text.replace("$x (", "$ (");
        let set = parse("t", &text, &table()).unwrap_or_default();
        let Some(Node::Action(pipe)) = set.get("t").and_then(|t| t.root.first()) else {
            panic!("not an action");
        };
        assert_eq!(
            pipe.to_string(),
            r#"upper "a" "\x41\n" `r"aw` 7 -3 0 -0 +5 0x1F 017 1_0 2.50 1e3 'a' .a.b.c $.x.y $ (.a).b.c"#
        );
    }

    #[test]
    fn field_chains_keep_gos_position_and_every_name() {
        let set = parse("t", "{{ .a.b.c }}{{ $.x }}{{ .d }}", &table()).unwrap_or_default();
        let first_arg = |i: usize| match set.get("t").map(|t| &t.root[i]) {
            Some(Node::Action(pipe)) => pipe.cmds[0].args[0].pos(),
            _ => usize::MAX,
        };
        // Go places a joined chain at its second field, a single field at itself.
        assert_eq!((first_arg(0), first_arg(1), first_arg(2)), (5, 16, 24));
        let Some(Node::Action(pipe)) = set.get("t").map(|t| &t.root[0]) else {
            panic!("not an action");
        };
        let Arg::Field { idents, .. } = &pipe.cmds[0].args[0] else {
            panic!("not a field");
        };
        assert_eq!(idents.iter().collect::<Vec<_>>(), vec!["a", "b", "c"]);
        let (init, last) = idents.split_last().unwrap_or_else(|| panic!("no fields"));
        assert_eq!((init.collect::<Vec<_>>(), last), (vec!["a", "b"], "c"));
    }

    fn sources(texts: &[(String, String)]) -> Vec<Source<'_>> {
        texts
            .iter()
            .map(|(name, text)| Source { name, text })
            .collect()
    }

    /// Files enough (and big enough) to be parsed on several threads.
    fn many_files(bad: &[usize]) -> Vec<(String, String)> {
        let body = format!(
            "{{{{ define \"d\" }}}}x{{{{ end }}}}{}",
            "{{ if .a }}{{ .b | upper }}{{ end }}\n".repeat(400)
        );
        (0..40)
            .map(|i| {
                let text = if bad.contains(&i) {
                    format!("{body}{{{{ nope{i} }}}}")
                } else {
                    body.clone()
                };
                (format!("f{i}"), text)
            })
            .collect()
    }

    #[test]
    fn parsing_many_files_keeps_their_order() {
        let files = many_files(&[]);
        let sets = parse_all(&sources(&files), &table(), || {}).unwrap_or_default();
        let names: Vec<bool> = sets
            .iter()
            .enumerate()
            .map(|(i, set)| set.contains_key(&format!("f{i}")) && set.contains_key("d"))
            .collect();
        assert_eq!(names, vec![true; 40]);
    }

    #[test]
    fn parsing_many_files_reports_the_first_failing_file_in_order() {
        for bad in [vec![39], vec![3, 30], vec![0, 1, 2, 39], vec![25, 7]] {
            let files = many_files(&bad);
            let first = bad.iter().min().copied().unwrap_or_default();
            let got = parse_all(&sources(&files), &table(), || {}).map(|_| ());
            assert_eq!(
                got.map_err(|e| e.to_string()),
                Err(format!(
                    "template: f{first}:401: function \"nope{first}\" not defined"
                ))
            );
        }
    }

    #[test]
    fn parsing_many_files_runs_the_callers_other_work_once() {
        for files in [many_files(&[]), vec![("small".into(), "{{ .x }}".into())]] {
            let mut runs = 0;
            let parsed = parse_all(&sources(&files), &table(), || runs += 1);
            assert!(parsed.is_ok());
            assert_eq!(runs, 1);
        }
    }

    #[test]
    fn numbers_are_typed_like_go_constants() {
        assert!(matches!(
            parse_number("0x1F", ItemKind::Number),
            Ok(Value::Int(31))
        ));
        assert!(matches!(
            parse_number("1_000", ItemKind::Number),
            Ok(Value::Int(1000))
        ));
        assert!(matches!(
            parse_number("017", ItemKind::Number),
            Ok(Value::Int(15))
        ));
        assert!(
            matches!(parse_number("1e3", ItemKind::Number), Ok(Value::Float(f)) if f == 1000.0)
        );
        assert!(matches!(
            parse_number("'a'", ItemKind::CharConstant),
            Ok(Value::Int(97))
        ));
        assert!(
            matches!(parse_number("0x1p60", ItemKind::Number), Ok(Value::Float(f)) if f == 2f64.powi(60))
        );
    }

    #[test]
    fn break_outside_range_is_rejected() {
        assert_eq!(
            parse_err("{{ break }}"),
            "template: t.yaml:1: {{break}} outside {{range}}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn parsing_any_text_terminates_without_panicking(
            text in "[{}()|$.=:,\"'` \\-a-z0-9_\n/*]{0,40}"
        ) {
            let table = table();
            let result = parse("t", &text, &table);
            if let Err(e) = result {
                proptest::prop_assert!(e.to_string().starts_with("template: t:"));
            }
        }
    }
}
