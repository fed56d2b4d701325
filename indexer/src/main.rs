//! `tributary-indexer`: mirrors the Tributary suite's events into PostgreSQL
//! and serves them over HTTP. Settings come from flags or the environment
//! (`tributary-indexer --help`).

use clap::Parser;
use tributary_indexer::service::{self, ServiceArgs};

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
    service::run(Args::parse().service, None).await
}
