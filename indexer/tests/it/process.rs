//! The `tributary-indexer` binary as a separate process.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::Duration,
};

use alloy::primitives::Address;

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
        let stdout = child.stdout.take().expect("piped stdout");
        let (ready, address) = mpsc::channel();
        thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = line.strip_prefix("listening on ")
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(address.trim().to_owned());
                }
            }
        });
        let Ok(address) = address.recv_timeout(Duration::from_secs(30)) else {
            let status = child.try_wait().ok().flatten();
            let _ = child.kill();
            let _ = child.wait();
            panic!("tributary-indexer did not listen within 30 s (exit status: {status:?})");
        };
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
