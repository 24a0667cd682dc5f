//! All output: tables, status blocks, JSON/YAML documents. The only place that prints.
//!
//! Helm counterpart: `pkg/cli/output` and the writers in `pkg/cmd/{status,list,history}.go`.
//! Layouts are Helm's byte for byte, because scripts parse them.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Write};

#[cfg(test)]
use chrono::Utc;
use chrono::{DateTime, Local, TimeZone};

/// A table in Helm's (uitable's) layout: every cell right-padded with spaces to its
/// column's width, cells joined by a tab, rows by a newline.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with a header row.
    pub fn with_header(header: &[&str]) -> Self {
        Table {
            rows: vec![header.iter().map(|h| (*h).to_string()).collect()],
        }
    }

    /// A table without a header row.
    pub fn new() -> Self {
        Table::default()
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders the table, ending with a newline (Helm's `EncodeTable`).
    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0usize; columns];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for (r, row) in self.rows.iter().enumerate() {
            if r > 0 {
                out.push('\n');
            }
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let pad = widths[i].saturating_sub(cell.chars().count());
                    format!("{cell}{}", " ".repeat(pad))
                })
                .collect();
            out.push_str(&cells.join("\t"));
        }
        out.push('\n');
        out
    }
}

/// Go's `time.ANSIC` layout (`Mon Jan _2 15:04:05 2006`) in local time.
pub fn format_ansic<Tz: TimeZone>(time: &DateTime<Tz>) -> String {
    time.with_timezone(&Local)
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

/// Go's `time.Time.String()` (`2006-01-02 15:04:05.999999999 -0700 MST`) in local time.
pub fn format_go_time<Tz: TimeZone>(time: &DateTime<Tz>) -> String {
    let local = time.with_timezone(&Local);
    let nanos = local.timestamp_subsec_nanos();
    let fraction = if nanos == 0 {
        String::new()
    } else {
        let digits = format!("{nanos:09}");
        format!(".{}", digits.trim_end_matches('0'))
    };
    let offset = local.format("%z").to_string();
    let zone = if offset == "+0000" {
        "UTC".to_string()
    } else {
        offset.clone()
    };
    format!(
        "{}{fraction} {offset} {zone}",
        local.format("%Y-%m-%d %H:%M:%S")
    )
}

/// How much [`Printer::out_with`] gathers before each write to stdout.
const OUT_BUFFER: usize = 64 << 10;

/// Where results and messages go; decided once per command.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// Whether `--debug` lines go to stderr.
    pub debug: bool,
}

impl Printer {
    /// Writes a result to stdout. A closed pipe (`rhelm history x | head -1`) is not an error.
    pub fn out(&self, text: &str) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush())
        {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    /// Writes a result to stdout as `write` produces it, in large pieces; a closed pipe is
    /// not an error.
    pub fn out_with(&self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        let mut stdout = io::BufWriter::with_capacity(OUT_BUFFER, io::stdout().lock());
        match write(&mut stdout).and_then(|()| stdout.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    /// A warning line on stderr, as Helm prints it.
    pub fn warn(&self, text: &str) {
        eprintln!("WARNING: {text}");
    }

    /// A `--debug` line on stderr.
    pub fn debug(&self, text: &str) {
        if self.debug {
            eprintln!("{text}");
        }
    }

    /// A progress or informational line on stderr.
    pub fn info(&self, text: &str) {
        eprintln!("{text}");
    }
}

/// Prints an error the way Helm does: `Error: <message>` on stderr.
pub fn print_error(error: &anyhow::Error) {
    eprintln!("Error: {}", error_text(error));
    // Our advice goes on its own line, after Helm's exact text.
    let hint = error.chain().find_map(|cause| {
        if let Some(action) = cause.downcast_ref::<crate::action::Error>() {
            action.hint()
        } else {
            cause
                .downcast_ref::<crate::kube::Error>()
                .and_then(crate::kube::Error::hint)
        }
    });
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
}

/// The error chain joined by `: `, skipping causes whose text a previous message already
/// contains (many errors embed their source in their own message).
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_every_cell_and_joins_with_tabs() {
        let mut t = Table::with_header(&["REVISION", "STATUS"]);
        t.row(vec!["1".into(), "superseded".into()]);
        t.row(vec!["2".into(), "deployed".into()]);
        assert_eq!(
            t.render(),
            "REVISION\tSTATUS    \n1       \tsuperseded\n2       \tdeployed  \n"
        );
    }

    #[test]
    fn go_time_string_trims_trailing_zero_nanoseconds() {
        let t: DateTime<Utc> = "2026-11-27T08:16:55.897000000Z".parse().unwrap_or_default();
        let text = format_go_time(&t);
        assert!(text.contains(":55.897 "), "{text}");
    }
}
