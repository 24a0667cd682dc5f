//! The template engine: Go's `text/template`, Sprig and Helm's functions, rendering a chart.
//!
//! Helm counterpart: `pkg/engine` plus Go's `text/template` and Sprig v3.
pub mod funcs;
pub mod gofmt;
pub mod value;

pub use value::{Func, FuncError, Object, Value};
