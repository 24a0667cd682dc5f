//! Every command-line type: clap definitions only, no behaviour.
//!
//! Flags keep Helm's names and defaults so that scripts written for `helm` work unchanged.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// rhelm: the Kubernetes package manager, Helm-compatible.
#[derive(Debug, Parser)]
#[command(name = "rhelm", version, about, long_about = None)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Settings shared by every command (Helm's global flags and environment).
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// namespace scope for this request
    #[arg(short = 'n', long, global = true, env = "HELM_NAMESPACE")]
    pub namespace: Option<String>,
    /// name of the kubeconfig context to use
    #[arg(long = "kube-context", global = true, env = "HELM_KUBECONTEXT")]
    pub kube_context: Option<String>,
    /// path to the kubeconfig file
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// enable verbose output
    #[arg(long, global = true, env = "HELM_DEBUG")]
    pub debug: bool,
    /// the storage driver: secret (default), configmap or memory
    #[arg(long = "driver", global = true, env = "HELM_DRIVER", hide = true)]
    pub driver: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// install a chart
    Install(InstallArgs),
    /// upgrade a release
    Upgrade(UpgradeArgs),
    /// roll back a release to a previous revision
    Rollback(RollbackArgs),
    /// fetch release history
    #[command(alias = "hist")]
    History(HistoryArgs),
    /// list releases
    #[command(alias = "ls")]
    List(ListArgs),
    /// display the status of the named release
    Status(StatusArgs),
    /// uninstall a release
    #[command(aliases = ["un", "delete", "del"])]
    Uninstall(UninstallArgs),
    /// download extended information of a named release
    #[command(subcommand)]
    Get(GetCommand),
    /// locally render templates
    Template(TemplateArgs),
    /// print the client version information
    Version(VersionArgs),
    /// show information of a chart
    #[command(subcommand)]
    Show(super::chart_args::ShowCommand),
    /// package a chart directory into a chart archive
    Package(super::chart_args::PackageArgs),
    /// examine a chart for possible issues
    Lint(super::chart_args::LintArgs),
    /// create a new chart with the given name
    Create(super::chart_args::CreateArgs),
    /// manage a chart's dependencies
    #[command(subcommand, alias = "dep", alias = "dependencies")]
    Dependency(super::chart_args::DependencyCommand),
    /// show what an upgrade or a rollback would change, object by object
    #[command(subcommand)]
    Diff(DiffCommand),
    /// run the tests of a release (its `helm.sh/hook: test` hooks)
    Test(TestArgs),
}

impl Command {
    /// Whether the command talks to a cluster. The others (rendering, chart commands) run
    /// without the async runtime's worker threads and drivers, which would only add start-up.
    pub fn talks_to_cluster(&self) -> bool {
        !matches!(
            self,
            Command::Template(_)
                | Command::Version(_)
                | Command::Show(_)
                | Command::Package(_)
                | Command::Lint(_)
                | Command::Create(_)
                | Command::Dependency(_)
        )
    }
}

/// `rhelm test RELEASE`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// release name
    pub name: String,
    /// time to wait for any individual Kubernetes operation (like Jobs for hooks)
    #[arg(long, default_value = "5m0s")]
    pub timeout: String,
    /// dump the logs from test pods (this runs after all tests are complete, but before any cleanup)
    #[arg(long)]
    pub logs: bool,
    /// specify tests by attribute (currently "name") using attribute=value syntax or '!attribute=value' to exclude a test (can specify multiple or separate values with commas: name=test1,name=test2)
    #[arg(long)]
    pub filter: Vec<String>,
    /// if set, do not show notes
    #[arg(long = "hide-notes")]
    pub hide_notes: bool,
}

/// `rhelm diff ...`.
#[derive(Debug, Subcommand)]
pub enum DiffCommand {
    /// show what `upgrade RELEASE CHART` would change
    Upgrade(DiffUpgradeArgs),
    /// show what `rollback RELEASE [REVISION]` would change
    Rollback(DiffRollbackArgs),
}

/// Output flags of the diff commands.
#[derive(Debug, Clone, Args)]
pub struct DiffOutputArgs {
    /// show Secret values instead of masking them
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// exit 0 when nothing would change, 2 when something would, 1 on error
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// prints the output in the specified format (table: unified diffs)
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `rhelm diff upgrade RELEASE CHART`.
#[derive(Debug, Args)]
pub struct DiffUpgradeArgs {
    /// release name
    pub name: String,
    /// chart path (a directory or a packaged .tgz)
    pub chart: PathBuf,
    /// values flags
    #[command(flatten)]
    pub values: ValuesArgs,
    /// rendering flags
    #[command(flatten)]
    pub render: RenderArgs,
    /// reuse the last release's values and merge in any overrides
    #[arg(long = "reuse-values")]
    pub reuse_values: bool,
    /// reset the values to the ones built into the chart
    #[arg(long = "reset-values")]
    pub reset_values: bool,
    /// reset the values to the chart's, then apply the last release's values and the overrides
    #[arg(long = "reset-then-reuse-values")]
    pub reset_then_reuse_values: bool,
    /// output flags
    #[command(flatten)]
    pub output: DiffOutputArgs,
}

/// `rhelm diff rollback RELEASE [REVISION]`.
#[derive(Debug, Args)]
pub struct DiffRollbackArgs {
    /// release name
    pub name: String,
    /// revision to compare with (default: the previous one)
    pub revision: Option<u32>,
    /// output flags
    #[command(flatten)]
    pub output: DiffOutputArgs,
}

/// Output formats of the table-printing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable table.
    #[default]
    Table,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// Rendering flags of install, upgrade, template and `diff upgrade`.
#[derive(Debug, Clone, Default, Args)]
pub struct RenderArgs {
    /// enable DNS lookups when rendering templates
    #[arg(long = "enable-dns")]
    pub enable_dns: bool,
    /// if set, disables JSON schema validation
    #[arg(long = "skip-schema-validation")]
    pub skip_schema_validation: bool,
}

/// The values flags of install, upgrade and template, in Helm's order of precedence.
#[derive(Debug, Clone, Default, Args)]
pub struct ValuesArgs {
    /// specify values in a YAML file (can specify multiple; '-' reads stdin)
    #[arg(short = 'f', long = "values")]
    pub values: Vec<PathBuf>,
    /// set values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)
    #[arg(long)]
    pub set: Vec<String>,
    /// set STRING values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)
    #[arg(long = "set-string")]
    pub set_string: Vec<String>,
    /// set values from respective files specified via the command line (can specify multiple or separate values with commas: key1=path1,key2=path2)
    #[arg(long = "set-file")]
    pub set_file: Vec<String>,
    /// set JSON values on the command line (can specify multiple or separate values with commas: key1=jsonval1,key2=jsonval2)
    #[arg(long = "set-json")]
    pub set_json: Vec<String>,
    /// set a literal STRING value on the command line
    #[arg(long = "set-literal")]
    pub set_literal: Vec<String>,
}

/// How objects are applied (Helm 4's `--server-side`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ServerSide {
    /// Server-side apply for new releases; an upgrade keeps the previous revision's method.
    #[default]
    Auto,
    /// Always server-side apply.
    True,
    /// Always client-side apply.
    False,
}

/// Settings shared by the commands that change the cluster.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// simulate the operation without changing the cluster
    #[arg(long = "dry-run", num_args = 0..=1, default_missing_value = "client", value_name = "STRATEGY")]
    pub dry_run: Option<DryRun>,
    /// object apply method: server-side apply (true), client-side (false), or as the release was (auto)
    #[arg(long = "server-side", value_enum, default_value = "auto", num_args = 0..=1, default_missing_value = "true")]
    pub server_side: ServerSide,
    /// take ownership of fields another field manager owns (server-side apply only)
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// prevent hooks from running
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// time to wait for any individual Kubernetes operation (like Jobs for hooks)
    #[arg(long, default_value = "5m0s")]
    pub timeout: String,
    /// wait until all resources are ready before marking the release successful
    #[arg(long, num_args = 0..=1, default_missing_value = "watcher", value_name = "STRATEGY")]
    pub wait: Option<String>,
    /// wait until all Jobs have completed (with --wait)
    #[arg(long = "wait-for-jobs")]
    pub wait_for_jobs: bool,
    /// allow deletion of new resources created in this operation when it fails
    #[arg(long = "cleanup-on-fail")]
    pub cleanup_on_fail: bool,
}

/// `--dry-run` strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Render only; do not contact the cluster for objects.
    Client,
    /// Ask the API server to validate without persisting.
    Server,
    /// Same as `server` for Helm 4 compatibility of scripts.
    None,
}

/// `rhelm install [NAME] [CHART]`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// release name
    #[arg(allow_hyphen_values = true)]
    pub name: String,
    /// chart path (a directory or a packaged .tgz)
    pub chart: Option<PathBuf>,
    /// values flags
    #[command(flatten)]
    pub values: ValuesArgs,
    /// rendering flags
    #[command(flatten)]
    pub render: RenderArgs,
    /// apply flags
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// create the release namespace if not present
    #[arg(long = "create-namespace")]
    pub create_namespace: bool,
    /// add a custom description
    #[arg(long)]
    pub description: Option<String>,
    /// prints the output in the specified format
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: OutputFormat,
    /// skip installing CRDs from the chart's crds/ directory
    #[arg(long = "skip-crds")]
    pub skip_crds: bool,
    /// if set, do not show notes in the install output
    #[arg(long = "hide-notes")]
    pub hide_notes: bool,
    /// if set, the installation process deletes the installation on failure (implies --wait)
    #[arg(long = "rollback-on-failure", visible_alias = "atomic")]
    pub rollback_on_failure: bool,
    /// if set, install will ignore the check for helm annotations and take ownership of the existing resources
    #[arg(long = "take-ownership")]
    pub take_ownership: bool,
}

/// `rhelm upgrade NAME CHART`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// release name
    pub name: String,
    /// chart path (a directory or a packaged .tgz)
    pub chart: PathBuf,
    /// values flags
    #[command(flatten)]
    pub values: ValuesArgs,
    /// rendering flags
    #[command(flatten)]
    pub render: RenderArgs,
    /// apply flags
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// if a release by this name doesn't already exist, run an install
    #[arg(short = 'i', long)]
    pub install: bool,
    /// when upgrading, reuse the last release's values and merge in any overrides
    #[arg(long = "reuse-values")]
    pub reuse_values: bool,
    /// when upgrading, reset the values to the ones built into the chart
    #[arg(long = "reset-values")]
    pub reset_values: bool,
    /// when upgrading, reset the values to the chart's, then apply the last release's values and the overrides
    #[arg(long = "reset-then-reuse-values")]
    pub reset_then_reuse_values: bool,
    /// limit the maximum number of revisions saved per release; 0 for no limit
    #[arg(long = "history-max", env = "HELM_MAX_HISTORY", default_value_t = 10)]
    pub history_max: usize,
    /// if --install is set, create the release namespace if not present
    #[arg(long = "create-namespace")]
    pub create_namespace: bool,
    /// add a custom description
    #[arg(long)]
    pub description: Option<String>,
    /// prints the output in the specified format
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: OutputFormat,
    /// if set, do not show notes in the upgrade output
    #[arg(long = "hide-notes")]
    pub hide_notes: bool,
    /// if set, upgrade process rolls back changes made in case of failed upgrade (implies --wait)
    #[arg(long = "rollback-on-failure", visible_alias = "atomic")]
    pub rollback_on_failure: bool,
    /// if set, upgrade will ignore the check for helm annotations and take ownership of the existing resources
    #[arg(long = "take-ownership")]
    pub take_ownership: bool,
    /// if set, upgrade will not install the CRDs of the chart when it installs (with --install)
    #[arg(long = "skip-crds")]
    pub skip_crds: bool,
    /// apply the CRDs of the chart's crds/ directories that changed (Helm never touches existing CRDs)
    #[arg(long = "upgrade-crds")]
    pub upgrade_crds: bool,
    /// the last revision is pending but no operation holds the release lock (Helm or an old
    /// client left it): mark it failed ("interrupted: …") and proceed. Not needed after a
    /// killed rhelm: its lock (Lease rhelm-lock.<release>, RHELM_LOCK_DURATION seconds,
    /// default 30) expires and the next operation recovers the release by itself
    #[arg(long)]
    pub recover: bool,
}

/// `rhelm rollback NAME [REVISION]`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// release name
    pub name: String,
    /// revision to roll back to (default: the previous one)
    pub revision: Option<u32>,
    /// apply flags
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// limit the maximum number of revisions saved per release; 0 for no limit
    #[arg(long = "history-max", env = "HELM_MAX_HISTORY", default_value_t = 10)]
    pub history_max: usize,
    /// the last revision is pending but no operation holds the release lock (Helm or a killed
    /// client left it): mark it failed ("interrupted: …") before rolling back
    #[arg(long)]
    pub recover: bool,
}

/// `rhelm history NAME`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// release name
    pub name: String,
    /// maximum number of revisions to include in history
    #[arg(long, default_value_t = 256)]
    pub max: usize,
    /// prints the output in the specified format
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `rhelm list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// output short (quiet) listing format
    #[arg(short = 'q', long)]
    pub short: bool,
    /// don't print headers when using the default output format
    #[arg(long = "no-headers")]
    pub no_headers: bool,
    /// sort by release date
    #[arg(short = 'd', long)]
    pub date: bool,
    /// reverse the sort order
    #[arg(short = 'r', long)]
    pub reverse: bool,
    /// show all releases without any filter applied
    #[arg(short = 'a', long)]
    pub all: bool,
    /// show uninstalled releases (if 'rhelm uninstall --keep-history' was used)
    #[arg(long)]
    pub uninstalled: bool,
    /// show superseded releases
    #[arg(long)]
    pub superseded: bool,
    /// show releases that are currently being uninstalled
    #[arg(long)]
    pub uninstalling: bool,
    /// show deployed releases. If no other is specified, this will be automatically enabled
    #[arg(long)]
    pub deployed: bool,
    /// show failed releases
    #[arg(long)]
    pub failed: bool,
    /// show pending releases
    #[arg(long)]
    pub pending: bool,
    /// list releases across all namespaces
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// maximum number of releases to fetch
    #[arg(short = 'm', long, default_value_t = 256)]
    pub max: usize,
    /// next release index in the list, used to offset from start value
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// a regular expression. Any releases that match the expression will be included in the results
    #[arg(short = 'f', long)]
    pub filter: Option<String>,
    /// prints the output in the specified format
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `rhelm status NAME`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// release name
    pub name: String,
    /// if set, display the status of the named release with revision
    #[arg(long)]
    pub revision: Option<u32>,
    /// prints the output in the specified format
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `rhelm uninstall NAME...`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// release names
    #[arg(required = true)]
    pub names: Vec<String>,
    /// remove all associated resources and mark the release as deleted, but retain the release history
    #[arg(long = "keep-history")]
    pub keep_history: bool,
    /// simulate an uninstall
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// prevent hooks from running during uninstallation
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// treat "release not found" as a successful uninstall
    #[arg(long = "ignore-not-found")]
    pub ignore_not_found: bool,
    /// add a custom description
    #[arg(long)]
    pub description: Option<String>,
    /// time to wait for any individual Kubernetes operation
    #[arg(long, default_value = "5m0s")]
    pub timeout: String,
    /// wait until all the release's resources are deleted before returning
    #[arg(long, num_args = 0..=1, default_missing_value = "watcher", value_name = "STRATEGY")]
    pub wait: Option<String>,
}

/// `rhelm get ...`.
#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// download all information for a named release
    All(GetArgs),
    /// download the manifest for a named release
    Manifest(GetArgs),
    /// download the notes for a named release
    Notes(GetArgs),
    /// download all hooks for a named release
    Hooks(GetArgs),
    /// download the values file for a named release
    Values(GetValuesArgs),
}

/// Arguments of `get manifest|notes|hooks|all`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// release name
    pub name: String,
    /// get the named release with revision
    #[arg(long)]
    pub revision: Option<u32>,
}

/// Arguments of `get values`.
#[derive(Debug, Args)]
pub struct GetValuesArgs {
    /// release name
    pub name: String,
    /// get the named release with revision
    #[arg(long)]
    pub revision: Option<u32>,
    /// dump all (computed) values
    #[arg(short = 'a', long)]
    pub all: bool,
    /// prints the output in the specified format
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `rhelm template [NAME] CHART`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// release name (default "release-name"), then the chart path
    #[arg(num_args = 1..=2, required = true, value_name = "[NAME] CHART")]
    pub args: Vec<String>,
    /// values flags
    #[command(flatten)]
    pub values: ValuesArgs,
    /// rendering flags
    #[command(flatten)]
    pub render: RenderArgs,
    /// Kubernetes version used for Capabilities.KubeVersion
    #[arg(long = "kube-version")]
    pub kube_version: Option<String>,
    /// Kubernetes api versions used for Capabilities.APIVersions (repeatable, comma-separated)
    #[arg(short = 'a', long = "api-versions", value_delimiter = ',')]
    pub api_versions: Vec<String>,
    /// use exactly --api-versions, without Helm's built-in default list
    #[arg(long = "no-default-api-versions")]
    pub no_default_api_versions: bool,
    /// only show manifests rendered from the given templates
    #[arg(short = 's', long = "show-only")]
    pub show_only: Vec<String>,
    /// include CRDs in the templated output
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// skip tests from templated output
    #[arg(long = "skip-tests")]
    pub skip_tests: bool,
    /// set .Release.IsUpgrade instead of .Release.IsInstall
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
    /// prevent hooks from being rendered
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// writes the executed templates to files in output-dir instead of stdout
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<std::path::PathBuf>,
    /// use release name in the output-dir path
    #[arg(long = "release-name")]
    pub release_name: bool,
}

/// `rhelm version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// print the version number
    #[arg(long)]
    pub short: bool,
}
