//! A real `anvil` node per test, from `node_modules/.bin` (installed by
//! `scripts/install.sh`), on a port of its own choosing; killed on drop.
//! A test that needs it fails, naming the fix, when it is missing: never skips.

use std::{
    collections::HashMap,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::Duration,
};

use alloy::{
    primitives::{Address, B256},
    providers::Provider,
    rpc::types::{Filter, Log},
};
use serde_json::Value;
use tributary_core::{
    chain::{Client, Config, Tributary},
    signing::Key,
};

use crate::{process::wait_for_listen, repo_root};

/// The mnemonic anvil derives its funded test accounts from (public: never for real funds).
pub const MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Funded accounts at indices 0..10 (10 000 ETH each).
pub fn account(index: u32) -> Key {
    Key::from_mnemonic(MNEMONIC, index).expect("anvil's mnemonic derives keys")
}

/// A running anvil, killed when dropped.
pub struct Anvil {
    child: Child,
    url: String,
    /// Clients by account: building one costs about 150 ms (TLS roots).
    clients: Mutex<HashMap<u32, Client>>,
}

impl Anvil {
    /// Starts anvil on a free port and waits until it listens.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// [`start`](Self::start) with extra command-line arguments.
    pub fn start_with(args: &[&str]) -> Self {
        let bin = anvil_path();
        assert!(
            bin.exists(),
            "anvil is missing ({}): run scripts/install.sh to install Foundry from npm",
            bin.display()
        );
        let mut child = Command::new(&bin)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", bin.display()));
        // anvil prints "Listening on 127.0.0.1:PORT" once ready, then logs every request.
        let address = wait_for_listen(&mut child, "Listening on ", "anvil");
        Self {
            child,
            url: format!("http://{address}"),
            clients: Mutex::default(),
        }
    }

    /// The node's HTTP JSON-RPC URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client signing with anvil's account `index` (one per account, reused).
    pub async fn client(&self, index: u32) -> Client {
        if let Some(client) = self.clients.lock().expect("clients").get(&index) {
            return client.clone();
        }
        // anvil mines on each transaction: poll for receipts often.
        let config = Config::default().with_poll_interval(Duration::from_millis(10));
        let client = self.client_with(&account(index), config).await;
        self.clients
            .lock()
            .expect("clients")
            .insert(index, client.clone());
        client
    }

    /// A JSON-RPC call to anvil (its own methods too: `evm_mine`, `anvil_reorg`, …).
    pub async fn rpc(&self, method: &'static str, params: Value) -> Value {
        self.client(0)
            .await
            .provider()
            .raw_request::<_, Value>(method.into(), params)
            .await
            .unwrap_or_else(|error| panic!("{method}: {error}"))
    }

    /// The latest block number.
    pub async fn head(&self) -> u64 {
        self.client(0)
            .await
            .provider()
            .get_block_number()
            .await
            .expect("head")
    }

    /// Every log of `contract`, as the node has them now.
    pub async fn logs(&self, contract: Address) -> Vec<Log> {
        let filter = Filter::new().address(contract).from_block(0);
        self.client(0)
            .await
            .provider()
            .get_logs(&filter)
            .await
            .expect("eth_getLogs")
    }

    /// The hash of block `number` on the node's chain.
    pub async fn block_hash(&self, number: u64) -> B256 {
        self.client(0)
            .await
            .provider()
            .get_block_by_number(number.into())
            .await
            .expect("eth_getBlockByNumber")
            .expect("the block exists")
            .header
            .hash
    }

    /// A client signing with `key`, waiting as `config` says.
    pub async fn client_with(&self, key: &Key, config: Config) -> Client {
        Client::connect(self.url(), Some(key), config)
            .await
            .expect("connect to anvil")
    }

    /// A fresh suite deployed by account 0 (admin), fees of `fee_bps` to `treasury`.
    pub async fn deploy(&self, treasury: Address, fee_bps: u16) -> Tributary {
        let admin = self.client(0).await;
        let sender = admin.sender().expect("has a key");
        admin
            .deploy(sender, treasury, fee_bps)
            .await
            .expect("deploy the suite")
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn anvil_path() -> PathBuf {
    repo_root().join("node_modules/.bin/anvil")
}
