#![doc = include_str!("../README.md")]
//! `tributary`: the command-line face of Tributary for creators, buyers and auditors.
//!
//! Exit codes: 0 success; 1 a verification found a difference; 2 bad input (usage, a missing
//! or malformed file). Errors are one line on stderr, never a panic.

mod cid;
mod output;
mod progress;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Hash, address and verify datasets for Tributary, the creator payment layer for AI training data.
#[derive(Debug, Parser)]
#[command(name = "tributary", version, propagate_version = true)]
struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a file's sha256, size and IPFS CIDs (as Kubo's `ipfs add` computes them).
    ///
    /// Example: `tributary cid data/train.parquet`
    Cid(cid::Args),
    /// Check a folder against a manifest: every file present, nothing extra, every size,
    /// sha256 and CID as recorded; print the manifest hash that is anchored on-chain.
    ///
    /// Example: `tributary verify manifest.json ./dataset`
    Verify(verify::Args),
}

/// What a command concluded, for the exit code.
enum Outcome {
    Ok,
    Mismatch,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Cid(args) => cid::run(&args, cli.json),
        Command::Verify(args) => verify::run(&args, cli.json),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
