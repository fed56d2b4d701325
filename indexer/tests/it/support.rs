//! Shared helpers: a database per test, an anvil per test, the suite deployed
//! on it, activity that emits every kind of event, and a JSON-RPC proxy that
//! misbehaves on request.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    rpc::types::Log,
};
use sqlx::PgPool;
use tributary_core::{
    chain::{CREDITS, ETH, Offer, OfferKind, Split, Terms, Tributary},
    signing::Key,
};
use tributary_indexer::{Indexer, SyncConfig, db};
pub(crate) use tributary_testkit::{Anvil, account};
use tributary_testkit::{MNEMONIC, TestDatabase};

// ---------------------------------------------------------------------- PostgreSQL

/// A fresh database per test (see `tributary_testkit::TestDatabase`).
pub(crate) struct TestDb(TestDatabase);

impl TestDb {
    pub(crate) async fn create() -> Self {
        Self(TestDatabase::create().await)
    }

    pub(crate) fn url(&self) -> &str {
        self.0.url()
    }

    /// A pool on the database, migrated.
    pub(crate) async fn pool(&self) -> PgPool {
        let pool = db::connect(self.url())
            .await
            .expect("connect to the test database");
        db::migrate(&pool).await.expect("migrate");
        pool
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
    /// The manifest hashes anchored under `batch_root`, in tree order.
    pub(crate) batch: Vec<B256>,
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
    let batch: Vec<B256> = (10u8..13).map(B256::repeat_byte).collect();
    let batch_root = tributary_core::merkle::Tree::new(&batch)
        .expect("a batch")
        .root();
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
        batch,
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
