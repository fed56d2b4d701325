#![doc = include_str!("../README.md")]
//! `tributary`: the command-line face of Tributary for creators, buyers and auditors.
//!
//! Exit codes: 0 success; 1 a verification found a difference; 2 bad input (usage, a missing
//! or malformed file, a missing configuration); 3 the chain or the store failed (unreachable
//! node, reverted or unconfirmed transaction). Errors are one line on stderr, never a panic.

mod audit;
mod buy;
mod cid;
mod claim;
mod download;
mod fetch;
mod home;
mod init;
mod licences;
mod manifest;
mod output;
mod progress;
mod publish;
mod services;
mod share;
mod signin;
mod stream;
mod terms;
mod verify;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

/// Publish, buy, fetch, claim and verify datasets on Tributary, the creator payment layer for AI
/// training data.
#[derive(Debug, Parser)]
// No `propagate_version`: `fetch` and `verify` take `--version N` (a dataset version).
#[command(name = "tributary", version)]
struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Where Tributary keeps its configuration, keys and records (default: TRIBUTARY_HOME, else
    /// ~/.tributary).
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the configuration (chain, contract, storage) and create a signing key.
    ///
    /// Example: `tributary init --rpc-url http://127.0.0.1:8545 --deployment deployments/31337.json`
    Init(init::Args),
    /// Print a file's sha256, size and IPFS CIDs (as Kubo's `ipfs add` computes them).
    ///
    /// Example: `tributary cid data/train.parquet`
    Cid(cid::Args),
    /// Build a dataset's manifest from a folder (offline), and optionally its Croissant JSON-LD.
    ///
    /// Example: `tributary manifest ./pets --title Pets --out manifest.json --croissant pets.jsonld`
    Manifest(manifest::Args),
    /// Hash a folder into a manifest, encrypt and store its files, sign and anchor it on-chain.
    ///
    /// Example: `tributary publish ./pets --title Pets --price 0.01 --payee 0xAb…=7 --payee 0xCd…=3`
    Publish(publish::PublishArgs),
    /// Anchor a new version of one of your datasets from a folder.
    ///
    /// Example: `tributary version 3 ./pets-v2`
    Version(publish::VersionArgs),
    /// List, add or withdraw a dataset's offers.
    #[command(subcommand)]
    Offer(terms::OfferCommand),
    /// Change who is paid, and in what shares, for a dataset's future payments.
    #[command(subcommand)]
    Split(terms::SplitCommand),
    /// Buy a licence to a dataset (ETH or an allow-listed ERC-20).
    ///
    /// Example: `tributary buy 3 --offer 0`
    Buy(buy::Args),
    /// Subscribe to a dataset by streaming a Super Token (Superfluid): start, update, stop,
    /// status.
    ///
    /// Example: `tributary stream start 3`
    #[command(subcommand)]
    Stream(stream::StreamCommand),
    /// List the licences you (or --holder) hold.
    ///
    /// Example: `tributary licences`
    Licences(licences::Args),
    /// Download, decrypt and check a version of one of your datasets.
    ///
    /// Example: `tributary fetch 3 --out ./pets-copy`
    Fetch(fetch::Args),
    /// Let licence holders download a version of one of your datasets from a Tributary API
    /// (hands the API the version's key; `--revoke` takes it back).
    ///
    /// Example: `tributary share 3 --api http://127.0.0.1:8080`
    Share(share::Args),
    /// Download a dataset you hold a licence for from a Tributary API, checked against the
    /// manifest anchored on-chain.
    ///
    /// Example: `tributary download 3 --api http://127.0.0.1:8080 --out ./pets`
    Download(download::Args),
    /// Release your royalties from every split you are a payee of, in every token.
    ///
    /// Example: `tributary claim --dry-run`
    Claim(claim::Args),
    /// Run the indexer (`tributary-indexer`): every event mirrored into PostgreSQL, served over
    /// HTTP. The arguments are its own: `tributary indexer --help`.
    #[command(disable_help_flag = true)]
    Indexer(services::Args),
    /// Run the product API with the indexer in it (`tributary-api`). The arguments are its own:
    /// `tributary api --help`.
    #[command(disable_help_flag = true)]
    Api(services::Args),
    /// Run the relayer (`tributary-relayer`): Stripe payments into on-chain credits. The
    /// arguments are its own: `tributary relayer --help`.
    #[command(disable_help_flag = true)]
    Relayer(services::Args),
    /// Check a dataset against the chain (anchor, signer, manifest, creator, files, payments),
    /// or a folder against a manifest file offline.
    ///
    /// Examples: `tributary verify 3 ./pets`, `tributary verify manifest.json ./pets`
    Verify(verify::Args),
}

/// What a command concluded, for the exit code.
enum Outcome {
    Ok,
    Mismatch,
}

impl Outcome {
    /// `Ok` when a check passed, `Mismatch` when it found a difference.
    fn of_check(ok: bool) -> Self {
        if ok { Self::Ok } else { Self::Mismatch }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit_code(&error))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let json = cli.json;
    // The services have no home; every other command reads it (or creates it: init).
    let dir = || home::home_dir(cli.home.as_deref());
    match &cli.command {
        Command::Indexer(args) => services::run("indexer", args),
        Command::Api(args) => services::run("api", args),
        Command::Relayer(args) => services::run("relayer", args),
        Command::Cid(args) => cid::run(args, json),
        Command::Init(args) => init::run(args, dir()?, json),
        Command::Manifest(args) => manifest::run(args, dir()?, json),
        Command::Publish(args) => with_home(dir()?, async |home| {
            publish::publish(args, home, json).await
        }),
        Command::Version(args) => with_home(dir()?, async |home| {
            publish::version(args, home, json).await
        }),
        Command::Offer(command) => {
            with_home(dir()?, async |home| terms::offer(command, home, json).await)
        }
        Command::Split(command) => {
            with_home(dir()?, async |home| terms::split(command, home, json).await)
        }
        Command::Buy(args) => with_home(dir()?, async |home| buy::run(args, home, json).await),
        Command::Stream(command) => {
            with_home(dir()?, async |home| stream::run(command, home, json).await)
        }
        Command::Licences(args) => {
            with_home(dir()?, async |home| licences::run(args, home, json).await)
        }
        Command::Fetch(args) => with_home(dir()?, async |home| fetch::run(args, home, json).await),
        Command::Share(args) => with_home(dir()?, async |home| share::run(args, home, json).await),
        Command::Download(args) => {
            with_home(dir()?, async |home| download::run(args, home, json).await)
        }
        Command::Claim(args) => with_home(dir()?, async |home| claim::run(args, home, json).await),
        Command::Verify(args) => match args.target()? {
            verify::Target::Manifest(manifest, folder) => {
                verify::run_offline(manifest, folder, json)
            }
            verify::Target::Dataset(id, folder) => with_home(dir()?, async |home| {
                audit::run(id, folder, args, home, json).await
            }),
        },
    }
}

/// Loads the home folder and runs an async command on a single-threaded runtime.
fn with_home(
    dir: PathBuf,
    command: impl AsyncFnOnce(&home::Home) -> anyhow::Result<Outcome>,
) -> anyhow::Result<Outcome> {
    let home = home::Home::load(dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(command(&home))
}

/// 3 when the chain or the store failed, 2 for everything else (bad input).
fn exit_code(error: &anyhow::Error) -> u8 {
    use tributary_core::Error;
    let outside = error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<Error>(),
            Some(
                Error::Rpc(_)
                    | Error::Reverted(_)
                    | Error::TxFailed { .. }
                    | Error::ReceiptTimeout { .. }
                    | Error::Contract(_)
                    | Error::MissingEvent { .. }
                    | Error::MissingBlock(_)
                    | Error::NotFound { .. }
                    | Error::Corrupt { .. }
                    | Error::Http { .. }
                    | Error::Kubo { .. }
                    | Error::ObjectStore(_)
            )
        )
    });
    if outside { 3 } else { 2 }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
