//! The template executor: walks parsed trees against data, writing text.
//!
//! Helm counterpart: Go's `text/template/exec.go` and `funcs.go` (builtins), with Helm's
//! engine functions from `pkg/engine/engine.go` (`include`, `tpl`, `required`, `fail`,
//! `lookup`). Missing map keys yield nil (`missingkey=zero`); printing nil writes Go's
//! `<no value>`, which the renderer strips as Helm does. Error texts are Go's, located by
//! the node's span: `template: FILE:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
//!
//! Go distinguishes a nil *interface value* (a missing or null map entry, a list element)
//! from an *invalid* value (a nil pipeline result): a field of the first fails with
//! `nil pointer evaluating interface {}.x`, of the second quietly yields nil. The executor
//! keeps that distinction with an `iface` flag beside the values that came out of a map or
//! list.
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::rc::Rc;

use super::funcs;
use super::gofmt::{format_value, sprintf};
use super::lex::go_quote;
use super::parse::{
    Arg, Branch, Builtin, Command, EngineFunc, Fields, FuncRef, FuncTable, Node, Pipe, Tree,
    TreeSet, parse,
};
use super::value::{FuncError, Value};

/// Helm's marker pair around `required`/`fail` messages (`HELM_ERR_START…HELM_ERR_END`).
pub const WARN_START: &str = "HELM_ERR_START";
/// See [`WARN_START`].
pub const WARN_END: &str = "HELM_ERR_END";
/// Helm's limit on nested `include`s of one template name.
const INCLUDE_LIMIT: usize = 1000;
/// Go's limit on nested `{{template}}` calls.
const MAX_EXEC_DEPTH: usize = 100_000;

/// An execution failure: Go's full error text, plus the texts of the errors it wraps
/// (Go's `errors.Unwrap` chain below an `error calling F: %w`), which Helm walks to
/// format a trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct ExecError {
    /// Go's `Error()` text.
    pub text: String,
    /// `Error()` texts of the wrapped causes, outermost first.
    pub chain: Vec<String>,
}

impl ExecError {
    fn plain(text: String) -> Self {
        ExecError {
            text,
            chain: Vec::new(),
        }
    }
}

/// Why a function call failed: its error text and what that error wraps.
struct Cause {
    text: String,
    chain: Vec<String>,
}

impl From<FuncError> for Cause {
    fn from(e: FuncError) -> Self {
        Cause {
            text: e.0,
            chain: Vec::new(),
        }
    }
}

impl From<ExecError> for Cause {
    fn from(e: ExecError) -> Self {
        Cause {
            text: e.text,
            chain: e.chain,
        }
    }
}

/// How the executor reaches Kubernetes for `lookup` (Helm's `lookup` function).
pub trait Lookup {
    /// Returns the object (or, with an empty name, the list) as JSON; an empty map when
    /// there is none.
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<serde_json::Value, String>;
}

/// Everything one render shares: the template namespace, functions and engine state.
pub struct Env<'a> {
    set: &'a TreeSet,
    funcs: &'a FuncTable,
    lookup: Option<&'a (dyn Lookup + Sync)>,
    /// Templates defined by enclosing `tpl` calls, innermost last.
    overlays: RefCell<Vec<Rc<TreeSet>>>,
    include_counts: RefCell<HashMap<String, usize>>,
    tpl_cache: RefCell<HashMap<String, Rc<TreeSet>>>,
    lint_mode: bool,
}

impl<'a> Env<'a> {
    /// A new environment over a parsed template set.
    pub fn new(
        set: &'a TreeSet,
        funcs: &'a FuncTable,
        lookup: Option<&'a (dyn Lookup + Sync)>,
    ) -> Self {
        Env {
            set,
            funcs,
            lookup,
            overlays: RefCell::new(Vec::new()),
            include_counts: RefCell::new(HashMap::new()),
            tpl_cache: RefCell::new(HashMap::new()),
            lint_mode: false,
        }
    }

    /// Helm's lint mode: `required` and `fail` return `""` instead of failing.
    pub fn lint_mode(mut self, on: bool) -> Self {
        self.lint_mode = on;
        self
    }

    fn find(&self, name: &str) -> Option<Rc<Tree>> {
        for overlay in self.overlays.borrow().iter().rev() {
            if let Some(t) = overlay.get(name) {
                return Some(t.clone());
            }
        }
        self.set.get(name).cloned()
    }

    /// Executes the template `name` with `dot`, as Go's `ExecuteTemplate`.
    pub fn execute(&self, name: &str, dot: Value, out: &mut String) -> Result<(), ExecError> {
        let Some(tree) = self.find(name) else {
            return Err(ExecError::plain(format!(
                "template: no template {} associated with template \"gotpl\"",
                go_quote(name)
            )));
        };
        self.execute_tree(&tree, dot, out, 0)
    }

    fn execute_tree(
        &self,
        tree: &Rc<Tree>,
        dot: Value,
        out: &mut String,
        depth: usize,
    ) -> Result<(), ExecError> {
        let mut state = State {
            env: self,
            tree: tree.clone(),
            vars: vec![Var {
                name: "$".into(),
                value: dot.clone(),
                iface: false,
            }],
            depth,
        };
        let dot = Dot {
            value: dot,
            iface: false,
        };
        state.walk_list(&dot, &tree.root, out).map(|_| ())
    }
}

#[derive(Clone)]
struct Dot {
    value: Value,
    iface: bool,
}

/// `{{template "name"}}` as Go prints a template node, built only on error.
struct TemplateContext<'n>(&'n str, Option<&'n Pipe>);

impl fmt::Display for TemplateContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(pipe) => write!(f, "{{{{template {} {pipe}}}}}", go_quote(self.0)),
            None => write!(f, "{{{{template {}}}}}", go_quote(self.0)),
        }
    }
}

struct Var {
    name: Rc<str>,
    value: Value,
    iface: bool,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

struct State<'e, 'a> {
    env: &'e Env<'a>,
    tree: Rc<Tree>,
    vars: Vec<Var>,
    depth: usize,
}

type Res<T> = Result<T, ExecError>;

impl State<'_, '_> {
    fn error(
        &self,
        pos: usize,
        context: &dyn fmt::Display,
        message: impl fmt::Display,
    ) -> ExecError {
        ExecError::plain(format!(
            "template: {}: executing {} at <{}>: {}",
            self.tree.location(pos),
            go_quote(&self.tree.name),
            context,
            message
        ))
    }

    /// A method's failure: argument checks read as Go's own, others as `error calling`.
    fn method_error(
        &self,
        pos: usize,
        node: &Arg,
        name: &str,
        call: (&[Arg], &[Value]),
        e: FuncError,
    ) -> ExecError {
        if funcs::is_argument_error(&e) {
            let (args, argv) = call;
            let index = funcs::rejected_argument(argv, &e);
            return self.argument_error((pos, node), (args, argv), index, &e);
        }
        let mut err = self.error(pos, node, format!("error calling {name}: {e}"));
        err.chain.push(e.0);
        err
    }

    /// Go checks each argument against its parameter type as it evaluates it and reports
    /// a mismatch at that argument: a constant as `expected string; found 5`, any other
    /// operand as `wrong type for value; …` at the node Go last visited for it. The piped
    /// final value is reported at the last explicit argument (or the function name), as
    /// is an argument the function did not identify.
    /// `callee` is the function's (or method's) node; `args` the command's operands, the
    /// callee first.
    ///
    /// A nil that reached the parameter as a pipeline's result (a parenthesized pipeline,
    /// a variable, the piped value) is Go's invalid value, `invalid value; expected T`,
    /// unless `T` can be nil; a nil read from a field is a nil `interface {}`.
    fn argument_error(
        &self,
        callee: (usize, &dyn fmt::Display),
        (args, argv): (&[Arg], &[Value]),
        index: Option<usize>,
        e: &FuncError,
    ) -> ExecError {
        let want =
            e.0.strip_prefix("wrong type for value; expected ")
                .and_then(|rest| rest.split_once("; got "))
                .map(|(want, _)| want);
        let invalid = |i: usize| match want {
            Some(want) if matches!(argv.get(i), Some(Value::Nil)) && !nil_assignable(want) => {
                Some(format!("invalid value; expected {want}"))
            }
            _ => None,
        };
        let explicit = args.get(1..).unwrap_or_default();
        let (i, node) = match index {
            Some(i) if i < explicit.len() => (i, &explicit[i]),
            Some(i) => {
                let message = invalid(i).unwrap_or_else(|| e.0.clone());
                return match explicit.last() {
                    Some(last) => {
                        let (at, node) = operand_location(last);
                        self.error(at, node, message)
                    }
                    None => self.error(callee.0, callee.1, message),
                };
            }
            None => return self.error(callee.0, callee.1, e),
        };
        if let Some(message) = want.and_then(|want| constant_mismatch(node, want)) {
            return self.error(node.pos(), node, message);
        }
        let passed_as_value = matches!(node, Arg::Pipe(_))
            || matches!(node, Arg::Variable { fields, .. } if fields.is_empty());
        let message = match invalid(i) {
            Some(message) if passed_as_value => message,
            _ => e.0.clone(),
        };
        let (at, node) = operand_location(node);
        self.error(at, node, message)
    }

    /// Checks `string` parameters of the engine's own functions (`argv` is their prefix).
    fn check_strings(&self, pos: usize, name: &str, args: &[Arg], argv: &[Value]) -> Res<()> {
        for (i, v) in argv.iter().enumerate() {
            if !matches!(v, Value::String(_)) {
                let e = FuncError(format!(
                    "wrong type for value; expected string; got {}",
                    funcs::go_type(v)
                ));
                return Err(self.argument_error((pos, &name), (args, argv), Some(i), &e));
            }
        }
        Ok(())
    }

    /// `error calling NAME: CAUSE`, keeping the cause's chain.
    fn call_error(&self, cmd: &Command, name: &str, cause: Cause) -> ExecError {
        let mut err = self.error(
            cmd.pos,
            cmd,
            format!("error calling {name}: {}", cause.text),
        );
        err.chain.push(cause.text);
        err.chain.extend(cause.chain);
        err
    }

    fn walk_list(&mut self, dot: &Dot, list: &[Node], out: &mut String) -> Res<Flow> {
        for node in list {
            match self.walk(dot, node, out)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Dot, node: &Node, out: &mut String) -> Res<Flow> {
        match node {
            Node::Text(range) => out.push_str(self.tree.text_at(range)),
            Node::Action(pipe) => {
                let value = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    print_value(&value, out);
                }
            }
            Node::If(branch) => return self.walk_if_or_with(dot, branch, false, out),
            Node::With(branch) => return self.walk_if_or_with(dot, branch, true, out),
            Node::Range(branch) => return self.walk_range(dot, branch, out),
            Node::Template { pos, name, pipe } => {
                self.walk_template(dot, *pos, name, pipe.as_deref(), out)?
            }
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(
        &mut self,
        dot: &Dot,
        b: &Branch,
        with: bool,
        out: &mut String,
    ) -> Res<Flow> {
        let mark = self.vars.len();
        let result = (|| {
            let value = self.eval_pipeline(dot, &b.pipe)?;
            if value.is_truthy() {
                if with {
                    let inner = Dot {
                        value,
                        iface: false,
                    };
                    self.walk_list(&inner, &b.list, out)
                } else {
                    self.walk_list(dot, &b.list, out)
                }
            } else if let Some(else_list) = &b.else_list {
                self.walk_list(dot, else_list, out)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        result
    }

    fn walk_range(&mut self, dot: &Dot, b: &Branch, out: &mut String) -> Res<Flow> {
        let outer = self.vars.len();
        let result = self.walk_range_inner(dot, b, out);
        self.vars.truncate(outer);
        result.map(|_| Flow::Normal)
    }

    fn walk_range_inner(&mut self, dot: &Dot, b: &Branch, out: &mut String) -> Res<()> {
        let value = self.eval_pipeline(dot, &b.pipe)?;
        let mark = self.vars.len();
        let items: Vec<(Value, Value)> = match &value {
            Value::List(list) => list
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                .collect(),
            Value::Map(map) => map
                .borrow()
                .iter()
                .map(|(k, v)| (Value::string(k.as_str()), v.clone()))
                .collect(),
            Value::Bytes(bytes) => bytes
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), Value::uint8(*v)))
                .collect(),
            Value::Int(n) | Value::TypedInt(_, n) => {
                if b.pipe.decl.len() > 1 {
                    return Err(self.error(
                        b.pos,
                        &b.pipe,
                        format!("can't use {n} to iterate over more than one variable"),
                    ));
                }
                // Go 1.22's range over an integer yields values of its type.
                (0..(*n).max(0))
                    .map(|i| {
                        let elem = match &value {
                            Value::TypedInt(t, _) => Value::TypedInt(*t, i),
                            _ => Value::Int(i),
                        };
                        (Value::Nil, elem)
                    })
                    .collect()
            }
            Value::Nil => Vec::new(),
            Value::Object(o) if o.entries().is_some() => o.entries().unwrap_or_default(),
            other => {
                let (pos, context) = last_operand(&b.pipe);
                return Err(self.error(
                    pos,
                    context,
                    format!("range can't iterate over {}", format_value(other)),
                ));
            }
        };
        let element_iface = value.as_integer().is_none();
        if items.is_empty() {
            if let Some(else_list) = &b.else_list {
                self.walk_list(dot, else_list, out)?;
            }
            return Ok(());
        }
        for (index, elem) in items {
            let decl = &b.pipe.decl;
            if !decl.is_empty() {
                if b.pipe.is_assign {
                    let (first, second) = if decl.len() > 1 {
                        (index.clone(), Some(elem.clone()))
                    } else {
                        (elem.clone(), None)
                    };
                    self.set_var(b.pos, &b.pipe, &decl[0], first, false)?;
                    if let Some(second) = second {
                        self.set_var(b.pos, &b.pipe, &decl[1], second, element_iface)?;
                    }
                } else {
                    let n = self.vars.len();
                    self.vars[n - 1].value = elem.clone();
                    self.vars[n - 1].iface = element_iface;
                    if decl.len() > 1 {
                        self.vars[n - 2].value = index.clone();
                        self.vars[n - 2].iface = false;
                    }
                }
            }
            let inner = Dot {
                value: elem,
                iface: element_iface,
            };
            let flow = self.walk_list(&inner, &b.list, out);
            self.vars.truncate(mark);
            match flow? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        Ok(())
    }

    fn walk_template(
        &mut self,
        dot: &Dot,
        pos: usize,
        name: &str,
        pipe: Option<&Pipe>,
        out: &mut String,
    ) -> Res<()> {
        let context = TemplateContext(name, pipe);
        let Some(tree) = self.env.find(name) else {
            return Err(self.error(
                pos,
                &context,
                format!("template {} not defined", go_quote(name)),
            ));
        };
        if self.depth >= MAX_EXEC_DEPTH {
            return Err(self.error(
                pos,
                &context,
                format!("exceeded maximum template depth ({MAX_EXEC_DEPTH})"),
            ));
        }
        let value = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Value::Nil,
        };
        self.env.execute_tree(&tree, value, out, self.depth + 1)
    }

    fn set_var(
        &mut self,
        pos: usize,
        ctx: &dyn fmt::Display,
        name: &str,
        value: Value,
        iface: bool,
    ) -> Res<()> {
        for var in self.vars.iter_mut().rev() {
            if &*var.name == name {
                var.value = value;
                var.iface = iface;
                return Ok(());
            }
        }
        Err(self.error(pos, ctx, format!("undefined variable: {name}")))
    }

    fn var(&self, pos: usize, ctx: &dyn fmt::Display, name: &str) -> Res<(Value, bool)> {
        for var in self.vars.iter().rev() {
            if &*var.name == name {
                return Ok((var.value.clone(), var.iface));
            }
        }
        Err(self.error(pos, ctx, format!("undefined variable: {name}")))
    }

    fn eval_pipeline(&mut self, dot: &Dot, pipe: &Pipe) -> Res<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Value::Nil);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(pipe.pos, pipe, name, value.clone(), false)?;
            } else {
                self.vars.push(Var {
                    name: Rc::from(name.as_str()),
                    value: value.clone(),
                    iface: false,
                });
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, cmd: &Command, final_value: &Option<Value>) -> Res<()> {
        if cmd.args.len() > 1 || final_value.is_some() {
            let first = &cmd.args[0];
            return Err(self.error(
                first.pos(),
                first,
                format!("can't give argument to non-function {first}"),
            ));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Dot, cmd: &Command, final_value: Option<Value>) -> Res<Value> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { pos, idents } => {
                return self.eval_field_chain(
                    dot,
                    dot.value.clone(),
                    dot.iface,
                    *pos,
                    first,
                    idents,
                    &cmd.args,
                    final_value,
                );
            }
            Arg::Chain { pos, node, fields } => {
                if matches!(node.as_ref(), Arg::Nil(_)) {
                    return Err(self.error(
                        *pos,
                        first,
                        format!("indirection through explicit nil in {first}"),
                    ));
                }
                let receiver = self.eval_arg(dot, node)?;
                return self.eval_field_chain(
                    dot,
                    receiver,
                    false,
                    *pos,
                    first,
                    fields,
                    &cmd.args,
                    final_value,
                );
            }
            Arg::Identifier { pos, name, func } => {
                return self.eval_function(dot, *pos, name, *func, cmd, &cmd.args, final_value);
            }
            Arg::Pipe(pipe) => {
                self.not_a_function(cmd, &final_value)?;
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, pipe);
                self.vars.truncate(mark);
                return v;
            }
            Arg::Variable { pos, name, fields } => {
                let (value, iface) = self.var(*pos, first, name)?;
                if fields.is_empty() {
                    self.not_a_function(cmd, &final_value)?;
                    return Ok(value);
                }
                return self.eval_field_chain(
                    dot,
                    value,
                    iface,
                    *pos,
                    first,
                    fields,
                    &cmd.args,
                    final_value,
                );
            }
            _ => {}
        }
        self.not_a_function(cmd, &final_value)?;
        Ok(match first {
            Arg::Bool(_, b) => Value::Bool(*b),
            Arg::Dot(_) => dot.value.clone(),
            Arg::Nil(pos) => return Err(self.error(*pos, first, "nil is not a command")),
            Arg::Number(_, _, v) => v.clone(),
            Arg::String(_, _, s) => Value::String(s.clone()),
            _ => Value::Nil,
        })
    }

    fn eval_arg(&mut self, dot: &Dot, arg: &Arg) -> Res<Value> {
        match arg {
            Arg::Dot(_) => Ok(dot.value.clone()),
            Arg::Nil(_) => Ok(Value::Nil),
            Arg::Field { pos, idents } => self.eval_field_chain(
                dot,
                dot.value.clone(),
                dot.iface,
                *pos,
                arg,
                idents,
                &[],
                None,
            ),
            Arg::Variable { pos, name, fields } => {
                let (value, iface) = self.var(*pos, arg, name)?;
                if fields.is_empty() {
                    return Ok(value);
                }
                self.eval_field_chain(dot, value, iface, *pos, arg, fields, &[], None)
            }
            Arg::Pipe(pipe) => {
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, pipe);
                self.vars.truncate(mark);
                v
            }
            Arg::Identifier { pos, name, func } => {
                let cmd = Command {
                    pos: *pos,
                    args: Box::default(),
                };
                self.eval_function(dot, *pos, name, *func, &cmd, &[], None)
            }
            Arg::Chain { pos, node, fields } => {
                if matches!(node.as_ref(), Arg::Nil(_)) {
                    return Err(self.error(
                        *pos,
                        arg,
                        format!("indirection through explicit nil in {arg}"),
                    ));
                }
                let receiver = self.eval_arg(dot, node)?;
                self.eval_field_chain(dot, receiver, false, *pos, arg, fields, &[], None)
            }
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Number(_, _, v) => Ok(v.clone()),
            Arg::String(_, _, s) => Ok(Value::String(s.clone())),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Dot,
        mut receiver: Value,
        mut iface: bool,
        pos: usize,
        node: &Arg,
        idents: &Fields,
        args: &[Arg],
        final_value: Option<Value>,
    ) -> Res<Value> {
        // The parser builds no empty chain.
        let Some((init, last)) = idents.split_last() else {
            return Ok(receiver);
        };
        for ident in init {
            let (v, i) = self.eval_field(dot, ident, pos, node, &[], None, receiver, iface)?;
            receiver = v;
            iface = i;
        }
        self.eval_field(dot, last, pos, node, args, final_value, receiver, iface)
            .map(|(v, _)| v)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Dot,
        name: &str,
        pos: usize,
        node: &Arg,
        args: &[Arg],
        final_value: Option<Value>,
        receiver: Value,
        iface: bool,
    ) -> Res<(Value, bool)> {
        let has_args = args.len() > 1 || final_value.is_some();
        match &receiver {
            Value::Nil if !iface => Ok((Value::Nil, false)),
            Value::Nil => Err(self.error(
                pos,
                node,
                format!("nil pointer evaluating interface {{}}.{name}"),
            )),
            Value::Map(map) => {
                if has_args {
                    return Err(self.error(
                        pos,
                        node,
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                let value = map.borrow().get(name).cloned().unwrap_or(Value::Nil);
                Ok((value, true))
            }
            Value::Object(object) => {
                if has_args {
                    let mut argv = Vec::with_capacity(args.len());
                    for arg in args.iter().skip(1) {
                        argv.push(self.eval_arg(dot, arg)?);
                    }
                    if let Some(f) = final_value {
                        argv.push(f);
                    }
                    return match object.call(name, &argv) {
                        Some(Ok(v)) => Ok((v, false)),
                        Some(Err(e)) => Err(self.method_error(pos, node, name, (args, &argv), e)),
                        None if object.field(name).is_some() => Err(self.error(
                            pos,
                            node,
                            format!("{name} has arguments but cannot be invoked as function"),
                        )),
                        None => Err(self.cant_evaluate(pos, node, name, &receiver, iface)),
                    };
                }
                if let Some(v) = object.field(name) {
                    return Ok((v, false));
                }
                match object.call(name, &[]) {
                    Some(Ok(v)) => Ok((v, false)),
                    Some(Err(e)) => Err(self.method_error(pos, node, name, (&[], &[]), e)),
                    None => Err(self.cant_evaluate(pos, node, name, &receiver, iface)),
                }
            }
            _ => Err(self.cant_evaluate(pos, node, name, &receiver, iface)),
        }
    }

    fn cant_evaluate(
        &self,
        pos: usize,
        node: &Arg,
        name: &str,
        receiver: &Value,
        iface: bool,
    ) -> ExecError {
        let typ = if iface {
            "interface {}".to_string()
        } else {
            receiver.type_name()
        };
        self.error(
            pos,
            node,
            format!("can't evaluate field {name} in type {typ}"),
        )
    }

    fn eval_args(
        &mut self,
        dot: &Dot,
        args: &[Arg],
        final_value: Option<Value>,
    ) -> Res<Vec<Value>> {
        let mut argv = Vec::with_capacity(args.len());
        for arg in args.iter().skip(1) {
            argv.push(self.eval_arg(dot, arg)?);
        }
        if let Some(f) = final_value {
            argv.push(f);
        }
        Ok(argv)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_function(
        &mut self,
        dot: &Dot,
        pos: usize,
        name: &str,
        func: FuncRef,
        cmd: &Command,
        args: &[Arg],
        final_value: Option<Value>,
    ) -> Res<Value> {
        let call_error = |s: &Self, e: FuncError| s.call_error(cmd, name, e.into());
        let ident = name;
        let argc = args.len().saturating_sub(1) + usize::from(final_value.is_some());
        let want = |s: &Self, n: usize| -> Res<()> {
            if argc != n {
                return Err(s.error(
                    pos,
                    &ident,
                    format!("wrong number of args for {name}: want {n} got {argc}"),
                ));
            }
            Ok(())
        };
        let want_at_least = |s: &Self, n: usize| -> Res<()> {
            if argc < n {
                return Err(s.error(
                    pos,
                    &ident,
                    format!(
                        "wrong number of args for {name}: want at least {n} got {}",
                        args.len().saturating_sub(1)
                    ),
                ));
            }
            Ok(())
        };
        match func {
            FuncRef::Builtin(b @ (Builtin::And | Builtin::Or)) => {
                want_at_least(self, 1)?;
                let is_or = b == Builtin::Or;
                let mut last = Value::Nil;
                for arg in args.iter().skip(1) {
                    last = self.eval_arg(dot, arg)?;
                    if last.is_truthy() == is_or {
                        return Ok(last);
                    }
                }
                if let Some(f) = final_value {
                    last = f;
                }
                Ok(last)
            }
            FuncRef::Builtin(Builtin::Call) if args.len() > 1 => {
                // Go names `call`'s callee by the source text of its first argument.
                let argv = self.eval_args(dot, args, final_value)?;
                go_call(&args[1].to_string(), &argv).map_err(|e| call_error(self, e))
            }
            FuncRef::Builtin(b) => {
                match b {
                    Builtin::Not
                    | Builtin::Len
                    | Builtin::Html
                    | Builtin::Js
                    | Builtin::Urlquery
                        if matches!(b, Builtin::Not | Builtin::Len) =>
                    {
                        want(self, 1)?
                    }
                    Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge | Builtin::Ne => {
                        want(self, 2)?
                    }
                    Builtin::Index
                    | Builtin::Slice
                    | Builtin::Eq
                    | Builtin::Call
                    | Builtin::Printf => want_at_least(self, 1)?,
                    _ => {}
                }
                let argv = self.eval_args(dot, args, final_value)?;
                if b == Builtin::Printf {
                    // `printf(format string, a ...any)`.
                    self.check_strings(pos, name, args, &argv[..1])?;
                }
                call_builtin(b, &argv).map_err(|e| call_error(self, e))
            }
            FuncRef::Pure(f) => {
                let argv = self.eval_args(dot, args, final_value)?;
                let data_nils: Vec<usize> = (args.iter().skip(1).zip(&argv).enumerate())
                    .filter(|(_, (arg, value))| matches!(value, Value::Nil) && arg.reads_data())
                    .map(|(i, _)| i)
                    .collect();
                funcs::call_with_data_nils(f, &argv, &data_nils).map_err(|e| {
                    // Go checks argument counts and types before calling, without the
                    // `error calling` prefix.
                    if funcs::is_argument_error(&e) {
                        let index = funcs::rejected_argument(&argv, &e);
                        self.argument_error((pos, &name), (args, &argv), index, &e)
                    } else {
                        call_error(self, e)
                    }
                })
            }
            FuncRef::Engine(e) => {
                let strings = match e {
                    EngineFunc::Include | EngineFunc::Tpl | EngineFunc::Required => {
                        want(self, 2)?;
                        1
                    }
                    EngineFunc::Fail => {
                        want(self, 1)?;
                        1
                    }
                    EngineFunc::Lookup => {
                        want(self, 4)?;
                        4
                    }
                };
                let argv = self.eval_args(dot, args, final_value)?;
                self.check_strings(pos, name, args, &argv[..strings])?;
                self.call_engine(e, &argv)
                    .map_err(|cause| self.call_error(cmd, name, cause))
            }
        }
    }

    fn call_engine(&mut self, func: EngineFunc, argv: &[Value]) -> Result<Value, Cause> {
        match func {
            EngineFunc::Include => {
                let name = string_arg(&argv[0], "string")?;
                self.include(&name, argv[1].clone())
            }
            EngineFunc::Tpl => {
                let text = string_arg(&argv[0], "string")?;
                self.tpl(&text, argv[1].clone())
            }
            EngineFunc::Required => {
                let warn = string_arg(&argv[0], "string")?;
                match &argv[1] {
                    Value::Nil if self.env.lint_mode => Ok(Value::string("")),
                    Value::String(s) if s.is_empty() && self.env.lint_mode => Ok(argv[1].clone()),
                    Value::Nil => Err(FuncError(format!("{WARN_START}{warn}{WARN_END}")).into()),
                    Value::String(s) if s.is_empty() => {
                        Err(FuncError(format!("{WARN_START}{warn}{WARN_END}")).into())
                    }
                    v => Ok(v.clone()),
                }
            }
            EngineFunc::Fail => {
                let msg = string_arg(&argv[0], "string")?;
                if self.env.lint_mode {
                    return Ok(Value::string(""));
                }
                Err(FuncError(format!("{WARN_START}{msg}{WARN_END}")).into())
            }
            EngineFunc::Lookup => {
                let mut s = Vec::with_capacity(4);
                for a in argv {
                    s.push(string_arg(a, "string")?);
                }
                match self.env.lookup {
                    None => Ok(Value::empty_map()),
                    Some(l) => l
                        .lookup(&s[0], &s[1], &s[2], &s[3])
                        .map(|json| match json {
                            serde_json::Value::Null => Value::empty_map(),
                            // Like Kubernetes' unstructured objects: integers are int64.
                            other => Value::from_json(&other),
                        })
                        .map_err(|e| FuncError(e).into()),
                }
            }
        }
    }

    fn include(&mut self, name: &str, data: Value) -> Result<Value, Cause> {
        {
            let mut counts = self.env.include_counts.borrow_mut();
            // Look up before inserting: the name is copied only on its first include.
            match counts.get_mut(name) {
                Some(count) if *count > INCLUDE_LIMIT => {
                    return Err(FuncError(format!(
                        "rendering template has a nested reference name: {name}: unable to execute template"
                    ))
                    .into());
                }
                Some(count) => *count += 1,
                None => {
                    counts.insert(name.to_string(), 1);
                }
            }
        }
        let mut out = String::new();
        let result = match self.env.find(name) {
            Some(tree) => self.env.execute_tree(&tree, data, &mut out, self.depth + 1),
            None => Err(ExecError::plain(format!(
                "template: no template {} associated with template \"gotpl\"",
                go_quote(name)
            ))),
        };
        if let Some(count) = self.env.include_counts.borrow_mut().get_mut(name) {
            *count -= 1;
        }
        result?;
        Ok(Value::string(out))
    }

    fn tpl(&mut self, text: &str, vals: Value) -> Result<Value, Cause> {
        let cached = self.env.tpl_cache.borrow().get(text).cloned();
        let set = match cached {
            Some(set) => set,
            None => {
                let set = parse("gotpl", text, self.env.funcs).map_err(|e| {
                    FuncError(format!("cannot parse template {}: {e}", go_quote(text)))
                })?;
                let set = Rc::new(set);
                self.env
                    .tpl_cache
                    .borrow_mut()
                    .insert(text.to_string(), set.clone());
                set
            }
        };
        let Some(tree) = set.get("gotpl").cloned() else {
            return Ok(Value::string(""));
        };
        self.env.overlays.borrow_mut().push(set);
        let mut out = String::new();
        let result = self.env.execute_tree(&tree, vals, &mut out, self.depth + 1);
        self.env.overlays.borrow_mut().pop();
        result.map_err(|e| {
            FuncError(format!(
                "error during tpl function execution for {}: {}",
                go_quote(text),
                e.text
            ))
        })?;
        Ok(Value::string(out.replace("<no value>", "")))
    }
}

/// The node Go's executor last visited when a pipeline finished: the last command's only
/// operand, or its last argument. Used to place errors about the pipeline's value.
fn last_operand(pipe: &Pipe) -> (usize, &dyn fmt::Display) {
    match pipe.cmds.last().and_then(|c| c.args.last()) {
        Some(arg) => (arg.pos(), arg),
        None => (pipe.pos, pipe),
    }
}

/// Where Go's executor is after evaluating an operand: inside a parenthesized pipeline,
/// at its last operand; else at the operand.
fn operand_location(arg: &Arg) -> (usize, &dyn fmt::Display) {
    match arg {
        Arg::Pipe(pipe) => last_operand(pipe),
        other => (other.pos(), other),
    }
}

/// Whether Go passes nil to a parameter of this type as its zero value instead of
/// failing: maps, slices, pointers, functions and interfaces can be nil.
fn nil_assignable(go_type: &str) -> bool {
    go_type.starts_with("map[")
        || go_type.starts_with("[]")
        || go_type.starts_with('*')
        || go_type.starts_with("func")
        || go_type.starts_with("interface")
}

/// Go's message for a constant operand that does not fit a parameter of type `want`
/// (`evalArg`: `expected integer; found "x"`, `cannot assign nil to string`), or `None`
/// for operands Go checks by their value's type.
fn constant_mismatch(node: &Arg, want: &str) -> Option<String> {
    let kind = match want {
        "string" => "string",
        "bool" => "bool",
        // `time.Duration` is an `int64` kind.
        "int" | "int8" | "int16" | "int32" | "int64" | "time.Duration" => "integer",
        "uint" | "uint8" | "uint16" | "uint32" | "uint64" | "uintptr" => "unsigned integer",
        "float32" | "float64" => "float",
        "complex64" | "complex128" => "complex",
        _ => "",
    };
    match node {
        Arg::Nil(_) if !nil_assignable(want) => Some(format!("cannot assign nil to {want}")),
        Arg::Bool(..) | Arg::Number(..) | Arg::String(..) if kind.is_empty() => {
            Some(format!("can't handle {node} for arg of type {want}"))
        }
        Arg::Bool(..) | Arg::Number(..) | Arg::String(..) => {
            Some(format!("expected {kind}; found {node}"))
        }
        _ => None,
    }
}

fn string_arg(value: &Value, want: &str) -> Result<Rc<str>, FuncError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(FuncError(format!(
            "wrong type for value; expected {want}; got {}",
            other.type_name()
        ))),
    }
}

/// Go's `printValue`: nil prints `<no value>`, everything else as `%v`.
fn print_value(value: &Value, out: &mut String) {
    match value {
        Value::Nil => out.push_str("<no value>"),
        Value::String(s) => out.push_str(s),
        Value::Int(i) | Value::TypedInt(_, i) => {
            let _ = write!(out, "{i}");
        }
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        other => out.push_str(&format_value(other)),
    }
}

// ---- Go builtins ----

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
    Other,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Nil => Kind::Invalid,
        Value::Bool(_) => Kind::Bool,
        // Go compares signed and unsigned integers by value (`eq (semver "1.2.3").Major 1`);
        // unsigned ones are never negative here, so one kind serves all of them.
        Value::Int(_) | Value::TypedInt(..) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Other,
    }
}

const ERR_BAD_COMPARISON_TYPE: &str = "invalid type for comparison";
const ERR_BAD_COMPARISON: &str = "incompatible types for comparison";
const ERR_NO_COMPARISON: &str = "missing argument for comparison";

/// Go 1.25's `incompatible types for comparison: int and float64`.
fn bad_comparison(a: &Value, b: &Value) -> FuncError {
    FuncError(format!(
        "{ERR_BAD_COMPARISON}: {} and {}",
        a.type_name(),
        b.type_name()
    ))
}

fn go_eq(a: &Value, rest: &[Value]) -> Result<bool, FuncError> {
    if rest.is_empty() {
        return Err(FuncError(ERR_NO_COMPARISON.into()));
    }
    let k1 = basic_kind(a);
    for b in rest {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if k1 != Kind::Invalid && k2 != Kind::Invalid {
                return Err(bad_comparison(a, b));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (x, y) if k1 == Kind::Int => x.as_integer() == y.as_integer(),
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                (Value::Nil, Value::Nil) => true,
                (x, y) => {
                    if matches!(x, Value::List(_) | Value::Map(_) | Value::Bytes(_))
                        || matches!(y, Value::List(_) | Value::Map(_) | Value::Bytes(_))
                    {
                        return Err(FuncError(format!(
                            "non-comparable types {}: {}, type {}: {}",
                            format_value(x),
                            x.type_name(),
                            y.type_name(),
                            format_value(y)
                        )));
                    }
                    match (x, y) {
                        (Value::Object(p), Value::Object(q)) => Rc::ptr_eq(p, q),
                        _ => false,
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn go_lt(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let k1 = basic_kind(a);
    let k2 = basic_kind(b);
    if matches!(k1, Kind::Invalid | Kind::Other) || matches!(k2, Kind::Invalid | Kind::Other) {
        return Err(FuncError(ERR_BAD_COMPARISON_TYPE.into()));
    }
    if k1 != k2 {
        return Err(bad_comparison(a, b));
    }
    Ok(match (a, b) {
        (x, y) if k1 == Kind::Int => x.as_integer() < y.as_integer(),
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::String(x), Value::String(y)) => x < y,
        _ => return Err(FuncError(ERR_BAD_COMPARISON_TYPE.into())),
    })
}

fn index_arg(index: &Value, len: usize) -> Result<usize, FuncError> {
    let x = match index {
        Value::Int(i) | Value::TypedInt(_, i) => *i,
        Value::Nil => return Err(FuncError("cannot index slice/array with nil".into())),
        other => {
            return Err(FuncError(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            )));
        }
    };
    if x < 0 || x as usize >= len {
        return Err(FuncError(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn go_index(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    if matches!(item, Value::Nil) {
        return Err(FuncError("index of untyped nil".into()));
    }
    let mut item = item.clone();
    for (n, index) in indexes.iter().enumerate() {
        item = match &item {
            Value::Nil if n > 0 => return Err(FuncError("index of nil pointer".into())),
            Value::List(list) => list[index_arg(index, list.len())?].clone(),
            Value::String(s) => Value::uint8(s.as_bytes()[index_arg(index, s.len())?]),
            Value::Bytes(b) => Value::uint8(b[index_arg(index, b.len())?]),
            Value::Object(o) if o.entries().is_some() => {
                let entries = o.entries().unwrap_or_default();
                match index {
                    Value::Int(_) | Value::TypedInt(..) => {
                        entries[index_arg(index, entries.len())?].1.clone()
                    }
                    Value::String(key) => entries
                        .into_iter()
                        .find(|(k, _)| matches!(k, Value::String(s) if s == key))
                        .map_or(Value::Nil, |(_, v)| v),
                    other => {
                        return Err(FuncError(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        )));
                    }
                }
            }
            Value::Map(map) => match index {
                Value::String(key) => map.borrow().get(&**key).cloned().unwrap_or(Value::Nil),
                Value::Nil => {
                    return Err(FuncError("value is nil; should be of type string".into()));
                }
                other => {
                    return Err(FuncError(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    )));
                }
            },
            other => {
                return Err(FuncError(format!(
                    "can't index item of type {}",
                    other.type_name()
                )));
            }
        };
    }
    Ok(item)
}

fn go_slice(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    if matches!(item, Value::Nil) {
        return Err(FuncError("slice of untyped nil".into()));
    }
    if indexes.len() > 3 {
        return Err(FuncError(format!(
            "too many slice indexes: {}",
            indexes.len()
        )));
    }
    let (len, cap) = match item {
        Value::List(l) => (l.len(), l.len()),
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err(FuncError("cannot 3-index slice a string".into()));
            }
            (s.len(), s.len())
        }
        Value::Bytes(b) => (b.len(), b.len()),
        other => {
            return Err(FuncError(format!(
                "can't slice item of type {}",
                other.type_name()
            )));
        }
    };
    let mut idx = [0, len, cap];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, cap + 1)?;
    }
    if idx[0] > idx[1] {
        return Err(FuncError(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    Ok(match item {
        Value::List(l) => Value::list(l[idx[0]..idx[1]].to_vec()),
        Value::String(s) => Value::string(s.get(idx[0]..idx[1]).unwrap_or_default()),
        Value::Bytes(b) => Value::Bytes(Rc::from(&b[idx[0]..idx[1]])),
        _ => Value::Nil,
    })
}

/// Go's `fmt.Sprint`: spaces between operands when neither side is a string.
pub fn go_sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        out.push_str(&sprint_one(arg));
    }
    out
}

fn sprint_one(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Nil => "<nil>".into(),
        other => format_value(other),
    }
}

fn go_sprintln(args: &[Value]) -> String {
    let mut out = args.iter().map(sprint_one).collect::<Vec<_>>().join(" ");
    out.push('\n');
    out
}

/// Go's `evalArgs` for `html`/`js`/`urlquery`: one string argument as is, else `Sprint`.
fn eval_args_text(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    go_sprint(args)
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Go's `call`: calls a function value. Templates have no function values (a field or
/// method that returned one would be the only way to get one, and Helm's objects have
/// none), so this always fails with Go's message: `call of nil` for nil, otherwise
/// `non-function CALLEE of type T`.
fn go_call(callee: &str, argv: &[Value]) -> Result<Value, FuncError> {
    match &argv[0] {
        Value::Nil => Err(FuncError("call of nil".into())),
        other => Err(FuncError(format!(
            "non-function {callee} of type {}",
            other.type_name()
        ))),
    }
}

/// Go's `reflect.Value.String()`: a string's text, `<T Value>` for anything else.
fn reflect_value_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => format!("<{} Value>", other.type_name()),
    }
}

fn call_builtin(b: Builtin, argv: &[Value]) -> Result<Value, FuncError> {
    Ok(match b {
        Builtin::And | Builtin::Or => Value::Nil,
        Builtin::Not => Value::Bool(!argv[0].is_truthy()),
        Builtin::Len => Value::Int(match &argv[0] {
            Value::String(s) => s.len(),
            Value::List(l) => l.len(),
            Value::Map(m) => m.borrow().len(),
            Value::Bytes(b) => b.len(),
            Value::Object(o) if o.entries().is_some() => o.entries().map_or(0, |e| e.len()),
            Value::Nil => {
                return Err(FuncError(
                    "reflect: call of reflect.Value.Type on zero Value".into(),
                ));
            }
            other => return Err(FuncError(format!("len of type {}", other.type_name()))),
        } as i64),
        Builtin::Index => go_index(&argv[0], &argv[1..])?,
        Builtin::Slice => go_slice(&argv[0], &argv[1..])?,
        // Piped into `call`, the callee has no source text: Go names it by the value.
        Builtin::Call => go_call(&reflect_value_string(&argv[0]), argv)?,
        Builtin::Print => Value::string(go_sprint(argv)),
        Builtin::Println => Value::string(go_sprintln(argv)),
        Builtin::Printf => {
            let format = match &argv[0] {
                Value::String(s) => s.clone(),
                other => {
                    return Err(FuncError(format!(
                        "wrong type for value; expected string; got {}",
                        other.type_name()
                    )));
                }
            };
            Value::string(sprintf(&format, &argv[1..])?)
        }
        Builtin::Html => Value::string(html_escape(&eval_args_text(argv))),
        Builtin::Js => Value::string(js_escape(&eval_args_text(argv))),
        Builtin::Urlquery => Value::string(query_escape(&eval_args_text(argv))),
        Builtin::Eq => Value::Bool(go_eq(&argv[0], &argv[1..])?),
        Builtin::Ne => Value::Bool(!go_eq(&argv[0], &argv[1..])?),
        Builtin::Lt => Value::Bool(go_lt(&argv[0], &argv[1])?),
        Builtin::Le => Value::Bool(go_lt(&argv[0], &argv[1])? || go_eq(&argv[0], &argv[1..])?),
        Builtin::Gt => Value::Bool(!(go_lt(&argv[0], &argv[1])? || go_eq(&argv[0], &argv[1..])?)),
        Builtin::Ge => Value::Bool(!go_lt(&argv[0], &argv[1])?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::value::Func;

    fn funcs() -> FuncTable {
        let mut pure: HashMap<&'static str, Func> = HashMap::new();
        pure.insert("upper", |a| match a.first() {
            Some(Value::String(s)) => Ok(Value::string(s.to_uppercase())),
            _ => Err(FuncError("not a string".into())),
        });
        FuncTable::new(&pure)
    }

    fn run(text: &str, data: serde_json::Value) -> Result<String, String> {
        let table = funcs();
        let set = parse("t.yaml", text, &table).map_err(|e| e.to_string())?;
        let env = Env::new(&set, &table, None);
        let mut out = String::new();
        env.execute("t.yaml", Value::from_json(&data), &mut out)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn ok(text: &str, data: serde_json::Value) -> String {
        run(text, data).unwrap_or_else(|e| format!("ERROR: {e}"))
    }

    /// Runs `text` with every Sprig/Helm function available; returns the error text.
    fn run_error(text: &str) -> String {
        let table = FuncTable::new(&funcs::builtin_functions());
        let set = match parse("t.yaml", text, &table) {
            Ok(set) => set,
            Err(e) => return format!("parse error: {e}"),
        };
        let env = Env::new(&set, &table, None);
        let mut out = String::new();
        match env.execute("t.yaml", Value::from_json(&serde_json::json!({})), &mut out) {
            Ok(()) => format!("no error: {out}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_mistyped_field_operand_is_blamed_instead_of_the_function() {
        assert_eq!(
            run_error("{{ upper .a }}"),
            "template: t.yaml:1:9: executing \"t.yaml\" at <.a>: wrong type for value; expected string; got interface {}"
        );
    }

    #[test]
    fn of_several_nil_operands_the_one_with_a_typed_parameter_is_blamed() {
        // ternary's first two parameters take anything; only the third is a bool.
        assert_eq!(
            run_error("{{ ternary .a .b .c }}"),
            "template: t.yaml:1:17: executing \"t.yaml\" at <.c>: wrong type for value; expected bool; got interface {}"
        );
    }

    #[test]
    fn a_nil_that_came_through_a_pipeline_or_variable_is_an_invalid_value() {
        assert_eq!(
            run_error("{{ .a | ternary \"x\" \"y\" }}"),
            "template: t.yaml:1:20: executing \"t.yaml\" at <\"y\">: invalid value; expected bool"
        );
        assert_eq!(
            run_error("{{ $v := .a }}{{ upper $v }}"),
            "template: t.yaml:1:23: executing \"t.yaml\" at <$v>: invalid value; expected string"
        );
        assert_eq!(
            run_error("{{ upper (.a) }}"),
            "template: t.yaml:1:10: executing \"t.yaml\" at <.a>: invalid value; expected string"
        );
        assert_eq!(
            run_error("{{ .a | upper }}"),
            "template: t.yaml:1:8: executing \"t.yaml\" at <upper>: invalid value; expected string"
        );
    }

    #[test]
    fn constant_operands_get_go_conversion_messages() {
        assert_eq!(
            run_error("{{ upper 3 }}"),
            "template: t.yaml:1:9: executing \"t.yaml\" at <3>: expected string; found 3"
        );
        assert_eq!(
            run_error("{{ ternary 1 2 nil }}"),
            "template: t.yaml:1:15: executing \"t.yaml\" at <nil>: cannot assign nil to bool"
        );
        assert_eq!(
            run_error("{{ indent \"x\" \"y\" }}"),
            "template: t.yaml:1:10: executing \"t.yaml\" at <\"x\">: expected integer; found \"x\""
        );
        assert_eq!(
            run_error("{{ hasKey \"x\" \"y\" }}"),
            "template: t.yaml:1:10: executing \"t.yaml\" at <\"x\">: can't handle \"x\" for arg of type map[string]interface {}"
        );
    }

    #[test]
    fn wrong_argument_counts_stay_on_the_function() {
        assert_eq!(
            run_error("{{ upper }}"),
            "template: t.yaml:1:3: executing \"t.yaml\" at <upper>: wrong number of args for upper: want 1 got 0"
        );
    }

    #[test]
    fn field_chain_on_missing_parent_is_a_nil_pointer_error() {
        let err = run("a\n  {{ .Values.x.y }}", serde_json::json!({"Values": {}}));
        assert_eq!(
            err,
            Err("template: t.yaml:2:12: executing \"t.yaml\" at <.Values.x.y>: nil pointer evaluating interface {}.y".into())
        );
    }

    #[test]
    fn missing_key_prints_no_value() {
        assert_eq!(ok("[{{ .a }}]", serde_json::json!({})), "[<no value>]");
    }

    #[test]
    fn variables_from_pipelines_yield_nil_fields_quietly() {
        assert_eq!(
            ok("{{ $x := .a }}[{{ $x.b }}]", serde_json::json!({})),
            "[<no value>]"
        );
    }

    #[test]
    fn range_over_map_is_sorted_with_key_and_value() {
        assert_eq!(
            ok(
                "{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}",
                serde_json::json!({"b": "2", "a": "1"})
            ),
            "a=1;b=2;"
        );
    }

    #[test]
    fn range_else_runs_for_empty_lists() {
        assert_eq!(
            ok(
                "{{ range .l }}x{{ else }}empty{{ end }}",
                serde_json::json!({"l": []})
            ),
            "empty"
        );
    }

    #[test]
    fn range_over_integer_counts_from_zero() {
        assert_eq!(
            ok(
                "{{ range $i := 3 }}{{ $i }}{{ end }}",
                serde_json::json!({})
            ),
            "012"
        );
    }

    #[test]
    fn break_and_continue_control_range() {
        assert_eq!(
            ok(
                "{{ range . }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ if eq . \"d\" }}{{ break }}{{ end }}{{ . }}{{ end }}",
                serde_json::json!(["a", "b", "c", "d", "e"])
            ),
            "ac"
        );
    }

    #[test]
    fn and_or_return_the_deciding_value() {
        assert_eq!(
            ok(
                "{{ or .a \"\" \"x\" }}|{{ and 1 0 2 }}",
                serde_json::json!({})
            ),
            "x|0"
        );
    }

    #[test]
    fn or_short_circuits_before_failing_arguments() {
        assert_eq!(ok("{{ or 1 (index .a 5) }}", serde_json::json!({})), "1");
    }

    #[test]
    fn int_and_float_comparison_is_an_error() {
        let err = run("{{ eq 1 1.0 }}", serde_json::json!({})).unwrap_err();
        assert!(
            err.ends_with("error calling eq: incompatible types for comparison: int and float64"),
            "{err}"
        );
    }

    #[test]
    fn eq_accepts_several_candidates() {
        assert_eq!(
            ok("{{ eq \"b\" \"a\" \"b\" }}", serde_json::json!({})),
            "true"
        );
    }

    #[test]
    fn variables_can_be_reassigned_inside_blocks() {
        assert_eq!(
            ok(
                "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
                serde_json::json!({})
            ),
            "2"
        );
    }

    #[test]
    fn else_if_chains_pick_the_first_true_branch() {
        assert_eq!(
            ok(
                "{{ if .a }}a{{ else if .b }}b{{ else }}c{{ end }}",
                serde_json::json!({"b": true})
            ),
            "b"
        );
    }

    #[test]
    fn with_sets_dot_and_else_with_chains() {
        assert_eq!(
            ok(
                "{{ with .a }}{{ . }}{{ else with .b }}[{{ . }}]{{ end }}",
                serde_json::json!({"b": "x"})
            ),
            "[x]"
        );
    }

    #[test]
    fn define_and_template_pass_dot() {
        assert_eq!(
            ok(
                "{{ define \"t\" }}<{{ . }}>{{ end }}{{ template \"t\" .a }}",
                serde_json::json!({"a": "v"})
            ),
            "<v>"
        );
    }

    #[test]
    fn include_returns_text_for_pipelines() {
        assert_eq!(
            ok(
                "{{ define \"t\" }}hi {{ . }}{{ end }}{{ include \"t\" .a | upper }}",
                serde_json::json!({"a": "v"})
            ),
            "HI V"
        );
    }

    #[test]
    fn include_of_missing_template_names_it() {
        let err = run("{{ include \"nope\" . }}", serde_json::json!({})).unwrap_err();
        assert!(
            err.contains("error calling include: template: no template \"nope\""),
            "{err}"
        );
    }

    #[test]
    fn tpl_sees_defined_templates_and_dot() {
        assert_eq!(
            ok(
                "{{ define \"n\" }}N{{ end }}{{ tpl \"{{ include \\\"n\\\" . }}-{{ .a }}\" . }}",
                serde_json::json!({"a": "A"})
            ),
            "N-A"
        );
    }

    #[test]
    fn required_fails_on_empty_string_with_marked_message() {
        let err = run("{{ required \"need a\" .a }}", serde_json::json!({"a": ""})).unwrap_err();
        assert!(
            err.ends_with("error calling required: HELM_ERR_STARTneed aHELM_ERR_END"),
            "{err}"
        );
    }

    #[test]
    fn lookup_without_a_client_is_an_empty_map() {
        assert_eq!(
            ok(
                "{{ len (lookup \"v1\" \"Secret\" \"ns\" \"x\") }}",
                serde_json::json!({})
            ),
            "0"
        );
    }

    #[test]
    fn index_and_slice_follow_go() {
        assert_eq!(
            ok(
                "{{ index .l 1 }}{{ slice .l 1 2 }}",
                serde_json::json!({"l": ["a", "b", "c"]})
            ),
            "b[b]"
        );
        let err = run("{{ index .l 5 }}", serde_json::json!({"l": []})).unwrap_err();
        assert!(
            err.ends_with("error calling index: index out of range: 5"),
            "{err}"
        );
    }

    #[test]
    fn field_on_string_cannot_be_evaluated() {
        let err = run("{{ .a.b }}", serde_json::json!({"a": "s"})).unwrap_err();
        assert!(
            err.ends_with("can't evaluate field b in type interface {}"),
            "{err}"
        );
    }

    #[test]
    fn print_spaces_non_string_operands() {
        assert_eq!(
            ok(
                "{{ print 1 2 \"a\" 3 }}|{{ println \"x\" 1 }}",
                serde_json::json!({})
            ),
            "1 2a3|x 1\n"
        );
    }

    #[test]
    fn html_js_urlquery_escape() {
        assert_eq!(
            ok(
                "{{ html \"<a&'>\" }} {{ js \"a'b\" }} {{ urlquery \"a b&c\" }}",
                serde_json::json!({})
            ),
            "&lt;a&amp;&#39;&gt; a\\'b a+b%26c"
        );
    }

    #[test]
    fn set_mutations_are_visible_through_shared_maps() {
        // Maps are shared: a mutation through one path shows through another.
        let table = funcs();
        let set = parse("t", "{{ $m := .m }}{{ .m.k }}", &table).unwrap_or_default();
        let data = Value::from_json(&serde_json::json!({"m": {"k": "old"}}));
        if let Value::Map(top) = &data
            && let Some(Value::Map(m)) = top.borrow().get("m")
        {
            m.borrow_mut().insert("k".into(), Value::string("new"));
        }
        let env = Env::new(&set, &table, None);
        let mut out = String::new();
        assert!(env.execute("t", data, &mut out).is_ok());
        assert_eq!(out, "new");
    }

    #[test]
    fn call_names_a_non_function_argument_by_its_source_text() {
        // Real Helm 4.3's messages for each case.
        let data = serde_json::json!({"Values": {"n": 1.5}});
        assert_eq!(
            run("{{ call 3 }}", data.clone()),
            Err("template: t.yaml:1:3: executing \"t.yaml\" at <call 3>: error calling call: non-function 3 of type int".into())
        );
        assert_eq!(
            run("{{ call \"x\" }}", data.clone()),
            Err("template: t.yaml:1:3: executing \"t.yaml\" at <call \"x\">: error calling call: non-function \"x\" of type string".into())
        );
        assert_eq!(
            run("{{ call .Values.n 1 }}", data),
            Err("template: t.yaml:1:3: executing \"t.yaml\" at <call .Values.n 1>: error calling call: non-function .Values.n of type float64".into())
        );
    }

    #[test]
    fn call_names_a_piped_callee_by_its_value() {
        assert_eq!(
            run("{{ \"abc\" | call }}", serde_json::json!({})),
            Err("template: t.yaml:1:11: executing \"t.yaml\" at <call>: error calling call: non-function abc of type string".into())
        );
        assert_eq!(
            run("{{ 3 | call }}", serde_json::json!({})),
            Err("template: t.yaml:1:7: executing \"t.yaml\" at <call>: error calling call: non-function <int Value> of type int".into())
        );
    }

    #[test]
    fn call_of_nil_fails_like_go() {
        for text in [
            "{{ call .Values.missing }}",
            "{{ call nil }}",
            "{{ .Values.missing | call }}",
        ] {
            let err = run(text, serde_json::json!({"Values": {}})).expect_err(text);
            assert!(
                err.ends_with(": error calling call: call of nil"),
                "{text}: {err}"
            );
        }
        assert!(run("{{ call }}", serde_json::json!({}))
            .is_err_and(|e| e.ends_with("wrong number of args for call: want at least 1 got 0")));
    }
}
