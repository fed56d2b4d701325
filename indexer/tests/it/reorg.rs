//! Reorgs, made by anvil: blocks replaced at the same height (`anvil_reorg`),
//! a chain reverted and regrown (`evm_snapshot`/`evm_revert`), during follow
//! and during backfill, and one deeper than the kept window.

use alloy::{
    hex,
    primitives::{B256, U256},
    sol_types::SolCall,
};
use serde_json::{Value, json};
use tributary_core::chain::{ETH, ITributary, OfferKind, Split, Tributary};
use tributary_indexer::{Error, Step, db};

use crate::support::{
    Anvil, ETHER, TestDb, account, assert_mirror_equals_chain, catch_up, count, deploy, indexer,
    offer, register, test_config,
};

/// The manifest hashes the mirror holds, in dataset order.
async fn manifests(pool: &sqlx::PgPool) -> Vec<B256> {
    sqlx::query_scalar::<_, Vec<u8>>(
        "SELECT manifest_hash FROM dataset_versions ORDER BY dataset_id, version",
    )
    .fetch_all(pool)
    .await
    .expect("versions")
    .iter()
    .map(|hash| B256::from_slice(hash))
    .collect()
}

/// A transaction for `anvil_reorg`: account 1 registers a dataset with manifest `n`.
fn register_tx(tributary: &Tributary, n: u8) -> Value {
    let call = ITributary::registerCall {
        manifestHash: B256::repeat_byte(n),
        uri: format!("ipfs://dataset-{n}"),
        split: Split::from_shares([(account(5).address(), 1)]),
        offers: vec![offer(OfferKind::OneOff, ETH, ETHER / 100)],
    };
    json!({
        "from": account(1).address(),
        "to": tributary.address(),
        "data": hex::encode_prefixed(call.abi_encode()),
        "gas": "0x1e8480",
    })
}

#[tokio::test]
async fn reorg_at_the_tip_replaces_the_orphaned_rows_in_one_step() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    for n in 1..=4 {
        register(&anvil, &tributary, n).await;
    }
    let mut indexer = indexer(
        &pool,
        anvil.url(),
        test_config(tributary.address(), deployed_at),
    )
    .await;
    let head = catch_up(&mut indexer).await;
    assert_eq!(
        manifests(&pool).await,
        (1..=4).map(B256::repeat_byte).collect::<Vec<_>>()
    );

    // Replace the last two blocks (datasets 3 and 4) with two blocks holding
    // other registrations: the same height, new hashes.
    let orphaned = anvil.block_hash(head).await;
    anvil
        .rpc(
            "anvil_reorg",
            json!([
                2,
                [
                    [register_tx(&tributary, 0xa3), 0],
                    [register_tx(&tributary, 0xa4), 1]
                ]
            ]),
        )
        .await;
    assert_eq!(anvil.head().await, head);
    assert_ne!(anvil.block_hash(head).await, orphaned);

    let step = indexer.step().await.expect("step");
    assert_eq!(
        step,
        Step::Reorged {
            ancestor: head - 2,
            replaced_to: head,
            to: head,
            logs: step_logs(&step),
        }
    );
    assert!(step_logs(&step) > 0);
    assert_eq!(
        manifests(&pool).await,
        [1, 2, 0xa3, 0xa4].map(B256::repeat_byte).to_vec(),
        "rows of the orphaned blocks are gone, the new blocks' rows are there"
    );
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
    let mut conn = pool.acquire().await.expect("connection");
    let checkpoint = db::checkpoint(&mut conn)
        .await
        .expect("checkpoint")
        .expect("set");
    assert_eq!(
        (checkpoint.number, checkpoint.hash),
        (head, anvil.block_hash(head).await)
    );
    assert_eq!(indexer.status().reorgs(), 1);
    assert_eq!(indexer.step().await.expect("step"), Step::Idle { head });
}

fn step_logs(step: &Step) -> usize {
    match step {
        Step::Reorged { logs, .. } | Step::Applied { logs, .. } => *logs,
        _ => 0,
    }
}

#[tokio::test]
async fn a_reverted_chain_is_rolled_back_only_once_it_is_as_long_as_the_mirror() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    register(&anvil, &tributary, 1).await;
    let snapshot = anvil.rpc("evm_snapshot", json!([])).await;
    for n in 2..=5 {
        register(&anvil, &tributary, n).await;
    }
    let mut indexer = indexer(
        &pool,
        anvil.url(),
        test_config(tributary.address(), deployed_at),
    )
    .await;
    let indexed = catch_up(&mut indexer).await;
    let rows_before = count(&pool, "raw_logs").await;

    // Back to the snapshot: the node's chain is now shorter than the mirror.
    // That looks like a lagging node: nothing is rolled back.
    assert_eq!(
        anvil.rpc("evm_revert", json!([snapshot])).await,
        json!(true)
    );
    register(&anvil, &tributary, 0xb2).await;
    assert!(anvil.head().await < indexed);
    for _ in 0..3 {
        let step = indexer.step().await.expect("step");
        assert!(
            matches!(step, Step::Lagging { indexed: i, .. } if i == indexed),
            "{step:?}"
        );
    }
    assert_eq!(count(&pool, "raw_logs").await, rows_before);

    // The new chain grows past the mirror: now the reorg is real and repaired.
    for n in 0xb3..=0xb6 {
        register(&anvil, &tributary, n).await;
    }
    assert!(anvil.head().await > indexed);
    catch_up(&mut indexer).await;
    assert_eq!(
        manifests(&pool).await,
        [1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6]
            .map(B256::repeat_byte)
            .to_vec()
    );
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
    assert_eq!(indexer.status().reorgs(), 1);
}

#[tokio::test]
async fn reorg_during_backfill_is_repaired_before_the_backfill_goes_on() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    for n in 1..=8 {
        register(&anvil, &tributary, n).await;
    }
    // Two blocks per range: a few steps index only the first registrations.
    let config = test_config(tributary.address(), deployed_at).with_ranges(2, 2);
    let mut indexer = indexer(&pool, anvil.url(), config).await;
    for _ in 0..3 {
        assert!(matches!(
            indexer.step().await.expect("step"),
            Step::Applied { .. }
        ));
    }
    let mut conn = pool.acquire().await.expect("connection");
    let checkpoint = db::checkpoint(&mut conn)
        .await
        .expect("checkpoint")
        .expect("set");
    let head = anvil.head().await;
    assert!(checkpoint.number < head);

    // Replace every block from two below the checkpoint to the head.
    let depth = head - checkpoint.number + 2;
    let txs: Vec<Value> = (0..depth)
        .map(|offset| json!([register_tx(&tributary, 0xc0 + offset as u8), offset]))
        .collect();
    anvil.rpc("anvil_reorg", json!([depth, txs])).await;

    catch_up(&mut indexer).await;
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
    let kept = manifests(&pool).await;
    assert!(kept.contains(&B256::repeat_byte(0xc0)));
    assert!(
        !kept.contains(&B256::repeat_byte(8)),
        "dataset 8 was orphaned"
    );
    assert_eq!(indexer.status().reorgs(), 1);
    let datasets = tributary.dataset_count().await.expect("count");
    assert_eq!(U256::from(count(&pool, "datasets").await), datasets);
}

#[tokio::test]
async fn reorg_deeper_than_the_window_stops_with_a_clear_error_and_changes_nothing() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    for n in 1..=8 {
        register(&anvil, &tributary, n).await;
    }
    let config = test_config(tributary.address(), deployed_at).with_finality_depth(2);
    let mut indexer = indexer(&pool, anvil.url(), config).await;
    let head = catch_up(&mut indexer).await;
    let before = crate::support::raw_logs(&pool).await;

    anvil.rpc("anvil_reorg", json!([6, []])).await;
    let error = indexer.step().await.expect_err("too deep");
    assert!(
        matches!(error, Error::ReorgTooDeep { checkpoint, .. } if checkpoint == head),
        "{error}"
    );
    assert!(!error.retry_may_help());
    assert!(
        error
            .to_string()
            .contains("reorg deeper than the kept window"),
        "{error}"
    );
    // catch_up gives up too, instead of looping.
    assert!(matches!(
        indexer.catch_up().await,
        Err(Error::ReorgTooDeep { .. })
    ));
    assert_eq!(
        crate::support::raw_logs(&pool).await,
        before,
        "nothing rolled back"
    );
    let mut conn = pool.acquire().await.expect("connection");
    let checkpoint = db::checkpoint(&mut conn)
        .await
        .expect("checkpoint")
        .expect("set");
    assert_eq!(checkpoint.number, head);
}

/// Registers 40 datasets (one block each), indexes them (all of them, or
/// for `backfill` up to 10 blocks below the head), then lets anvil replace
/// the last `depth` blocks with blocks holding other registrations; the
/// mirror must then equal the new chain, rows and raw logs alike.
async fn reorg_of_depth(depth: u64, backfill: bool) {
    const DATASETS: u8 = 40;
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    for n in 1..=DATASETS {
        register(&anvil, &tributary, n).await;
    }
    let head = anvil.head().await;
    // The window must hold the deepest reorg: 40 blocks.
    let mut config = test_config(tributary.address(), deployed_at).with_finality_depth(40);
    if backfill {
        config = config.with_ranges(4, 4);
    }
    let mut indexer = indexer(&pool, anvil.url(), config).await;
    let indexed = if backfill {
        loop {
            let step = indexer.step().await.expect("step");
            match step {
                Step::Applied { to, .. } if to + 10 <= head => continue,
                Step::Applied { to, .. } => break to,
                other => panic!("backfill stepped {other:?}"),
            }
        }
    } else {
        catch_up(&mut indexer).await
    };
    assert!(backfill == (indexed < head), "indexed {indexed} of {head}");

    // Three registrations in the replacement blocks (fewer for depth 1).
    let replacements: Vec<u8> = (0..depth.min(3) as u8).map(|i| 0xc0 + i).collect();
    let txs: Vec<Value> = replacements
        .iter()
        .enumerate()
        .map(|(offset, &n)| json!([register_tx(&tributary, n), offset]))
        .collect();
    anvil.rpc("anvil_reorg", json!([depth, txs])).await;
    assert_eq!(anvil.head().await, head, "same height, new blocks");

    catch_up(&mut indexer).await;
    let kept = DATASETS - depth as u8;
    let expected: Vec<B256> = (1..=kept)
        .chain(replacements.iter().copied())
        .map(B256::repeat_byte)
        .collect();
    assert_eq!(
        manifests(&pool).await,
        expected,
        "depth {depth}, backfill {backfill}"
    );
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
    // A reorg is repaired only when it replaced blocks already indexed.
    let reached_the_mirror = head - depth < indexed;
    assert_eq!(indexer.status().reorgs(), u64::from(reached_the_mirror));
}

#[tokio::test]
async fn reorgs_of_depth_1_5_and_30_during_follow_leave_the_mirror_equal_to_the_chain() {
    for depth in [1, 5, 30] {
        reorg_of_depth(depth, false).await;
    }
}

#[tokio::test]
async fn reorgs_of_depth_1_5_and_30_during_backfill_leave_the_mirror_equal_to_the_chain() {
    for depth in [1, 5, 30] {
        reorg_of_depth(depth, true).await;
    }
}
