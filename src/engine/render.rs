//! Rendering a chart: every template of a chart tree, parsed into one namespace, executed.
//!
//! Helm counterpart: `pkg/engine/engine.go` (`Render`, `allTemplates`/`recAllTpls`,
//! `render`, `sortTemplates`, `cleanupParseError`/`cleanupExecError`). Templates are named
//! `<chart>/templates/<file>` and `<chart>/charts/<sub>/templates/<file>`; they are parsed
//! deepest path first and, at equal depth, in reverse name order, so that a parent chart's
//! `define`s replace its subcharts' (Go keeps the last definition parsed). Files whose base
//! name starts with `_` are parsed but not rendered; library charts contribute only those.
//! Rendered text has Go's `<no value>` removed, as Helm does.
//!
//! Not done here: values coalescing (the values module gives a subchart's values under its
//! name, `global` included) and manifest splitting/sorting (the release module).
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::chart::{Chart, ChartFile};

use super::exec::{Env, ExecError, Lookup, WARN_END, WARN_START};
use super::funcs;
use super::objects::{Files, capabilities_object, chart_object};
use super::parse::{FuncTable, ParseError, Source, TreeSet, is_empty_tree, parse, parse_all};
use super::preparse::Preparse;
use super::value::Value;

/// `.Release`: who is being rendered, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInfo {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision being rendered (1 on install).
    pub revision: u32,
    /// Whether this is an install.
    pub is_install: bool,
    /// Whether this is an upgrade (or rollback).
    pub is_upgrade: bool,
    /// The managing service, `Helm` for Helm.
    pub service: String,
}

/// `.Capabilities`: what the cluster and the tool support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Kubernetes version, `v1.20.2`.
    pub kube_version: String,
    /// Served group/versions and group/version/kinds (`apps/v1`, `apps/v1/Deployment`).
    pub api_versions: Vec<String>,
    /// Helm version reported to templates (`v4.3.0`).
    pub helm_version: String,
}

/// Everything a render needs besides the chart and its values.
#[derive(Clone)]
pub struct RenderOptions<'a> {
    /// `.Release`.
    pub release: ReleaseInfo,
    /// `.Capabilities`.
    pub capabilities: Capabilities,
    /// Backs the `lookup` function; without one `lookup` returns an empty map, as
    /// `helm template` does. `Sync` because rendering runs on a thread with a deep stack.
    pub lookup: Option<&'a (dyn Lookup + Sync)>,
    /// `--enable-dns`: `getHostByName` resolves names; otherwise it returns `""`, as in Helm.
    pub enable_dns: bool,
    /// Helm's lint mode (`helm lint`): `required` and `fail` render `""` instead of failing.
    pub lint_mode: bool,
    /// The chart's templates, parsed ahead while it loaded (see [`Preparse`]), if they were.
    pub preparse: Option<&'a Preparse>,
}

/// A render failure; `Display` is exactly what Helm prints after `Error: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A template does not parse: `parse error at (mychart/templates/x.yaml:3): …`.
    #[error("parse error at ({location}): {message}")]
    Parse {
        /// `FILE:LINE`.
        location: String,
        /// Go's message (`unexpected "}" in operand`).
        message: String,
    },
    /// `required` or `fail`: `execution error at (FILE:LINE:COL): MESSAGE`.
    #[error("execution error at ({location}): {message}")]
    Failed {
        /// `FILE:LINE:COL` of the outermost template call.
        location: String,
        /// The message given to `required`/`fail`.
        message: String,
    },
    /// Any other execution error, with Go's full text.
    #[error("{0}")]
    Exec(String),
}

/// Renders every template of `chart` and its subcharts with `values` (the root chart's
/// coalesced values; a subchart sees `values[<its name>]`). Returns `{path: text}` for
/// every non-partial template, NOTES.txt included.
pub fn render(
    chart: &Chart,
    values: &serde_json::Map<String, serde_json::Value>,
    opts: &RenderOptions,
) -> Result<BTreeMap<String, String>, Error> {
    render_with(chart, values, opts, |files| files.collect())
}

/// [`render`], handing each rendered file (path, text) to `consume` as soon as its
/// template has run, and returning what `consume` returns. `consume` runs on the calling
/// thread while the templates execute on the render thread, so work on the output
/// (parsing it) overlaps rendering. It sees the files in execution order, and fewer of
/// them if rendering fails (then the render error is returned).
pub fn render_with<T>(
    chart: &Chart,
    values: &serde_json::Map<String, serde_json::Value>,
    opts: &RenderOptions,
    consume: impl FnOnce(&mut dyn Iterator<Item = (String, String)>) -> T,
) -> Result<T, Error> {
    // Deeply nested `include`s recurse; give them Go's headroom rather than a 2 MiB stack.
    const STACK: usize = 512 << 20;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("rhelm-render".into())
            .stack_size(STACK)
            .spawn_scoped(scope, move || {
                crate::threads::prepare_worker();
                let rendered = render_here(chart, values, opts, &mut |path, text| {
                    // The receiver lives until this thread is joined.
                    let _ = sender.send((path, text));
                });
                // Close the channel first: `consume` finishes its work at once.
                drop(sender);
                rendered.map(Leftovers::free_detached)
            });
        match worker {
            Ok(handle) => {
                let consumed = consume(&mut receiver.iter());
                match handle.join() {
                    Ok(result) => result.map(|()| consumed),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Err(_) => {
                let mut files = Vec::new();
                drop(render_here(chart, values, opts, &mut |path, text| {
                    files.push((path, text))
                })?);
                Ok(consume(&mut files.into_iter()))
            }
        }
    })
}

struct Renderable<'c> {
    path: String,
    /// The file's bytes, which `text` reads (to recognise a template parsed ahead).
    data: &'c bytes::Bytes,
    text: std::borrow::Cow<'c, str>,
    top: Value,
    base_path: String,
}

fn map_value(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(Rc::new(RefCell::new(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )))
}

/// What rendering leaves to free: the parsed templates and every value the templates
/// could reach. Freeing them takes a while (many small allocations), and no caller needs
/// to wait for it: [`Leftovers::free_detached`] frees them on a thread of their own.
struct Leftovers {
    _trees: TreeSet,
    /// Trees parsed ahead that the render did not use (disabled or renamed subcharts).
    _unused: Vec<TreeSet>,
    _values: Vec<Value>,
}

// SAFETY: `Rc` is `!Send` because clones of one `Rc` on two threads would update its
// count without synchronisation; so this is sound if every clone of every `Rc` reachable
// from a `Leftovers` is inside it. The only `Leftovers` is built at the end of
// `render_here`, from the trees it parsed or took from a `Preparse` (which keeps no handle
// to them: see `parse::SendTrees`) and the top-level values of its templates, after
// it dropped every other holder of those `Rc`s: the `Env` (its `State`s, variables,
// `tpl` trees, and clones of trees) and `Shared`; the rest of `render_here`'s locals hold
// no `Rc` (functions are `fn` pointers). Values built while executing (including clones
// of `Arg::String` literals) can only be kept inside the template values, which travel
// here with the trees. Nothing else keeps a value: output is `String`s, `lookup` sees
// `&str`s, and the engine's thread-locals (`funcs::REJECTED`, the regex cache) hold an
// address, `String`s and `Regex`es. The `Object`s inside values own plain data and
// `Value`s only.
unsafe impl Send for Leftovers {}

impl Leftovers {
    /// Frees everything on the dropping thread (see [`crate::threads`]).
    fn free_detached(self) {
        crate::threads::drop_detached(self);
    }
}

/// The functions templates may call (`getHostByName` resolving only with `--enable-dns`),
/// and `toYaml` for `.Files`.
pub(super) fn function_table(enable_dns: bool) -> (FuncTable, Option<super::value::Func>) {
    let mut pure = funcs::builtin_functions();
    if !enable_dns {
        pure.insert(
            "getHostByName",
            funcs::sprig_misc::get_host_by_name_disabled,
        );
    }
    let to_yaml = pure.get("toYaml").copied();
    (FuncTable::new(&pure), to_yaml)
}

fn render_here(
    chart: &Chart,
    values: &serde_json::Map<String, serde_json::Value>,
    opts: &RenderOptions,
    done: &mut dyn FnMut(String, String),
) -> Result<Leftovers, Error> {
    let (table, to_yaml) = function_table(opts.enable_dns);

    let release = &opts.release;
    let release_value = map_value(vec![
        ("Name", Value::string(release.name.as_str())),
        ("Namespace", Value::string(release.namespace.as_str())),
        ("IsUpgrade", Value::Bool(release.is_upgrade)),
        ("IsInstall", Value::Bool(release.is_install)),
        ("Revision", Value::Int(i64::from(release.revision))),
        ("Service", Value::string(release.service.as_str())),
    ]);
    let caps = &opts.capabilities;
    let caps_value =
        capabilities_object(&caps.kube_version, &caps.api_versions, &caps.helm_version);
    let mut templates = Vec::new();
    let shared = Shared {
        release: release_value,
        capabilities: caps_value,
        to_yaml,
    };
    let mut unfilled = Vec::new();
    collect(chart, "", &[], &shared, &mut templates, &mut unfilled);

    // Deepest first; at equal depth, reverse name order (Helm's sort.Reverse(byPathLen)).
    templates.sort_by(|a, b| {
        let (da, db) = (a.path.matches('/').count(), b.path.matches('/').count());
        db.cmp(&da).then_with(|| b.path.cmp(&a.path))
    });

    // Converting the values and copying the charts' files take a while: this thread
    // does them while other threads start parsing.
    let fill_tops = || {
        let root_values = Value::Map(Rc::new(RefCell::new(
            values
                .iter()
                .map(|(k, v)| (k.clone(), Value::from_json(v)))
                .collect(),
        )));
        for chart in unfilled {
            let values = chart
                .names
                .iter()
                .fold(root_values.clone(), |parent, name| {
                    subchart_values(&parent, name)
                });
            let files = Files::new(chart.files, shared.to_yaml);
            if let Value::Map(top) = &chart.top {
                let mut top = top.borrow_mut();
                top.insert("Values".to_string(), values);
                top.insert("Files".to_string(), Value::Object(Rc::new(files)));
            }
        }
    };
    let parse_error = |e: ParseError| {
        let text = e.to_string();
        let tokens: Vec<&str> = text.split(": ").collect();
        Error::Parse {
            location: tokens.get(1).copied().unwrap_or_default().to_string(),
            message: tokens.last().copied().unwrap_or_default().to_string(),
        }
    };
    let mut unused = Vec::new();
    let parsed = match opts.preparse.filter(|p| p.enable_dns() == opts.enable_dns) {
        None => {
            let sources: Vec<Source> = templates
                .iter()
                .map(|t| Source {
                    name: &t.path,
                    text: &t.text,
                })
                .collect();
            parse_all(&sources, &table, fill_tops).map_err(parse_error)?
        }
        Some(preparse) => {
            fill_tops();
            let mut ready = preparse.finish(templates.iter().map(|t| t.path.as_str()));
            let mut parsed = Vec::with_capacity(templates.len());
            for t in &templates {
                // Parsed ahead from these very bytes under this name: what parsing gives.
                let trees = match ready.remove(&t.path) {
                    Some(r)
                        if r.data.as_ptr() == t.data.as_ptr() && r.data.len() == t.data.len() =>
                    {
                        r.parsed
                    }
                    _ => parse(&t.path, &t.text, &table),
                };
                parsed.push(trees.map_err(parse_error)?);
            }
            unused.extend(ready.into_values().filter_map(|r| r.parsed.ok()));
            parsed
        }
    };
    let mut set = TreeSet::with_capacity_and_hasher(
        parsed.iter().map(TreeSet::len).sum(),
        Default::default(),
    );
    for trees in parsed {
        for (name, tree) in trees {
            match set.get(&name) {
                Some(old) if is_empty_tree(&tree) && !is_empty_tree(old) => {}
                _ => {
                    set.insert(name, tree);
                }
            }
        }
    }

    let env = Env::new(&set, &table, opts.lookup).lint_mode(opts.lint_mode);
    for t in &templates {
        let base = t.path.rsplit('/').next().unwrap_or(&t.path);
        if base.starts_with('_') {
            continue;
        }
        if let Value::Map(top) = &t.top {
            top.borrow_mut().insert(
                "Template".to_string(),
                map_value(vec![
                    ("Name", Value::string(t.path.as_str())),
                    ("BasePath", Value::string(t.base_path.as_str())),
                ]),
            );
        }
        // Output mostly runs to about the template's size: grow it less often.
        let mut out = String::with_capacity(t.text.len());
        env.execute(&t.path, t.top.clone(), &mut out)
            .map_err(|e| exec_error(&e))?;
        let out = if out.contains("<no value>") {
            out.replace("<no value>", "")
        } else {
            out
        };
        done(t.path.clone(), out);
    }
    drop(env);
    drop(shared);
    Ok(Leftovers {
        _trees: set,
        _unused: unused,
        _values: templates.into_iter().map(|t| t.top).collect(),
    })
}

/// Helm's `cleanupExecError`: `required`/`fail` messages become
/// `execution error at (LOCATION): MESSAGE`; other errors become Helm 4's trace (one
/// block per template in the error chain) when every error in the chain is a template
/// error, else Go's text.
fn exec_error(err: &ExecError) -> Error {
    let text = &err.text;
    let tokens: Vec<&str> = text.splitn(3, ": ").collect();
    if let [_, location, rest] = tokens.as_slice()
        && let Some(start) = rest.find(WARN_START)
    {
        let rest = &rest[start + WARN_START.len()..];
        if let Some(end) = rest.rfind(WARN_END) {
            return Error::Failed {
                location: location.to_string(),
                message: rest[..end].to_string(),
            };
        }
    }
    match trace(err) {
        Some(formatted) => Error::Exec(formatted),
        None => Error::Exec(text.clone()),
    }
}

/// One step of Helm's error trace.
#[derive(PartialEq, Eq)]
struct Traceable {
    location: String,
    executed: String,
    message: String,
}

/// Matches Helm's three trace patterns (`execErrFmt`, `execErrFmtWithoutTemplate`,
/// `execErrNoTemplateAssociated`) by hand, in linear time: a chain of nested `include`
/// errors repeats every inner text, so regex captures would be quadratic.
fn traceable(text: &str) -> Option<Traceable> {
    // Go's `.` does not match a newline and the patterns are anchored at both ends.
    if text.contains('\n') {
        return None;
    }
    let rest = text.strip_prefix("template: ")?;
    if let Some(i) = rest.find(": executing ").filter(|i| *i > 0) {
        let after = &rest[i + ": executing ".len()..];
        if let Some(j) = after.find(" at ").filter(|j| *j > 0) {
            let after_at = &after[j + " at ".len()..];
            if let Some(k) = after_at.find(": ").filter(|k| *k > 0) {
                let tail = &after_at[k + 2..];
                let message = match tail.get(1..).and_then(|t| t.find(" template:")) {
                    Some(p) => &tail[..p + 1],
                    None => tail,
                };
                if !message.is_empty() {
                    return Some(Traceable {
                        location: rest[..i].to_string(),
                        executed: format!("executing {} at {}:", &after[..j], &after_at[..k]),
                        message: message.to_string(),
                    });
                }
            }
        }
    }
    if let Some(i) = rest.get(1..).and_then(|r| r.find(": ")) {
        return Some(Traceable {
            location: rest[..i + 1].to_string(),
            executed: String::new(),
            message: rest[i + 3..].to_string(),
        });
    }
    if rest.starts_with("no template ") && rest.contains(" associated with template ") {
        return Some(Traceable {
            location: String::new(),
            executed: String::new(),
            message: text.to_string(),
        });
    }
    None
}

/// Helm 4's trace of an execution error chain, or `None` when some error in the chain
/// is not a template error (Helm then prints Go's text unchanged).
fn trace(err: &ExecError) -> Option<String> {
    let mut steps: Vec<Traceable> = Vec::new();
    for text in std::iter::once(&err.text).chain(err.chain.iter()) {
        let step = traceable(text)?;
        if steps.last() != Some(&step) {
            steps.push(step);
        }
    }
    let mut out = String::new();
    for s in &steps {
        if !s.location.is_empty() {
            out.push_str(&s.location);
            out.push_str("\n  ");
        }
        if !s.executed.is_empty() {
            out.push_str(&s.executed);
            out.push_str("\n    ");
        }
        if !s.message.is_empty() {
            out.push_str(&s.message);
            out.push('\n');
        }
    }
    Some(out.trim().to_string())
}

struct Shared {
    release: Value,
    capabilities: Value,
    to_yaml: Option<super::value::Func>,
}

/// A chart's top-level map still without `Values` and `Files`.
struct Unfilled<'c> {
    top: Value,
    /// The chart's dependency names from the root chart (none for the root).
    names: Vec<&'c str>,
    files: &'c [ChartFile],
}

/// The values a subchart `name` of a chart with values `parent` sees: `parent[name]`
/// (the same map, so changes show on both sides) if that is a map, else an empty map.
fn subchart_values(parent: &Value, name: &str) -> Value {
    match parent {
        Value::Map(map) => match map.borrow().get(name) {
            Some(v @ Value::Map(_)) => v.clone(),
            _ => Value::empty_map(),
        },
        _ => Value::empty_map(),
    }
}

/// Helm's `recAllTpls`: builds each chart's top-level data and lists its templates.
/// Returns the chart's top-level map (for the parent's `.Subcharts`). `names` are the
/// dependency names from the root to this chart (empty for the root). The map's
/// `Values` and `Files` are left to the caller: `unfilled` gets what it needs for them.
fn collect<'c>(
    chart: &'c Chart,
    parent_path: &str,
    names: &[&'c str],
    shared: &Shared,
    out: &mut Vec<Renderable<'c>>,
    unfilled: &mut Vec<Unfilled<'c>>,
) -> Value {
    let name = chart.metadata.name.as_str();
    let is_root = names.is_empty();
    let full_path = if is_root {
        name.to_string()
    } else {
        format!("{parent_path}/charts/{name}")
    };
    let subcharts = Value::empty_map();
    let top = map_value(vec![
        ("Chart", chart_object(&chart.metadata, is_root)),
        ("Release", shared.release.clone()),
        ("Capabilities", shared.capabilities.clone()),
        ("Subcharts", subcharts.clone()),
    ]);
    unfilled.push(Unfilled {
        top: top.clone(),
        names: names.to_vec(),
        files: &chart.files,
    });
    for child in &chart.dependencies {
        let mut child_names = names.to_vec();
        child_names.push(&child.metadata.name);
        let child_top = collect(child, &full_path, &child_names, shared, out, unfilled);
        if let Value::Map(m) = &subcharts {
            m.borrow_mut()
                .insert(child.metadata.name.clone(), child_top);
        }
    }
    let library = chart.metadata.chart_type.eq_ignore_ascii_case("library");
    for t in &chart.templates {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if library && !base.starts_with('_') {
            continue;
        }
        let text = t.text();
        out.push(Renderable {
            path: format!("{full_path}/{}", t.name),
            data: &t.data,
            text,
            top: top.clone(),
            base_path: format!("{full_path}/templates"),
        });
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{ChartFile, Metadata};

    fn chart(name: &str, templates: &[(&str, &str)], deps: Vec<Chart>) -> Chart {
        Chart {
            metadata: Metadata {
                name: name.into(),
                version: "1.0.0".into(),
                app_version: "2.0".into(),
                ..Default::default()
            },
            templates: templates
                .iter()
                .map(|(n, d)| ChartFile::new(n.to_string(), d.as_bytes().to_vec()))
                .collect(),
            dependencies: deps,
            ..Default::default()
        }
    }

    fn opts() -> RenderOptions<'static> {
        RenderOptions {
            release: ReleaseInfo {
                name: "rel".into(),
                namespace: "ns".into(),
                revision: 1,
                is_install: true,
                is_upgrade: false,
                service: "Helm".into(),
            },
            capabilities: Capabilities {
                kube_version: "v1.20.2".into(),
                api_versions: vec!["v1".into(), "apps/v1".into()],
                helm_version: "v4.3.0".into(),
            },
            lookup: None,
            enable_dns: false,
            lint_mode: false,
            preparse: None,
        }
    }

    fn values(json: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match json {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        }
    }

    #[test]
    fn renders_release_chart_and_template_objects() {
        let c = chart(
            "app",
            &[(
                "templates/a.yaml",
                "{{ .Release.Name }} {{ .Chart.Name }}-{{ .Chart.AppVersion }} {{ .Template.Name }} {{ .Template.BasePath }} {{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.APIVersions.Has \"apps/v1\" }} {{ printf \"%T\" .Chart }} [{{ .Chart.Nope }}] {{ .Chart.IsRoot }}",
            )],
            vec![],
        );
        let out = render(&c, &values(serde_json::json!({})), &opts()).unwrap_or_default();
        assert_eq!(
            out.get("app/templates/a.yaml").map(String::as_str),
            // As real Helm 4.3 prints them (KubeVersion has no String() on the value).
            Some(
                "rel app-2.0 app/templates/a.yaml app/templates {v1.20.2  1 20} 20 true map[string]interface {} [] true"
            )
        );
    }

    #[test]
    fn partials_are_not_rendered_and_missing_values_print_nothing() {
        let c = chart(
            "app",
            &[
                (
                    "templates/_h.tpl",
                    "{{ define \"x\" }}X{{ .Values.nope }}{{ end }}",
                ),
                ("templates/a.yaml", "{{ include \"x\" . }}"),
            ],
            vec![],
        );
        let out = render(&c, &values(serde_json::json!({})), &opts()).unwrap_or_default();
        assert_eq!(out.len(), 1);
        assert_eq!(out["app/templates/a.yaml"], "X");
    }

    #[test]
    fn parent_definitions_win_over_subchart_definitions() {
        let sub = chart(
            "sub",
            &[
                ("templates/_h.tpl", "{{ define \"n\" }}sub{{ end }}"),
                ("templates/s.yaml", "{{ include \"n\" . }}:{{ .Values.v }}"),
            ],
            vec![],
        );
        let c = chart(
            "app",
            &[("templates/_h.tpl", "{{ define \"n\" }}parent{{ end }}")],
            vec![sub],
        );
        let out =
            render(&c, &values(serde_json::json!({"sub": {"v": 1}})), &opts()).unwrap_or_default();
        assert_eq!(out["app/charts/sub/templates/s.yaml"], "parent:1");
    }

    #[test]
    fn parse_errors_read_like_helm() {
        let c = chart("app", &[("templates/a.yaml", "x\n{{ .Values.a }")], vec![]);
        let err = render(&c, &values(serde_json::json!({})), &opts()).map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("parse error at (app/templates/a.yaml:2): unexpected \"}\" in operand".into())
        );
    }

    #[test]
    fn required_errors_read_like_helm() {
        let c = chart(
            "app",
            &[(
                "templates/a.yaml",
                "{{ required \"a is required\" .Values.a }}",
            )],
            vec![],
        );
        let err = render(&c, &values(serde_json::json!({})), &opts()).map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("execution error at (app/templates/a.yaml:1:3): a is required".into())
        );
    }

    #[test]
    fn nil_pointer_errors_keep_go_text() {
        let c = chart("app", &[("templates/a.yaml", "{{ .Values.a.b }}")], vec![]);
        let err = render(&c, &values(serde_json::json!({})), &opts()).map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("app/templates/a.yaml:1:10\n  executing \"app/templates/a.yaml\" at <.Values.a.b>:\n    nil pointer evaluating interface {}.b".into())
        );
    }

    #[test]
    fn library_charts_contribute_only_partials() {
        let lib = Chart {
            metadata: Metadata {
                name: "lib".into(),
                version: "1".into(),
                chart_type: "library".into(),
                ..Default::default()
            },
            templates: vec![
                ChartFile::new("templates/_l.tpl", b"{{ define \"l\" }}L{{ end }}".to_vec()),
                ChartFile::new("templates/x.yaml", b"should not render".to_vec()),
            ],
            ..Default::default()
        };
        let c = chart(
            "app",
            &[("templates/a.yaml", "{{ include \"l\" . }}")],
            vec![lib],
        );
        let out = render(&c, &values(serde_json::json!({})), &opts()).unwrap_or_default();
        assert_eq!(out.len(), 1);
        assert_eq!(out["app/templates/a.yaml"], "L");
    }

    #[test]
    fn subcharts_object_exposes_child_values() {
        let sub = chart("sub", &[], vec![]);
        let c = chart(
            "app",
            &[("templates/a.yaml", "{{ .Subcharts.sub.Values.v }}")],
            vec![sub],
        );
        let out = render(&c, &values(serde_json::json!({"sub": {"v": "x"}})), &opts())
            .unwrap_or_default();
        assert_eq!(out["app/templates/a.yaml"], "x");
    }

    #[test]
    fn subcharts_at_any_depth_share_their_values_with_their_parents() {
        let leaf = chart("leaf", &[("templates/a.yaml", "{{ .Values.v }}")], vec![]);
        let sub = chart(
            "sub",
            &[(
                "templates/a.yaml",
                "{{ $_ := set .Values \"fromSub\" \"s\" }}{{ .Values.leaf.v }}",
            )],
            vec![leaf],
        );
        let other = chart("other", &[("templates/a.yaml", "{{ .Values }}")], vec![]);
        let c = chart(
            "app",
            &[("templates/a.yaml", "{{ .Values.sub.fromSub }}")],
            vec![sub, other],
        );
        let json = serde_json::json!({"sub": {"leaf": {"v": "deep"}}, "other": 3});
        let out = render(&c, &values(json), &opts()).unwrap_or_default();
        let got: Vec<&str> = [
            "app/charts/sub/charts/leaf/templates/a.yaml",
            "app/charts/sub/templates/a.yaml",
            "app/charts/other/templates/a.yaml",
            "app/templates/a.yaml",
        ]
        .iter()
        .map(|path| out.get(*path).map_or("missing", String::as_str))
        .collect();
        assert_eq!(got, vec!["deep", "deep", "map[]", "s"]);
    }

    #[test]
    fn endless_include_recursion_stops_at_helms_limit() {
        let c = chart(
            "app",
            &[(
                "templates/a.yaml",
                "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
            )],
            vec![],
        );
        let err = render(&c, &values(serde_json::json!({})), &opts())
            .map(|_| ())
            .map_err(|e| e.to_string());
        let Err(text) = err else {
            panic!("recursion did not fail");
        };
        assert!(
            text.starts_with("template: app/templates/a.yaml:1:"),
            "{}",
            &text[..200]
        );
        assert!(text.ends_with(
            "error calling include: rendering template has a nested reference name: r: unable to execute template"
        ));
        assert_eq!(text.matches("error calling include").count(), 1002);
    }

    #[test]
    fn include_errors_trace_every_template_like_helm() {
        let c = chart(
            "app",
            &[
                (
                    "templates/_h.tpl",
                    "{{ define \"h\" }}{{ .Values.a.b }}{{ end }}",
                ),
                (
                    "templates/a.yaml",
                    "x: {{ include \"h\" . }}\ny: {{ include \"nope\" . }}",
                ),
            ],
            vec![],
        );
        let err = render(&c, &values(serde_json::json!({})), &opts()).map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("app/templates/a.yaml:1:6\n  executing \"app/templates/a.yaml\" at <include \"h\" .>:\n    error calling include:\napp/templates/_h.tpl:1:26\n  executing \"h\" at <.Values.a.b>:\n    nil pointer evaluating interface {}.b".into())
        );
    }

    #[test]
    fn missing_include_target_is_traced_as_helm_prints_it() {
        let c = chart(
            "app",
            &[("templates/a.yaml", "x: {{ include \"nope\" . }}")],
            vec![],
        );
        let err = render(&c, &values(serde_json::json!({})), &opts()).map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("app/templates/a.yaml:1:6\n  executing \"app/templates/a.yaml\" at <include \"nope\" .>:\n    error calling include:\ntemplate: no template \"nope\" associated with template \"gotpl\"".into())
        );
    }

    #[test]
    fn function_errors_keep_go_text() {
        let c = chart("app", &[("templates/a.yaml", "x: {{ eq 1 1.0 }}")], vec![]);
        let err = render(&c, &values(serde_json::json!({})), &opts()).map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("template: app/templates/a.yaml:1:6: executing \"app/templates/a.yaml\" at <eq 1 1.0>: error calling eq: incompatible types for comparison: int and float64".into())
        );
    }

    fn render_err(templates: &[(&str, &str)]) -> String {
        let c = chart("app", templates, vec![]);
        match render(&c, &values(serde_json::json!({"l": [null]})), &opts()) {
            Ok(_) => "no error".into(),
            Err(e) => e.to_string(),
        }
    }

    // Expected texts below were produced by real Helm 4.3 (helm-sdkpy 0.1.32).
    #[test]
    fn missing_template_names_the_whole_template_node() {
        assert_eq!(
            render_err(&[("templates/a.yaml", "x: {{ template \"h\" .Values }}\n")]),
            "app/templates/a.yaml:1:15\n  executing \"app/templates/a.yaml\" at <{{template \"h\" .Values}}>:\n    template \"h\" not defined"
        );
    }

    #[test]
    fn method_argument_count_errors_have_no_error_calling_prefix() {
        assert_eq!(
            render_err(&[("templates/a.yaml", "{{ .Files.Get }}\n")]),
            "app/templates/a.yaml:1:9\n  executing \"app/templates/a.yaml\" at <.Files.Get>:\n    wrong number of args for Get: want 1 got 0"
        );
    }

    #[test]
    fn range_over_a_float_points_at_the_operand() {
        assert_eq!(
            render_err(&[("templates/a.yaml", "{{ range 1.5 }}{{ end }}\n")]),
            "app/templates/a.yaml:1:9\n  executing \"app/templates/a.yaml\" at <1.5>:\n    range can't iterate over 1.5"
        );
    }

    #[test]
    fn nil_list_elements_fail_field_access() {
        assert_eq!(
            render_err(&[(
                "templates/a.yaml",
                "{{ range .Values.l }}{{ .name }}{{ end }}\n"
            )]),
            "app/templates/a.yaml:1:24\n  executing \"app/templates/a.yaml\" at <.name>:\n    nil pointer evaluating interface {}.name"
        );
    }

    #[test]
    fn argument_type_errors_point_at_the_argument() {
        // As real Helm 4.3 reports them.
        let at = |loc: &str, node: &str, message: &str| {
            format!(
                "app/templates/a.yaml:{loc}\n  executing \"app/templates/a.yaml\" at <{node}>:\n    {message}"
            )
        };
        for (template, expected) in [
            (
                "{{ trunc 5 5 }}",
                at("1:11", "5", "expected string; found 5"),
            ),
            (
                "{{ upper nil }}",
                at("1:9", "nil", "cannot assign nil to string"),
            ),
            (
                "{{ pick \"x\" \"y\" }}",
                at(
                    "1:8",
                    "\"x\"",
                    "can't handle \"x\" for arg of type map[string]interface {}",
                ),
            ),
            (
                "{{ upper (list 1) }}",
                at(
                    "1:15",
                    "1",
                    "wrong type for value; expected string; got []interface {}",
                ),
            ),
            ("{{ tpl 5 . }}", at("1:7", "5", "expected string; found 5")),
            (
                "{{ .Files.Get 5 }}",
                at("1:14", "5", "expected string; found 5"),
            ),
            (
                "{{ 1 | upper }}",
                at(
                    "1:7",
                    "upper",
                    "wrong type for value; expected string; got int",
                ),
            ),
        ] {
            assert_eq!(
                render_err(&[("templates/a.yaml", template)]),
                expected,
                "{template}"
            );
        }
    }

    #[test]
    fn unclosed_action_names_where_it_started() {
        assert_eq!(
            render_err(&[("templates/a.yaml", "a\n{{ .x \n")]),
            "parse error at (app/templates/a.yaml:3): unclosed action started at app/templates/a.yaml:2"
        );
    }

    #[test]
    fn files_render_as_helm_does() {
        let mut c = chart(
            "app",
            &[(
                "templates/a.yaml",
                "{{- (.Files.Glob \"files/*\").AsConfig | nindent 2 }}\nn: {{ len (.Files.Lines \"files/b.txt\") }}\ns: {{ (.Files.Glob \"files/a*\").AsSecrets }}\n{{- range $p, $_ := .Files.Glob \"files/*\" }}\np: {{ $p }}{{ end }}",
            )],
            vec![],
        );
        c.files = vec![
            ChartFile::new("files/a.txt", b"alpha\n".to_vec()),
            ChartFile::new("files/b.txt", b"one\ntwo\n".to_vec()),
        ];
        let out = render(&c, &values(serde_json::json!({})), &opts()).unwrap_or_default();
        assert_eq!(
            out["app/templates/a.yaml"],
            "\n  a.txt: |\n    alpha\n  b.txt: |\n    one\n    two\nn: 2\ns: a.txt: YWxwaGEK\np: files/a.txt\np: files/b.txt"
        );
    }

    #[test]
    fn endless_template_recursion_stops_at_gos_depth_limit() {
        let text = render_err(&[(
            "templates/a.yaml",
            "{{ define \"a\" }}{{ template \"a\" . }}{{ end }}{{ template \"a\" . }}",
        )]);
        assert!(
            text.ends_with("exceeded maximum template depth (100000)"),
            "{text}"
        );
    }
}
