//! The template engine: Go's `text/template`, Sprig and Helm's functions, rendering a chart.
//!
//! Helm counterpart: `pkg/engine` plus Go's `text/template` and Sprig v3.
//!
//! Layers: [`lex`] (tokens) → [`parse`] (AST with spans, functions resolved) → [`exec`]
//! (walks trees against [`Value`]s, Go builtins and Helm's `include`/`tpl`/`required`/
//! `fail`/`lookup`) → [`render`](mod@render) (a chart tree to `{path: text}`, as Helm's `Engine.Render`).
//! [`objects`] holds the struct-like values templates see (`.Chart`, `.Capabilities`,
//! `.Files`). [`funcs`] is Sprig and Helm's pure functions, [`gofmt`] Go's `fmt`.
//! [`preparse`] parses a chart's templates on a thread of their own while the chart is
//! still loading; a render takes those trees only where they are exactly what it would parse.
//!
//! Decision: we write our own engine instead of using the `gotmpl` crate (v0.6.1), because
//! (1) its maps are immutable `Arc<BTreeMap>`, while Sprig's `set`/`unset`/`merge` must
//! mutate shared dicts and charts rely on that; (2) its functions get only `&[Value]`, no
//! executor context, which `include`/`tpl` need (recursion limit, shared template set);
//! (3) it prints floats with Rust's formatting (`1000000` where Go prints `1e+06`);
//! (4) it has no method calls on struct-like values (`.Capabilities.APIVersions.Has "x"`,
//! `.Files.Get`).
#[cfg(test)]
mod conformance;
pub mod exec;
pub mod funcs;
pub mod gofmt;
pub mod lex;
pub mod objects;
pub mod parse;
pub mod preparse;
pub mod render;
pub mod value;

pub use exec::Lookup;
pub use preparse::Preparse;
pub use render::{Capabilities, Error, ReleaseInfo, RenderOptions, render};
pub use value::{Func, FuncError, IntType, Object, Value};
