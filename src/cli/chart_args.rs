//! Command-line types of the chart commands: `show`, `package`, `lint`, `create`,
//! `dependency`. Clap definitions only; `chart_cmds` runs them.
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::args::ValuesArgs;

/// `rhelm show ...`.
#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// show all information of the chart
    All(ShowArgs),
    /// show the chart's definition
    Chart(ShowArgs),
    /// show the chart's values
    Values(ShowArgs),
    /// show the chart's README
    Readme(ShowArgs),
    /// show the chart's CRDs
    Crds(ShowArgs),
}

/// Arguments of every `show` subcommand.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// chart path (a directory or a packaged .tgz)
    pub chart: PathBuf,
}

/// `rhelm package CHART_PATH...`.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// chart directories
    #[arg(required = true)]
    pub charts: Vec<PathBuf>,
    /// set the version on the chart to this semver version
    #[arg(long)]
    pub version: Option<String>,
    /// set the appVersion on the chart to this version
    #[arg(long = "app-version")]
    pub app_version: Option<String>,
    /// location to write the chart.
    #[arg(short = 'd', long, default_value = ".")]
    pub destination: PathBuf,
    /// update dependencies from "Chart.yaml" to dir "charts/" before packaging
    #[arg(short = 'u', long = "dependency-update")]
    pub dependency_update: bool,
}

/// `rhelm lint PATH...`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// chart paths (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// fail on lint warnings
    #[arg(long)]
    pub strict: bool,
    /// print only warnings and errors
    #[arg(long)]
    pub quiet: bool,
    /// Kubernetes version used for capabilities and deprecation checks
    #[arg(long = "kube-version")]
    pub kube_version: Option<String>,
    /// lint dependent charts
    #[arg(long = "with-subcharts")]
    pub with_subcharts: bool,
    /// values flags
    #[command(flatten)]
    pub values: ValuesArgs,
}

/// `rhelm create NAME`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// the chart directory to create (its last component is the chart name)
    pub name: PathBuf,
}

/// `rhelm dependency ...`.
#[derive(Debug, Subcommand)]
pub enum DependencyCommand {
    /// list the dependencies for the given chart
    #[command(alias = "ls")]
    List(DependencyArgs),
    /// update charts/ based on the contents of Chart.yaml
    #[command(alias = "up")]
    Update(DependencyArgs),
    /// rebuild the charts/ directory based on the Chart.lock file
    Build(DependencyArgs),
}

/// Arguments of the `dependency` subcommands.
#[derive(Debug, Args)]
pub struct DependencyArgs {
    /// chart directory
    #[arg(default_value = ".")]
    pub chart: PathBuf,
    /// do not refresh the local repository cache (accepted for compatibility: rhelm has no
    /// repository cache)
    #[arg(long = "skip-refresh")]
    pub skip_refresh: bool,
}
