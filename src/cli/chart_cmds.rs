//! Dispatch of the chart commands (`show`, `package`, `lint`, `create`, `dependency`): flags
//! to action options, results to Helm's output.
//!
//! Helm counterpart: `pkg/cmd/{show,package,lint,create,dependency*}.go`.
use anyhow::{Result, anyhow};

use super::chart_args::{CreateArgs, DependencyCommand, LintArgs, PackageArgs, ShowCommand};
use super::printer::{Printer, Table};
use crate::action::lint::{LintOptions, lint};
use crate::action::package::{PackageOptions, package};
use crate::action::show::{ShowKind, show};
use crate::action::{create, dependency};

/// `rhelm show all|chart|values|readme|crds CHART`.
pub fn run_show(command: ShowCommand, printer: &Printer) -> Result<()> {
    let (kind, args) = match command {
        ShowCommand::All(a) => (ShowKind::All, a),
        ShowCommand::Chart(a) => (ShowKind::Chart, a),
        ShowCommand::Values(a) => (ShowKind::Values, a),
        ShowCommand::Readme(a) => (ShowKind::Readme, a),
        ShowCommand::Crds(a) => (ShowKind::Crds, a),
    };
    let chart = super::load_chart(&args.chart)?;
    printer.out(&show(&chart, kind)?)?;
    Ok(())
}

/// `rhelm package CHART...`.
pub fn run_package(args: PackageArgs, printer: &Printer) -> Result<()> {
    let options = PackageOptions {
        version: args.version,
        app_version: args.app_version,
        destination: args.destination,
    };
    for chart in &args.charts {
        if args.dependency_update {
            let lock = dependency::update(chart)?;
            printer.out(&vendor_report(&lock.dependencies))?;
        }
        let path = package(chart, &options)?;
        printer.out(&format!(
            "Successfully packaged chart and saved it to: {}\n",
            path.display()
        ))?;
    }
    Ok(())
}

/// `rhelm lint PATH...`: findings on stdout; the summary is the error when a chart fails.
pub fn run_lint(args: LintArgs, namespace: Option<String>, printer: &Printer) -> Result<()> {
    let mut paths = if args.paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        args.paths
    };
    if args.with_subcharts {
        let mut subcharts = Vec::new();
        for path in &paths {
            collect_subcharts(&path.join("charts"), &mut subcharts);
        }
        paths.extend(subcharts);
    }
    let options = LintOptions {
        strict: args.strict,
        values: super::user_values(&args.values)?,
        namespace: namespace
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into()),
        kube_version: args.kube_version,
    };
    let mut text = String::new();
    let mut failed = 0;
    let mut with_findings = 0;
    for path in &paths {
        let report = lint(path, &options);
        let noteworthy = !report.errors.is_empty()
            || report
                .messages
                .iter()
                .any(|m| m.severity > crate::action::lint::Severity::Info);
        if noteworthy {
            with_findings += 1;
        }
        if report.failed {
            failed += 1;
        }
        if args.quiet && !noteworthy {
            continue;
        }
        text.push_str(&format!("==> Linting {}\n", path.display()));
        if report.messages.is_empty() {
            for error in &report.errors {
                text.push_str(&format!("Error {error}\n"));
            }
        }
        for message in &report.messages {
            if !args.quiet || message.severity > crate::action::lint::Severity::Info {
                text.push_str(&format!("{message}\n"));
            }
        }
        text.push('\n');
    }
    printer.out(&text)?;
    let summary = format!("{} chart(s) linted, {failed} chart(s) failed", paths.len());
    if failed > 0 {
        return Err(anyhow!(summary));
    }
    if !args.quiet || with_findings > 0 {
        printer.out(&format!("{summary}\n"))?;
    }
    Ok(())
}

/// Charts under `dir` (directories with a `Chart.yaml`, and archives), at any depth, as
/// Helm's `--with-subcharts` walk finds them.
fn collect_subcharts(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.join("Chart.yaml").is_file() {
                out.push(path.clone());
            }
            collect_subcharts(&path, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".tgz") || n.ends_with(".tar.gz"))
        {
            out.push(path);
        }
    }
}

/// `rhelm create NAME`.
pub fn run_create(args: CreateArgs, printer: &Printer) -> Result<()> {
    printer.out(&format!("Creating {}\n", args.name.display()))?;
    let created = create::create(&args.name)?;
    for warning in &created.warnings {
        printer.warn(warning);
    }
    Ok(())
}

/// What Helm's download manager prints while vendoring `deps`.
fn vendor_report(deps: &[crate::chart::Dependency]) -> String {
    let mut text = format!("Saving {} charts\n", deps.len());
    for dep in deps.iter().filter(|d| d.repository.is_empty()) {
        text.push_str(&format!(
            "Dependency {} did not declare a repository. Assuming it exists in the charts directory\n",
            dep.name
        ));
    }
    text.push_str("Deleting outdated charts\n");
    text
}

/// `rhelm dependency list|update|build CHART`.
pub fn run_dependency(command: DependencyCommand, printer: &Printer) -> Result<()> {
    match command {
        DependencyCommand::List(a) => {
            let chart = super::load_chart(&a.chart)?;
            if chart.metadata.dependencies.is_empty() {
                printer.out(&format!(
                    "WARNING: no dependencies at {}\n",
                    a.chart.join("charts").display()
                ))?;
                return Ok(());
            }
            let (statuses, warnings) = dependency::list(&a.chart)?;
            let mut table = Table::with_header(&["NAME", "VERSION", "REPOSITORY", "STATUS"]);
            for s in statuses {
                table.row(vec![s.name, s.version, s.repository, s.status]);
            }
            let mut text = format!("{}\n", table.render());
            for warning in warnings {
                text.push_str(&format!("{warning}\n"));
            }
            printer.out(&text)?;
        }
        DependencyCommand::Update(a) => {
            let lock = dependency::update(&a.chart)?;
            printer.out(&vendor_report(&lock.dependencies))?;
        }
        DependencyCommand::Build(a) => {
            dependency::build(&a.chart)?;
            let chart = super::load_chart(&a.chart)?;
            printer.out(&vendor_report(&chart.metadata.dependencies))?;
        }
    }
    Ok(())
}

/// Where an invalid `--set`/`--set-string` expression stops parsing, as lines to show after
/// Helm's error text (`error`): the flag, the expression and a caret under the character.
///
/// Helm's messages do not say where the problem is. The position is the shortest prefix of
/// the expression that already fails with the same message, i.e. where the parser stood.
pub(super) fn set_syntax_hint(error: &str, values: &super::args::ValuesArgs) -> Option<String> {
    use crate::values::{Mode, parse_into};
    let fails = |text: &str, typed: bool| {
        let mut scratch = serde_json::Map::new();
        let mode = if typed { Mode::Typed } else { Mode::String };
        parse_into(text, &mut scratch, mode).err().map(|e| e.0)
    };
    let families = [
        ("--set", &values.set, true),
        ("--set-string", &values.set_string, false),
    ];
    for (flag, expressions, typed) in families {
        if !error.starts_with(&format!("failed parsing {flag} data: ")) {
            continue;
        }
        for expr in expressions {
            let Some(message) = fails(expr, typed) else {
                continue;
            };
            let stop = expr
                .char_indices()
                .map(|(i, c)| i + c.len_utf8())
                .find(|&end| fails(&expr[..end], typed).as_deref() == Some(message.as_str()))
                .unwrap_or(expr.len());
            let column = expr[..stop].chars().count();
            return Some(format!(
                "hint: in {flag} {expr:?}, parsing stopped at character {column}:\n  {expr}\n  {}^",
                " ".repeat(column.saturating_sub(1))
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::ValuesArgs;

    fn hint(set: &[&str]) -> Option<String> {
        set_syntax_hint(
            "failed parsing --set data: ",
            &ValuesArgs {
                set: set.iter().map(|s| (*s).to_string()).collect(),
                ..ValuesArgs::default()
            },
        )
    }

    #[test]
    fn the_hint_points_at_the_key_without_a_value() {
        assert_eq!(
            hint(&["ok=1", "a=b,c"]).as_deref(),
            Some("hint: in --set \"a=b,c\", parsing stopped at character 5:\n  a=b,c\n      ^")
        );
    }

    #[test]
    fn the_hint_points_at_the_end_of_a_bad_index() {
        let text = hint(&["list[x]=1,b=2"]).unwrap_or_default();
        assert!(text.contains("parsing stopped at character 7:"), "{text}");
    }

    #[test]
    fn no_hint_when_another_flag_failed() {
        let values = ValuesArgs {
            set: vec!["a=b,c".into()],
            ..ValuesArgs::default()
        };
        assert_eq!(
            set_syntax_hint("failed parsing --set-json data x", &values),
            None
        );
    }

    #[test]
    fn valid_expressions_give_no_hint() {
        assert_eq!(hint(&["a=1,b.c[0]=x"]), None);
    }
}
