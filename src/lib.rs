//! rhelm: a Kubernetes release manager that does Helm's job, in Helm's own storage format.
//!
//! Data flows one way: `cli → action → {chart, values, engine, release, storage, kube}`.
//! Lower layers never print; they return data, typed errors and warnings.
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod action;
pub mod chart;
pub mod cli;
pub mod engine;
pub mod kube;
pub mod release;
pub mod storage;
pub mod threads;
pub mod values;

#[cfg(test)]
mod test_support;
