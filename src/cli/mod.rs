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
pub mod report;

use anyhow::{Result, anyhow};

use crate::action::install::{InstallOptions, install};
use crate::action::names::parse_go_duration;
use crate::action::query::{self, ListOptions};
use crate::action::rollback::{RollbackOptions, rollback};
use crate::action::template::{TemplateOptions, template};
use crate::action::uninstall::{UninstallOptions, uninstall};
use crate::action::upgrade::{ServerSidePolicy, UpgradeOptions, ValuesPolicy, upgrade};
use crate::action::{Context, Settings};
use crate::release::Status;
use crate::values::ValueSources;
use args::{
    ApplyArgs, Cli, Command, DryRun, GetCommand, GlobalArgs, InstallArgs, ListArgs, ServerSide,
    TemplateArgs, UpgradeArgs, ValuesArgs,
};
use printer::Printer;

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let printer = Printer {
        debug: cli.global.debug,
    };
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
    if !path.exists() {
        return Err(anyhow!("path {:?} not found", path.display().to_string()));
    }
    Ok(crate::chart::load_chart(path)?)
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
        let chart = load_chart(chart_path)?;
        warn_deprecated(&printer, &chart);
        let values = user_values(&a.values)?;
        let ctx = connect(global).await?;
        let options = InstallOptions {
            name: a.name.clone(),
            values,
            create_namespace: a.create_namespace,
            dry_run: is_dry_run(&a.apply),
            server_side: a.apply.server_side != ServerSide::False,
            force_conflicts: a.apply.force_conflicts,
            run_hooks: !a.apply.no_hooks,
            timeout: timeout(&a.apply.timeout)?,
            wait: a.apply.wait.is_some(),
            description: a.description.clone(),
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
                apply: a.apply,
                create_namespace: a.create_namespace,
                description: a.description,
                output: a.output,
                skip_crds: false,
                hide_notes: a.hide_notes,
            };
            return run_install(global, install_args, printer).await;
        }
    }
    let result = async {
        let chart = load_chart(&a.chart)?;
        warn_deprecated(&printer, &chart);
        let values = user_values(&a.values)?;
        let values_policy = if a.reset_values {
            ValuesPolicy::Reset
        } else if a.reuse_values {
            ValuesPolicy::Reuse
        } else if a.reset_then_reuse_values {
            ValuesPolicy::ResetThenReuse
        } else {
            ValuesPolicy::Default
        };
        let options = UpgradeOptions {
            name: a.name.clone(),
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
    let chart = load_chart(std::path::Path::new(&chart_path))?;
    warn_deprecated(&printer, &chart);
    let options = TemplateOptions {
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
    let text = template(&chart, &options)?;
    printer.out(&text)?;
    Ok(())
}

fn warn_deprecated(printer: &Printer, chart: &crate::chart::Chart) {
    if let Some(warning) = crate::chart::deprecation_warning(chart) {
        printer.warn(&warning);
    }
}
