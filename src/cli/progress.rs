//! Progress while `--wait` watches a release's objects: on a terminal, one indicatif line
//! per object with its state and reason; elsewhere (CI logs), one plain timestamped line on
//! stderr per state change.
//!
//! Helm counterpart: none (Helm 4 logs at debug level only). The action layer reports
//! through [`crate::action::wait::WaitReporter`]; this module draws.
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::printer::Printer;
use crate::action::wait::{WaitReporter, WaitState};

/// The reporter the CLI installs for every command.
pub struct Progress {
    printer: Printer,
    bars: Option<Bars>,
}

struct Bars {
    multi: MultiProgress,
    lines: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Progress {
    /// Bars on a terminal stderr (unless `--debug`), plain lines otherwise.
    pub fn new(printer: Printer, debug: bool) -> Self {
        let tty = std::io::stderr().is_terminal() && !debug;
        let bars = tty.then(|| Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            lines: Mutex::new(BTreeMap::new()),
        });
        Progress { printer, bars }
    }
}

/// The text of a state: `ready`, `waiting: <why>`, `failed: <why>`, `deleted`.
pub fn state_text(state: &WaitState) -> String {
    match state {
        WaitState::Pending(why) => format!("waiting: {why}"),
        WaitState::Ready => "ready".to_string(),
        WaitState::Failed(why) => format!("failed: {why}"),
        WaitState::Gone => "deleted".to_string(),
    }
}

/// One plain progress line: RFC 3339 UTC time, the object, its state.
pub fn plain_line(now: chrono::DateTime<chrono::Utc>, resource: &str, state: &WaitState) -> String {
    format!(
        "{} {resource}: {}",
        now.format("%Y-%m-%dT%H:%M:%SZ"),
        state_text(state)
    )
}

impl WaitReporter for Progress {
    fn started(&self, resources: &[String]) {
        let Some(bars) = &self.bars else {
            if !resources.is_empty() {
                self.printer.info(&format!(
                    "{} waiting for {} resource(s) to be ready",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
                    resources.len()
                ));
            }
            return;
        };
        let style = ProgressStyle::with_template("{spinner} {prefix}: {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let Ok(mut lines) = bars.lines.lock() else {
            return;
        };
        for resource in resources {
            let bar = bars.multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(resource.clone());
            bar.set_message("waiting");
            bar.enable_steady_tick(Duration::from_millis(120));
            lines.insert(resource.clone(), bar);
        }
    }

    fn changed(&self, resource: &str, state: &WaitState) {
        let Some(bars) = &self.bars else {
            self.printer
                .info(&plain_line(chrono::Utc::now(), resource, state));
            return;
        };
        if let Ok(lines) = bars.lines.lock()
            && let Some(bar) = lines.get(resource)
        {
            match state {
                WaitState::Pending(_) => bar.set_message(state_text(state)),
                _ => bar.finish_with_message(state_text(state)),
            }
        }
    }

    fn finished(&self) {
        if let Some(bars) = &self.bars
            && let Ok(mut lines) = bars.lines.lock()
        {
            // Replace the live lines by their final state, ending with a newline (an
            // abandoned bar leaves the cursor at the end of its line).
            let last: Vec<String> = lines
                .iter()
                .map(|(resource, bar)| format!("{resource}: {}", bar.message()))
                .collect();
            for bar in lines.values() {
                bar.finish_and_clear();
            }
            let _ = bars.multi.clear();
            for line in last {
                self.printer.info(&line);
            }
            lines.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn plain_lines_carry_a_utc_timestamp_the_object_and_its_state() {
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 30, 5)
            .single()
            .unwrap();
        assert_eq!(
            plain_line(
                at,
                "Deployment \"web\" in namespace \"prod\"",
                &WaitState::Pending("0 of 1 replicas available".into())
            ),
            "2026-11-27T10:30:05Z Deployment \"web\" in namespace \"prod\": waiting: 0 of 1 replicas available"
        );
        assert_eq!(
            plain_line(at, "Job \"x\" in namespace \"y\"", &WaitState::Ready),
            "2026-11-27T10:30:05Z Job \"x\" in namespace \"y\": ready"
        );
    }
}
