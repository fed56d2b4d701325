//! The `tributary-indexer` binary as a separate process.

use std::process::{Child, Command, Stdio};

use alloy::primitives::Address;
use tributary_testkit::wait_for_listen;

/// A running `tributary-indexer`, killed (SIGKILL) when dropped.
pub(crate) struct IndexerProcess {
    child: Child,
    /// Where its HTTP API listens, e.g. `http://127.0.0.1:40123`.
    pub(crate) url: String,
}

impl IndexerProcess {
    /// Starts the binary on `database_url` and `rpc_url` for `contract` from
    /// `start_block`, with `extra` arguments, and waits until its API listens.
    pub(crate) fn spawn(
        database_url: &str,
        rpc_url: &str,
        contract: Address,
        start_block: u64,
        extra: &[&str],
    ) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tributary-indexer"))
            .env("DATABASE_URL", database_url)
            .env("TRIBUTARY_RPC_URL", rpc_url)
            .env("RUST_LOG", "warn")
            .args(["--contract", &contract.to_string()])
            .args(["--start-block", &start_block.to_string()])
            .args([
                "--listen",
                "127.0.0.1:0",
                "--poll-ms",
                "50",
                "--finality-depth",
                "16",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tributary-indexer");
        let address = wait_for_listen(&mut child, "listening on ", "tributary-indexer");
        Self {
            child,
            url: format!("http://{address}"),
        }
    }

    /// SIGKILL: no shutdown code runs, as in a crash or an OOM kill.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }

    /// Whether it is still running.
    pub(crate) fn running(&mut self) -> bool {
        self.child.try_wait().expect("status").is_none()
    }
}

impl Drop for IndexerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
