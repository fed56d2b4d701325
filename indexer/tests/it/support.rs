//! Shared helpers: a database per test, an anvil per test, the suite deployed
//! on it, activity that emits every kind of event, and a JSON-RPC proxy that
//! misbehaves on request.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    providers::Provider,
    rpc::types::{Filter, Log},
};
use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};
use tributary_core::{
    chain::{CREDITS, Client, Config, ETH, Offer, OfferKind, Split, Terms, Tributary},
    signing::Key,
};
use tributary_indexer::{Indexer, SyncConfig, db};

/// The repository root (`indexer/..`).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---------------------------------------------------------------------- PostgreSQL

/// The server tests create their databases on; `TRIBUTARY_TEST_PG` overrides it.
fn server_url() -> String {
    std::env::var("TRIBUTARY_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A fresh, empty database, dropped (with its connections) when this is dropped.
pub(crate) struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    pub(crate) async fn create() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .subsec_nanos();
        let name = format!(
            "idx_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let server = server_url();
        let mut admin = PgConnection::connect(&format!("{server}/postgres"))
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "PostgreSQL is needed on {server} (trust auth, user postgres; or set \
                     TRIBUTARY_TEST_PG): {error}"
                )
            });
        // The name is generated above from digits and underscores only.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        admin.close().await.ok();
        Self {
            url: format!("{server}/{name}"),
            name,
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A pool on the database, migrated.
    pub(crate) async fn pool(&self) -> PgPool {
        let pool = db::connect(&self.url)
            .await
            .expect("connect to the test database");
        db::migrate(&pool).await.expect("migrate");
        pool
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (server, name) = (server_url(), self.name.clone());
        // Drop runs inside a test's runtime: use a thread with a runtime of its own.
        let _ = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&format!("{server}/postgres")).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

// ---------------------------------------------------------------------- anvil

/// The mnemonic anvil derives its funded test accounts from (public: never for real funds).
pub(crate) const MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Funded accounts at indices 0..10.
pub(crate) fn account(index: u32) -> Key {
    Key::from_mnemonic(MNEMONIC, index).expect("anvil's mnemonic derives keys")
}

/// A running anvil from `node_modules/.bin` (installed by `scripts/install.sh`), killed on drop.
pub(crate) struct Anvil {
    child: Child,
    url: String,
    /// Clients by account: building one costs about 150 ms (TLS roots).
    clients: Mutex<HashMap<u32, Client>>,
}

impl Anvil {
    pub(crate) fn start() -> Self {
        let bin = repo_root().join("node_modules/.bin/anvil");
        assert!(
            bin.exists(),
            "anvil is missing ({}): run scripts/install.sh to install Foundry from npm",
            bin.display()
        );
        let mut child = Command::new(&bin)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", bin.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        // anvil prints "Listening on 127.0.0.1:PORT" once ready, then logs every
        // request: keep draining its output so it never blocks on a full pipe.
        let (ready, address) = mpsc::channel();
        thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = line.strip_prefix("Listening on ")
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(address.trim().to_owned());
                }
            }
        });
        let Ok(address) = address.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("anvil did not start listening within 30 s");
        };
        Self {
            child,
            url: format!("http://{address}"),
            clients: Mutex::default(),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A client signing with account `index`.
    pub(crate) async fn client(&self, index: u32) -> Client {
        if let Some(client) = self.clients.lock().expect("clients").get(&index) {
            return client.clone();
        }
        // anvil mines on each transaction: poll for receipts often.
        let config = Config::default().with_poll_interval(Duration::from_millis(10));
        let client = Client::connect(self.url(), Some(&account(index)), config)
            .await
            .expect("connect to anvil");
        self.clients
            .lock()
            .expect("clients")
            .insert(index, client.clone());
        client
    }

    /// A JSON-RPC call to anvil (its own methods: evm_mine, anvil_reorg, …).
    pub(crate) async fn rpc(&self, method: &'static str, params: Value) -> Value {
        let client = self.client(0).await;
        client
            .provider()
            .raw_request::<_, Value>(method.into(), params)
            .await
            .unwrap_or_else(|error| panic!("{method}: {error}"))
    }

    pub(crate) async fn head(&self) -> u64 {
        self.client(0)
            .await
            .provider()
            .get_block_number()
            .await
            .expect("head")
    }

    /// Every log of `contract`, as the node has them now.
    pub(crate) async fn logs(&self, contract: Address) -> Vec<Log> {
        let filter = Filter::new().address(contract).from_block(0);
        self.client(0)
            .await
            .provider()
            .get_logs(&filter)
            .await
            .expect("eth_getLogs")
    }

    /// The hash of block `number` on the node's chain.
    pub(crate) async fn block_hash(&self, number: u64) -> B256 {
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
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------- the suite

pub(crate) const ETHER: u128 = 1_000_000_000_000_000_000;
pub(crate) const FEE_BPS: u16 = 300;

/// The suite deployed by account 0 (admin), fees to account 4; returns it
/// and the block it was deployed in.
pub(crate) async fn deploy(anvil: &Anvil) -> (Tributary, u64) {
    let admin = anvil.client(0).await;
    let tributary = admin
        .deploy(account(0).address(), account(4).address(), FEE_BPS)
        .await
        .expect("deploy the suite");
    (tributary, anvil.head().await)
}

pub(crate) fn offer(kind: OfferKind, token: Address, price: u128) -> Offer {
    Offer {
        kind: kind.into(),
        paymentToken: token,
        price,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: keccak256("licence text"),
    }
}

/// The same suite, sending as account `index`.
pub(crate) async fn as_account(anvil: &Anvil, tributary: &Tributary, index: u32) -> Tributary {
    tributary.with_client(&anvil.client(index).await)
}

/// Registers a dataset as account 1 with a one-payee split and one ETH offer;
/// returns its id. `n` varies the manifest hash.
pub(crate) async fn register(anvil: &Anvil, tributary: &Tributary, n: u8) -> U256 {
    let creator = as_account(anvil, tributary, 1).await;
    let split = Split::from_shares([(account(5).address(), 1)]);
    creator
        .register(
            B256::repeat_byte(n),
            &format!("ipfs://dataset-{n}"),
            &split,
            &[offer(OfferKind::OneOff, ETH, ETHER / 100)],
        )
        .await
        .expect("register")
        .value
}

/// Activity that emits every event kind the normalized tables hold: roles,
/// registrations, versions, status, terms, ETH and credit purchases, a
/// transfer, a royalty report, a credit reversal, releases, a batch anchor,
/// pause and unpause.
pub(crate) struct Activity {
    pub(crate) split: Split,
    pub(crate) tokens: Vec<U256>,
    pub(crate) card_buyer: Address,
    pub(crate) batch_root: B256,
}

pub(crate) async fn activity(anvil: &Anvil, tributary: &Tributary) -> Activity {
    let admin = as_account(anvil, tributary, 0).await;
    let creator = as_account(anvil, tributary, 1).await;
    let buyer = as_account(anvil, tributary, 2).await;
    let relayer = as_account(anvil, tributary, 3).await;
    let anyone = as_account(anvil, tributary, 7).await;
    let relayer_role = admin.relayer_role().await.expect("role");
    admin
        .grant_role(relayer_role, account(3).address())
        .await
        .expect("grant relayer");
    let pauser_role = admin.pauser_role().await.expect("role");
    admin
        .grant_role(pauser_role, account(0).address())
        .await
        .expect("grant pauser");

    let split = Split::from_shares([(account(5).address(), 3), (account(6).address(), 1)]);
    let mut transferable = offer(OfferKind::OneOff, ETH, ETHER);
    transferable.transferable = true;
    let mut royalty = offer(OfferKind::RoyaltyLinked, ETH, ETHER / 10);
    royalty.royaltyBps = 1_000;
    royalty.duration = 30 * 24 * 3600;
    let offers = vec![
        transferable,
        offer(OfferKind::OneOff, CREDITS, 500),
        royalty,
    ];
    let id = creator
        .register(B256::repeat_byte(1), "ipfs://one-v1", &split, &offers)
        .await
        .expect("register")
        .value;
    creator
        .publish_version(id, B256::repeat_byte(2), "ipfs://one-v2")
        .await
        .expect("publish");
    let other = register(anvil, tributary, 3).await;
    creator
        .set_status(other, tributary_core::chain::DatasetStatus::Paused)
        .await
        .expect("pause dataset");

    let terms = Terms::new(&split, offers.clone());
    let mut tokens = Vec::new();
    // ETH purchase, then a transfer of the (transferable) licence.
    let token = buyer
        .purchase(id, &terms, 0, account(2).address())
        .await
        .expect("purchase")
        .value;
    buyer
        .inherited()
        .transferFrom(account(2).address(), account(8).address(), token)
        .send()
        .await
        .expect("send transfer")
        .get_receipt()
        .await
        .expect("transfer mined");
    tokens.push(token);

    // Card flow: credits minted, spent, then reversed (the licence is flagged).
    let card_buyer = Key::from_mnemonic(MNEMONIC, 43).expect("key").address();
    let payment = keccak256("pi_card");
    relayer
        .mint_credits(payment, card_buyer, U256::from(800))
        .await
        .expect("mint credits");
    let token = relayer
        .purchase_with_credits(payment, id, &terms, 1, card_buyer)
        .await
        .expect("buy with credits")
        .value;
    tokens.push(token);
    relayer.reverse_credits(payment).await.expect("reverse");
    // A second payment stays credited, partly unspent.
    relayer
        .mint_credits(keccak256("pi_kept"), card_buyer, U256::from(900))
        .await
        .expect("mint credits");

    // Royalty-linked licence and a revenue report.
    let token = buyer
        .purchase(id, &terms, 2, account(2).address())
        .await
        .expect("royalty purchase")
        .value;
    tokens.push(token);
    let revenue = U256::from(50u128 * ETHER);
    buyer
        .report_revenue(
            token,
            revenue,
            keccak256("books"),
            &terms,
            revenue / U256::from(10),
        )
        .await
        .expect("report revenue");

    // New terms for the first dataset.
    let mut cheaper = offer(OfferKind::OneOff, ETH, ETHER / 2);
    cheaper.supplyCap = 10;
    creator
        .set_terms(id, &split, &[cheaper])
        .await
        .expect("set terms");

    // Releases, protocol fees, a batch anchor, pause and unpause.
    anyone
        .release(ETH, &split, account(5).address())
        .await
        .expect("release");
    anyone
        .release_protocol_fees(ETH)
        .await
        .expect("protocol fees");
    let batch_root = keccak256("batch");
    creator
        .anchor_batch(batch_root, 3, "ipfs://batch")
        .await
        .expect("anchor");
    admin.pause().await.expect("pause");
    admin.unpause().await.expect("unpause");

    Activity {
        split,
        tokens,
        card_buyer,
        batch_root,
    }
}

/// A sync configuration for tests: small window, fast polls and backoff.
pub(crate) fn test_config(contract: Address, start_block: u64) -> SyncConfig {
    SyncConfig::new(contract, start_block)
        .with_finality_depth(16)
        .with_poll_interval(Duration::from_millis(50))
        .with_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .with_request_timeout(Duration::from_secs(10))
}

pub(crate) async fn indexer(pool: &PgPool, rpc_url: &str, config: SyncConfig) -> Indexer {
    Indexer::connect(pool.clone(), rpc_url, config)
        .await
        .expect("connect the indexer")
}

/// Indexes until caught up, within 60 s.
pub(crate) async fn catch_up(indexer: &mut Indexer) -> u64 {
    tokio::time::timeout(Duration::from_secs(60), indexer.catch_up())
        .await
        .expect("caught up within 60 s")
        .expect("sync")
}

// ---------------------------------------------------------------------- mirror checks

/// `(block_hash, log_index, tx_hash, data)` of every raw log, in chain order.
pub(crate) async fn raw_logs<'e>(
    executor: impl sqlx::PgExecutor<'e>,
) -> Vec<(B256, u64, B256, Vec<u8>)> {
    sqlx::query_as::<_, (Vec<u8>, i64, Vec<u8>, Vec<u8>)>(
        "SELECT block_hash, log_index, tx_hash, data FROM raw_logs ORDER BY block_number, log_index",
    )
    .fetch_all(executor)
    .await
    .expect("raw logs")
    .into_iter()
    .map(|(block, index, tx, data)| {
        (B256::from_slice(&block), index as u64, B256::from_slice(&tx), data)
    })
    .collect()
}

/// The same shape, from the node.
pub(crate) fn node_logs(logs: &[Log]) -> Vec<(B256, u64, B256, Vec<u8>)> {
    logs.iter()
        .map(|log| {
            (
                log.block_hash.expect("mined"),
                log.log_index.expect("mined"),
                log.transaction_hash.expect("mined"),
                log.data().data.to_vec(),
            )
        })
        .collect()
}

/// Asserts the raw mirror equals the node's logs of `contract`, with no gap
/// or duplicate, and every normalized table's rows sit in indexed blocks.
pub(crate) async fn assert_mirror_equals_chain(pool: &PgPool, anvil: &Anvil, contract: Address) {
    let node = node_logs(&anvil.logs(contract).await);
    let mirror = raw_logs(pool).await;
    assert_eq!(mirror.len(), node.len(), "raw log count");
    assert_eq!(mirror, node, "raw logs differ from the node's");
    // Every decoded row belongs to a mirrored log: none survived a rollback.
    for table in &db::BLOCK_TABLES[1..] {
        let orphans: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM raw_logs r
                 WHERE r.block_number = t.block_number AND r.log_index = t.log_index)"
        )))
        .fetch_one(pool)
        .await
        .expect("orphans");
        assert_eq!(orphans, 0, "{table} rows without their raw log");
    }
}

pub(crate) async fn count(pool: &PgPool, table: &'static str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .expect("count")
}
