//! rhelm's integration tests: one binary (one link, one shared harness in `common`).
//!
//! `cli_*` run the compiled `rhelm` without a cluster; `cluster_*`, `interop_helm`, most of
//! `cli_bad_input` and one test of `cli_template_errors` run it against a real
//! kube-apiserver that the harness starts once per run (`scripts/test-cluster.sh`);
//! `conformance` renders the charts of `shared/conformance/`.

mod common;

mod cli_bad_input;
mod cli_chart;
mod cli_template;
mod cli_template_errors;
mod cluster_lab;
mod cluster_lifecycle;
mod conformance;
mod interop_helm;
