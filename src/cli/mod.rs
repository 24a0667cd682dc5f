//! The command line: clap definitions (`args`), dispatch to the actions, and output
//! (`printer`, the only module that prints).
//!
//! Helm counterpart: `pkg/cmd`. Each command turns its flags into an action's options,
//! runs it, and prints the result in Helm's layout; errors carry Helm's prefixes
//! (`INSTALLATION FAILED: `, `UPGRADE FAILED: `).
pub mod args;
pub mod chart_args;
pub mod chart_cmds;
pub mod printer;
pub mod progress;
pub mod report;

use anyhow::{Result, anyhow};

use crate::action::install::{InstallOptions, install};
use crate::action::names::parse_go_duration;
use crate::action::query::{self, ListOptions};
use crate::action::render::RenderFlags;
use crate::action::rollback::{RollbackOptions, rollback};
use crate::action::template::{
    TemplateOptions, render_template, show_only, template, write_output_dir,
};
use crate::action::uninstall::{UninstallOptions, uninstall};
use crate::action::upgrade::{ServerSidePolicy, UpgradeOptions, ValuesPolicy, upgrade};
use crate::action::{Context, Settings};
use crate::release::Status;
use crate::values::ValueSources;
use args::{
    ApplyArgs, Cli, Command, DiffCommand, DiffOutputArgs, DryRun, GetCommand, GlobalArgs,
    InstallArgs, ListArgs, RenderArgs, ServerSide, TemplateArgs, UpgradeArgs, ValuesArgs,
};
use printer::Printer;

/// A command that finished without error but wants a particular exit code
/// (`diff --detailed-exitcode`); `main` exits with it and prints nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("exit status {0}")]
pub struct ExitStatus(pub u8);

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let printer = Printer {
        debug: cli.global.debug,
    };
    crate::action::wait::set_reporter(std::sync::Arc::new(progress::Progress::new(
        printer,
        cli.global.debug,
    )));
    match cli.command {
        Command::Install(a) => run_install(&cli.global, a, printer).await,
        Command::Upgrade(a) => run_upgrade(&cli.global, a, printer).await,
        Command::Rollback(a) => {
            let ctx = connect(&cli.global).await?;
            let options = RollbackOptions {
                name: a.name,
                revision: a.revision,
                dry_run: a.apply.dry_run.is_some(),
                server_side: server_side_policy(a.apply.server_side),
                force_conflicts: a.apply.force_conflicts,
                run_hooks: !a.apply.no_hooks,
                timeout: timeout(&a.apply.timeout)?,
                wait: a.apply.wait.is_some(),
                history_max: a.history_max,
                dry_run_server: a.apply.dry_run == Some(DryRun::Server),
                wait_for_jobs: a.apply.wait_for_jobs,
                recover: a.recover,
                cleanup_on_fail: a.apply.cleanup_on_fail,
            };
            let outcome = rollback(&ctx, &options).await?;
            report::debug_notes(&printer, &outcome.notes);
            printer.out("Rollback was a success! Happy Helming!\n")?;
            Ok(())
        }
        Command::History(a) => {
            let ctx = connect(&cli.global).await?;
            let revisions = query::history(&ctx, &a.name, a.max).await?;
            report::history(&printer, &revisions, a.output)
        }
        Command::List(a) => run_list(&cli.global, a, printer).await,
        Command::Status(a) => {
            let ctx = connect(&cli.global).await?;
            let release = query::get(&ctx, &a.name, a.revision).await?;
            report::status(&printer, &release, a.output, false, false)
        }
        Command::Uninstall(a) => {
            let ctx = connect(&cli.global).await?;
            for name in &a.names {
                let options = UninstallOptions {
                    name: name.clone(),
                    keep_history: a.keep_history,
                    dry_run: a.dry_run,
                    run_hooks: !a.no_hooks,
                    timeout: timeout(&a.timeout)?,
                    description: a.description.clone(),
                    wait: a.wait.is_some(),
                };
                match uninstall(&ctx, &options).await {
                    Ok(outcome) => {
                        report::debug_notes(&printer, &outcome.notes);
                        printer.out(&format!("release \"{name}\" uninstalled\n"))?;
                    }
                    Err(crate::action::Error::ReleaseNotFound) if a.ignore_not_found => {}
                    Err(error) => {
                        return Err(anyhow!("uninstall: Release not loaded: {name}: {error}"));
                    }
                }
            }
            Ok(())
        }
        Command::Get(get) => run_get(&cli.global, get, printer).await,
        Command::Template(a) => run_template(&cli.global, a, printer),
        Command::Show(c) => chart_cmds::run_show(c, &printer),
        Command::Package(a) => chart_cmds::run_package(a, &printer),
        Command::Lint(a) => chart_cmds::run_lint(a, cli.global.namespace.clone(), &printer),
        Command::Create(a) => chart_cmds::run_create(a, &printer),
        Command::Dependency(c) => chart_cmds::run_dependency(c, &printer),
        Command::Diff(d) => run_diff(&cli.global, d, printer).await,
        Command::Test(a) => {
            use crate::action::hooks::{TestFilter, run_tests};
            let filter = TestFilter::parse(&a.filter)?;
            let ctx = connect(&cli.global).await?;
            let outcome = run_tests(&ctx, &a.name, &filter, timeout(&a.timeout)?, a.logs).await?;
            report::status(
                &printer,
                &outcome.release,
                args::OutputFormat::Table,
                a.hide_notes,
                false,
            )?;
            for (pod, text) in &outcome.logs {
                printer.out(&format!("POD LOGS: {pod}\n{text}\n"))?;
            }
            match outcome.failure {
                Some(error) => Err(error.into()),
                None => Ok(()),
            }
        }
        Command::Version(a) => {
            let version = env!("CARGO_PKG_VERSION");
            if a.short {
                printer.out(&format!("v{version}\n"))?;
            } else {
                printer.out(&format!(
                    "version.BuildInfo{{Version:\"v{version}\", HelmCompatible:\"{}\"}}\n",
                    crate::action::render::HELM_VERSION
                ))?;
            }
            Ok(())
        }
    }
}

fn settings(global: &GlobalArgs) -> Settings {
    Settings {
        namespace: global.namespace.clone(),
        kube_context: global.kube_context.clone(),
        kubeconfig: global.kubeconfig.clone(),
        driver: global.driver.clone(),
    }
}

async fn connect(global: &GlobalArgs) -> Result<Context> {
    Ok(Context::connect(&settings(global)).await?)
}

fn timeout(text: &str) -> Result<std::time::Duration> {
    parse_go_duration(text)
        .map_err(|e| anyhow!("invalid argument {text:?} for \"--timeout\" flag: {e}"))
}

/// Helm's precedence of the upgrade values flags: reset, then reuse, then reset-then-reuse.
fn values_policy(reset: bool, reuse: bool, reset_then_reuse: bool) -> ValuesPolicy {
    if reset {
        ValuesPolicy::Reset
    } else if reuse {
        ValuesPolicy::Reuse
    } else if reset_then_reuse {
        ValuesPolicy::ResetThenReuse
    } else {
        ValuesPolicy::Default
    }
}

fn server_side_policy(flag: ServerSide) -> ServerSidePolicy {
    match flag {
        ServerSide::Auto => ServerSidePolicy::Auto,
        ServerSide::True => ServerSidePolicy::Always,
        ServerSide::False => ServerSidePolicy::Never,
    }
}

fn value_sources(values: &ValuesArgs) -> ValueSources {
    ValueSources {
        files: values.values.clone(),
        set: values.set.clone(),
        set_string: values.set_string.clone(),
        set_file: values.set_file.clone(),
        set_json: values.set_json.clone(),
        set_literal: values.set_literal.clone(),
    }
}

fn load_chart(path: &std::path::Path) -> Result<crate::chart::Chart> {
    check_chart_path(path)?;
    Ok(crate::chart::load_chart(path)?)
}

/// [`load_chart`], parsing the templates meanwhile for a render with `flags`.
fn load_chart_to_render(
    path: &std::path::Path,
    flags: RenderFlags,
) -> Result<(crate::chart::Chart, Option<crate::engine::Preparse>)> {
    check_chart_path(path)?;
    Ok(crate::action::render::load_chart(path, flags)?)
}

fn check_chart_path(path: &std::path::Path) -> Result<()> {
    if !path.exists() {
        return Err(anyhow!("path {:?} not found", path.display().to_string()));
    }
    Ok(())
}

fn user_values(values: &ValuesArgs) -> Result<serde_json::Map<String, serde_json::Value>> {
    crate::values::merge_sources(&value_sources(values)).map_err(|e| {
        match chart_cmds::set_syntax_hint(&e.to_string(), values) {
            Some(hint) => anyhow!("{e}\n{hint}"),
            None => e.into(),
        }
    })
}

fn is_dry_run(apply: &ApplyArgs) -> bool {
    matches!(
        apply.dry_run,
        Some(DryRun::Client | DryRun::Server | DryRun::None)
    )
}

async fn run_install(global: &GlobalArgs, a: InstallArgs, printer: Printer) -> Result<()> {
    let result = async {
        let chart_path = a
            .chart
            .as_ref()
            .ok_or_else(|| anyhow!("must either provide a name or specify --generate-name"))?;
        let render = render_flags(&a.render);
        let (chart, preparse) = load_chart_to_render(chart_path, render)?;
        warn_deprecated(&printer, &chart);
        let values = user_values(&a.values)?;
        let ctx = connect(global).await?;
        let options = InstallOptions {
            name: a.name.clone(),
            render,
            preparse: preparse.map(std::sync::Arc::new),
            values,
            create_namespace: a.create_namespace,
            dry_run: is_dry_run(&a.apply),
            server_side: a.apply.server_side != ServerSide::False,
            force_conflicts: a.apply.force_conflicts,
            run_hooks: !a.apply.no_hooks,
            timeout: timeout(&a.apply.timeout)?,
            wait: a.apply.wait.is_some(),
            description: a.description.clone(),
            dry_run_server: a.apply.dry_run == Some(DryRun::Server),
            wait_for_jobs: a.apply.wait_for_jobs,
            atomic: a.rollback_on_failure,
            take_ownership: a.take_ownership,
            skip_crds: a.skip_crds,
        };
        Ok::<_, anyhow::Error>(install(&ctx, &chart, &options).await?)
    }
    .await
    .map_err(|e| e.context("INSTALLATION FAILED"))?;
    report::debug_notes(&printer, &result.notes);
    report::status(
        &printer,
        &result.release,
        a.output,
        a.hide_notes,
        printer.debug,
    )
}

async fn run_upgrade(global: &GlobalArgs, a: UpgradeArgs, printer: Printer) -> Result<()> {
    let ctx = connect(global)
        .await
        .map_err(|e| e.context("UPGRADE FAILED"))?;
    if a.install {
        // Helm: install when there is no history, or the last revision is uninstalled.
        let missing = match ctx.storage.last(&a.name).await {
            Ok(last) => last.info.status == Status::Uninstalled,
            Err(
                crate::storage::Error::NotFound { .. } | crate::storage::Error::NoRevision { .. },
            ) => true,
            Err(other) => return Err(other.into()),
        };
        if missing {
            if a.output == args::OutputFormat::Table {
                printer.out(&format!(
                    "Release {:?} does not exist. Installing it now.\n",
                    a.name
                ))?;
            }
            let install_args = InstallArgs {
                name: a.name,
                chart: Some(a.chart),
                values: a.values,
                render: a.render,
                apply: a.apply,
                create_namespace: a.create_namespace,
                description: a.description,
                output: a.output,
                skip_crds: a.skip_crds,
                hide_notes: a.hide_notes,
                rollback_on_failure: a.rollback_on_failure,
                take_ownership: a.take_ownership,
            };
            return run_install(global, install_args, printer).await;
        }
    }
    let result = async {
        let render = render_flags(&a.render);
        let (chart, preparse) = load_chart_to_render(&a.chart, render)?;
        warn_deprecated(&printer, &chart);
        let values = user_values(&a.values)?;
        let values_policy =
            values_policy(a.reset_values, a.reuse_values, a.reset_then_reuse_values);
        let options = UpgradeOptions {
            name: a.name.clone(),
            render,
            preparse: preparse.map(std::sync::Arc::new),
            values,
            values_policy,
            dry_run: is_dry_run(&a.apply),
            server_side: server_side_policy(a.apply.server_side),
            force_conflicts: a.apply.force_conflicts,
            run_hooks: !a.apply.no_hooks,
            timeout: timeout(&a.apply.timeout)?,
            wait: a.apply.wait.is_some(),
            history_max: a.history_max,
            description: a.description.clone(),
            dry_run_server: a.apply.dry_run == Some(DryRun::Server),
            wait_for_jobs: a.apply.wait_for_jobs,
            atomic: a.rollback_on_failure,
            cleanup_on_fail: a.apply.cleanup_on_fail,
            take_ownership: a.take_ownership,
            recover: a.recover,
            upgrade_crds: a.upgrade_crds,
        };
        Ok::<_, anyhow::Error>(upgrade(&ctx, &chart, &options).await?)
    }
    .await
    .map_err(|e| e.context("UPGRADE FAILED"))?;
    report::debug_notes(&printer, &result.notes);
    if a.output == args::OutputFormat::Table {
        printer.out(&format!(
            "Release {:?} has been upgraded. Happy Helming!\n",
            a.name
        ))?;
    }
    report::status(
        &printer,
        &result.release,
        a.output,
        a.hide_notes,
        printer.debug,
    )
}

async fn run_list(global: &GlobalArgs, a: ListArgs, printer: Printer) -> Result<()> {
    let ctx = connect(global).await?;
    let mut states = Vec::new();
    for (flag, status) in [
        (a.deployed, &[Status::Deployed][..]),
        (a.failed, &[Status::Failed][..]),
        (a.superseded, &[Status::Superseded][..]),
        (a.uninstalled, &[Status::Uninstalled][..]),
        (a.uninstalling, &[Status::Uninstalling][..]),
        (
            a.pending,
            &[
                Status::PendingInstall,
                Status::PendingUpgrade,
                Status::PendingRollback,
            ][..],
        ),
    ] {
        if flag {
            states.extend_from_slice(status);
        }
    }
    let options = ListOptions {
        all_namespaces: a.all_namespaces,
        states,
        all: a.all,
        filter: a.filter.clone(),
        by_date: a.date,
        reverse: a.reverse,
        max: a.max,
        offset: a.offset,
    };
    let releases = query::list(&ctx, &options).await?;
    report::list(&printer, &releases, a.output, a.short, a.no_headers)
}

async fn run_get(global: &GlobalArgs, get: GetCommand, printer: Printer) -> Result<()> {
    let ctx = connect(global).await?;
    match get {
        GetCommand::Manifest(a) => {
            let release = query::get(&ctx, &a.name, a.revision).await?;
            // Helm prints the manifest with Println: one more newline.
            printer.out(&format!("{}\n", release.manifest))?;
        }
        GetCommand::Notes(a) => {
            let release = query::get(&ctx, &a.name, a.revision).await?;
            if !release.info.notes.is_empty() {
                printer.out(&format!("NOTES:\n{}\n", release.info.notes))?;
            }
        }
        GetCommand::Hooks(a) => {
            let release = query::get(&ctx, &a.name, a.revision).await?;
            printer.out(&report::hooks_text(&release))?;
        }
        GetCommand::Values(a) => {
            let release = query::get(&ctx, &a.name, a.revision).await?;
            let values = query::release_values(&release, a.all)?;
            report::values(&printer, &values, a.all, a.output)?;
        }
        GetCommand::All(a) => {
            let release = query::get(&ctx, &a.name, a.revision).await?;
            report::get_all(&printer, &release)?;
        }
    }
    Ok(())
}

fn run_template(global: &GlobalArgs, a: TemplateArgs, printer: Printer) -> Result<()> {
    let (name, chart_path) = match a.args.as_slice() {
        [chart] => ("release-name".to_string(), chart.clone()),
        [name, chart] => (name.clone(), chart.clone()),
        _ => return Err(anyhow!("expected [NAME] CHART")),
    };
    crate::action::names::validate_release_name(&name).map_err(|e| anyhow!(e))?;
    let render = render_flags(&a.render);
    let (chart, preparse) = load_chart_to_render(std::path::Path::new(&chart_path), render)?;
    warn_deprecated(&printer, &chart);
    let options = TemplateOptions {
        render,
        preparse: preparse.map(std::sync::Arc::new),
        name,
        namespace: global
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string()),
        values: user_values(&a.values)?,
        kube_version: a.kube_version,
        api_versions: a.api_versions,
        no_default_api_versions: a.no_default_api_versions,
        is_upgrade: a.is_upgrade,
        show_only: a.show_only,
        include_hooks: !a.no_hooks,
        skip_tests: a.skip_tests,
        include_crds: a.include_crds,
    };
    let Some(dir) = &a.output_dir else {
        if options.show_only.is_empty() {
            let output = render_template(chart, &options)?;
            printer.out_with(|mut out| output.write_text(&mut out))?;
        } else {
            printer.out(&template(chart, &options)?)?;
        }
        return Ok(());
    };
    let output = render_template(chart, &options)?;
    let release_dir = a.release_name.then_some(options.name.as_str());
    let mut report = String::new();
    for path in write_output_dir(&output, dir, release_dir)? {
        report.push_str(&format!("wrote {}\n", path.display()));
    }
    printer.out(&report)?;
    // Helm then prints what is left of the manifest (nothing) as a line of its own, and
    // --show-only finds nothing there.
    let rest = if options.show_only.is_empty() {
        "\n".to_string()
    } else {
        show_only("", &options.show_only)?
    };
    printer.out(&rest)?;
    Ok(())
}

fn render_flags(a: &RenderArgs) -> RenderFlags {
    RenderFlags {
        enable_dns: a.enable_dns,
        skip_schema_validation: a.skip_schema_validation,
    }
}

fn warn_deprecated(printer: &Printer, chart: &crate::chart::Chart) {
    if let Some(warning) = crate::chart::deprecation_warning(chart) {
        printer.warn(&warning);
    }
}

async fn run_diff(global: &GlobalArgs, command: DiffCommand, printer: Printer) -> Result<()> {
    use crate::action::diff::{DiffOptions, diff_rollback, diff_upgrade};
    let ctx = connect(global).await?;
    let (report, output) = match command {
        DiffCommand::Upgrade(a) => {
            let render = render_flags(&a.render);
            let (chart, preparse) = load_chart_to_render(&a.chart, render)?;
            let values_policy =
                values_policy(a.reset_values, a.reuse_values, a.reset_then_reuse_values);
            let options = UpgradeOptions {
                name: a.name.clone(),
                render,
                preparse: preparse.map(std::sync::Arc::new),
                values: user_values(&a.values)?,
                values_policy,
                dry_run: true,
                server_side: ServerSidePolicy::Auto,
                force_conflicts: false,
                run_hooks: false,
                timeout: std::time::Duration::from_secs(300),
                wait: false,
                history_max: 0,
                description: None,
                dry_run_server: false,
                wait_for_jobs: false,
                atomic: false,
                cleanup_on_fail: false,
                take_ownership: false,
                recover: false,
                upgrade_crds: false,
            };
            let diff = DiffOptions {
                show_secrets: a.output.show_secrets,
            };
            (diff_upgrade(&ctx, &chart, &options, diff).await?, a.output)
        }
        DiffCommand::Rollback(a) => {
            let options = RollbackOptions {
                name: a.name.clone(),
                revision: a.revision,
                dry_run: true,
                server_side: ServerSidePolicy::Auto,
                force_conflicts: false,
                run_hooks: false,
                timeout: std::time::Duration::from_secs(300),
                wait: false,
                history_max: 0,
                dry_run_server: false,
                wait_for_jobs: false,
                recover: false,
                cleanup_on_fail: false,
            };
            let diff = DiffOptions {
                show_secrets: a.output.show_secrets,
            };
            (diff_rollback(&ctx, &options, diff).await?, a.output)
        }
    };
    print_diff(&printer, &report, &output)?;
    if output.detailed_exitcode && report.has_changes() {
        // Terraform's convention: 2 means "there are changes" (not an error to print).
        return Err(ExitStatus(2).into());
    }
    Ok(())
}

fn print_diff(
    printer: &Printer,
    report: &crate::action::diff::DiffReport,
    output: &DiffOutputArgs,
) -> Result<()> {
    use crate::action::diff::Change;
    match output.output {
        args::OutputFormat::Json => {
            printer.out(&format!("{}\n", serde_json::to_string_pretty(report)?))?;
        }
        args::OutputFormat::Yaml => printer.out(&serde_yaml::to_string(report)?)?,
        args::OutputFormat::Table => {
            use std::io::IsTerminal;
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut text = String::new();
            for object in report
                .objects
                .iter()
                .filter(|o| o.change != Change::Unchanged)
            {
                let verb = match object.change {
                    Change::Create => "will be created",
                    Change::Update => "will be changed",
                    Change::Delete => "will be deleted",
                    Change::Unchanged => "is unchanged",
                };
                text.push_str(&format!("{} {verb}\n", object.resource));
                if let Some(note) = &object.note {
                    text.push_str(&format!("# {note}\n"));
                }
                for line in object.diff.lines() {
                    text.push_str(&colorize(line, color));
                    text.push('\n');
                }
            }
            if !report.has_changes() {
                text.push_str(&format!("release {:?}: no changes\n", report.release));
            }
            printer.out(&text)?;
        }
    }
    Ok(())
}

/// Red removals, green additions, cyan hunk headers (ANSI), on a terminal only.
fn colorize(line: &str, color: bool) -> String {
    let code = match line.as_bytes().first() {
        _ if !color => None,
        Some(b'+') if !line.starts_with("+++") => Some("32"),
        Some(b'-') if !line.starts_with("---") => Some("31"),
        Some(b'@') => Some("36"),
        _ => None,
    };
    match code {
        Some(code) => format!("\x1b[{code}m{line}\x1b[0m"),
        None => line.to_string(),
    }
}
