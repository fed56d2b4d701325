//! Crash safety: the sync killed at arbitrary points, in process (its future
//! dropped mid-step, mid-transaction) and as a process (SIGKILL), resumes
//! after restart with no gap and no duplicate: at every stop, the mirror
//! holds exactly the node's logs up to the checkpoint.

use std::time::Duration;

use tributary_indexer::{Indexer, db};

use crate::{
    process::IndexerProcess,
    support::{
        Anvil, TestDb, activity, assert_mirror_equals_chain, deploy, node_logs, raw_logs, register,
        test_config,
    },
};

/// xorshift64: reproducible "random" stop points.
pub(crate) struct Xorshift(pub(crate) u64);

impl Xorshift {
    pub(crate) fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// The mirror holds exactly the node's logs up to its checkpoint; returns
/// the checkpoint (0 before the first commit).
async fn assert_consistent_at_checkpoint(
    pool: &sqlx::PgPool,
    anvil: &Anvil,
    contract: alloy::primitives::Address,
) -> u64 {
    // One snapshot for both reads: a killed writer's last COMMIT may still
    // land between two separate reads.
    let mut snapshot = pool.begin().await.expect("transaction");
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut *snapshot)
        .await
        .expect("isolation");
    let checkpoint = db::checkpoint(&mut snapshot).await.expect("checkpoint");
    let mirrored = raw_logs(&mut *snapshot).await;
    snapshot.commit().await.expect("end of snapshot");
    let indexed = checkpoint.map_or(0, |cp| cp.number);
    let logs: Vec<_> = anvil
        .logs(contract)
        .await
        .into_iter()
        .filter(|log| checkpoint.is_some() && log.block_number.expect("mined") <= indexed)
        .collect();
    assert_eq!(
        mirrored,
        node_logs(&logs),
        "the mirror at checkpoint {indexed} is not the node's logs up to it"
    );
    indexed
}

async fn busy_chain(anvil: &Anvil) -> (tributary_core::chain::Tributary, u64) {
    let (tributary, deployed_at) = deploy(anvil).await;
    activity(anvil, &tributary).await;
    for n in 10..40 {
        register(anvil, &tributary, n).await;
    }
    (tributary, deployed_at)
}

#[tokio::test]
async fn sync_dropped_mid_step_resumes_without_gap_or_duplicate() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = busy_chain(&anvil).await;
    let head = anvil.head().await;
    let config = test_config(tributary.address(), deployed_at).with_ranges(1, 2);
    // One HTTP client for every restart (building one costs about 150 ms).
    let provider = anvil.client(0).await.provider().clone();

    let mut random = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut last = 0;
    let mut stops = 0;
    loop {
        // A new indexer each time, as after a restart; stopped after 1-20 ms,
        // wherever its future happens to be (an open transaction included).
        let mut indexer = Indexer::new(pool.clone(), provider.clone(), config.clone())
            .await
            .expect("indexer");
        let budget = Duration::from_millis(1 + random.next(20));
        let finished = tokio::time::timeout(budget, indexer.catch_up()).await;
        drop(indexer);
        let indexed = assert_consistent_at_checkpoint(&pool, &anvil, tributary.address()).await;
        assert!(
            indexed >= last,
            "the checkpoint went back from {last} to {indexed}"
        );
        last = indexed;
        if let Ok(result) = finished {
            assert_eq!(result.expect("sync"), head);
            break;
        }
        stops += 1;
        assert!(stops < 2_000, "no progress");
    }
    assert!(
        stops >= 5,
        "only {stops} stops: the chain is too short to test crashes"
    );
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
}

#[tokio::test]
async fn killed_process_20_times_in_backfill_and_follow_restarts_where_it_left_off() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = busy_chain(&anvil).await;
    let head = anvil.head().await;
    let spawn = || {
        IndexerProcess::spawn(
            db.url(),
            anvil.url(),
            tributary.address(),
            deployed_at,
            &["--initial-range", "1", "--max-range", "1"],
        )
    };

    let mut random = Xorshift(0x2545_f491_4f6c_dd1d);
    let mut last = 0;
    // 12 kills during the backfill.
    for _ in 0..12 {
        let mut process = spawn();
        tokio::time::sleep(Duration::from_millis(random.next(60))).await;
        assert!(process.running(), "the indexer exited by itself");
        process.kill();
        let indexed = assert_consistent_at_checkpoint(&pool, &anvil, tributary.address()).await;
        assert!(
            indexed >= last,
            "the checkpoint went back from {last} to {indexed}"
        );
        last = indexed;
    }
    assert!(
        last < head,
        "the kills came too late to interrupt the backfill"
    );

    // 8 kills while following: caught up, then new blocks arrive and the
    // process is killed 0-40 ms later, wherever it is.
    let mut n = 0x80;
    for _ in 0..8 {
        let mut process = spawn();
        let head = anvil.head().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while assert_consistent_at_checkpoint(&pool, &anvil, tributary.address()).await < head {
            assert!(
                tokio::time::Instant::now() < deadline,
                "not caught up within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for _ in 0..2 {
            register(&anvil, &tributary, n).await;
            n += 1;
        }
        tokio::time::sleep(Duration::from_millis(random.next(40))).await;
        assert!(process.running(), "the indexer exited by itself");
        process.kill();
        let indexed = assert_consistent_at_checkpoint(&pool, &anvil, tributary.address()).await;
        assert!(
            indexed >= last,
            "the checkpoint went back from {last} to {indexed}"
        );
        last = indexed;
    }
    let head = anvil.head().await;

    // The last run is left to finish.
    let process = spawn();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while assert_consistent_at_checkpoint(&pool, &anvil, tributary.address()).await < head {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not caught up within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    process.kill();
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
}
