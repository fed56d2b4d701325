//! `tributary-api`: the product HTTP API and the indexer in one process, on one port
//! (`tributary-api --help`). Its settings are the indexer's: it syncs the same mirror and serves
//! the same reads, plus the product endpoints.

use clap::Parser;
use tributary_indexer::service::{self, ServiceArgs};

/// Serve Tributary's product API (publish, buy, report usage) beside the indexer's reads.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service::init_tracing();
    service::run(Args::parse().service, Some(tributary_api::extension())).await
}
