//! What the tests share: the binary as a process, the manifest they register, waiting for the
//! mirror.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use alloy::primitives::Address;
use serde_json::{Value, json};
use tributary_testkit::{repo_root, wait_for_listen};

/// A running `tributary-api`, killed when dropped.
pub(crate) struct ApiProcess {
    child: Child,
    /// Where it listens, e.g. `http://127.0.0.1:40123`.
    pub(crate) url: String,
}

impl ApiProcess {
    /// The binary on `database` and the node at `rpc` for `contract` (from block 0), polling
    /// every 50 ms, with `extra` arguments.
    pub(crate) fn spawn(database: &str, rpc: &str, contract: Address, extra: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tributary-api"));
        command
            .env("DATABASE_URL", database)
            .env("TRIBUTARY_RPC_URL", rpc)
            .args(["--contract", &contract.to_string(), "--start-block", "0"])
            .args(["--listen", "127.0.0.1:0", "--poll-ms", "50"])
            .args(extra);
        Self::start(command)
    }

    /// Starts `command` (the binary with its settings) and waits until it listens.
    pub(crate) fn start(mut command: Command) -> Self {
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tributary-api");
        let address = wait_for_listen(&mut child, "listening on ", "tributary-api");
        Self {
            child,
            url: format!("http://{address}"),
        }
    }
}

impl Drop for ApiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The minimal manifest of the conformance vectors, made `creator`'s.
pub(crate) fn manifest_of(creator: Address) -> Value {
    let vector: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("test/vectors/manifest/minimal.json"))
            .expect("read the minimal manifest vector"),
    )
    .expect("vector JSON");
    let mut manifest = vector["manifest"].clone();
    manifest["creator"]["wallet"] = json!(creator.to_string());
    manifest
}

/// Polls until the mirror has dataset `id`.
pub(crate) async fn wait_mirrored(http: &reqwest::Client, api: &str, id: impl std::fmt::Display) {
    for _ in 0..200 {
        let response = http
            .get(format!("{api}/datasets/{id}"))
            .send()
            .await
            .expect("GET");
        if response.status() == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("dataset {id} never reached the mirror");
}
