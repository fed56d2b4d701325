//! `tributary indexer|api|relayer …`: the services, started from the one command users know.
//!
//! Each service is its own binary (`tributary-indexer`, `tributary-api`, `tributary-relayer`),
//! built and deployed on its own; this finds it beside the `tributary` binary (as `cargo build`
//! and an install put them), else on `PATH`, and replaces this process with it (`exec`), so
//! signals, exit codes and output are the service's own. Every argument after the subcommand
//! is the service's (`tributary api --help` is the API's help).

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

/// The arguments of a service subcommand, passed through untouched.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The service's own flags (see `tributary <service> --help`).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    args: Vec<OsString>,
}

/// Runs the service binary `tributary-<service>` with `args`; returns only if it cannot start.
pub(crate) fn run(service: &str, args: &Args) -> anyhow::Result<crate::Outcome> {
    let binary = format!("tributary-{service}");
    let path = locate(&binary).with_context(|| {
        format!(
            "{binary} is not installed beside tributary or on PATH: build it with \
             `cargo build -p {binary}` (or the whole workspace)"
        )
    })?;
    let mut command = Command::new(&path);
    command.args(&args.args);
    exec(command, &path)
}

/// `binary` beside this executable, else the first on `PATH`.
fn locate(binary: &str) -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(binary)))
        .filter(|path| path.is_file());
    beside.or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(binary))
                .find(|path| path.is_file())
        })
    })
}

#[cfg(unix)]
fn exec(mut command: Command, path: &Path) -> anyhow::Result<crate::Outcome> {
    use std::os::unix::process::CommandExt;
    // Only returns on failure.
    let error = command.exec();
    bail!("cannot start {}: {error}", path.display())
}

#[cfg(not(unix))]
fn exec(mut command: Command, path: &Path) -> anyhow::Result<crate::Outcome> {
    let status = command
        .status()
        .with_context(|| format!("cannot start {}", path.display()))?;
    std::process::exit(status.code().unwrap_or(1));
}
