//! `tributary-indexer`: mirrors the Tributary suite's events into PostgreSQL
//! and serves them over HTTP. Settings come from flags, the environment or a
//! TOML file (`--config`; `tributary-indexer --help`, docs/config.md).

use clap::Parser;
use tributary_indexer::{
    service::{self, ServiceArgs},
    settings,
};

/// Mirror the Tributary suite's events into PostgreSQL and serve them over HTTP.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service::init_tracing();
    let args: Args = settings::parse()?;
    service::run(args.service, None).await
}
