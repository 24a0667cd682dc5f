//! The `rhelm` binary: parse arguments, run the command, map the outcome to an exit code.
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    rhelm::threads::tune_allocator();
    // Helm exits 1 on every error, usage errors included; help and version exit 0.
    let cli = match rhelm::cli::args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = if cli.command.talks_to_cluster() {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread().build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            rhelm::cli::printer::print_error(&anyhow::Error::new(error));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(rhelm::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => match error.downcast_ref::<rhelm::cli::ExitStatus>() {
            Some(status) => ExitCode::from(status.0),
            None => {
                rhelm::cli::printer::print_error(&error);
                ExitCode::FAILURE
            }
        },
    }
}
