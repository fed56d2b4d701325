//! What real providers do to an indexer: refuse large ranges, rate-limit,
//! answer slowly, lag behind, or switch to a node of a reset chain. None of
//! it may crash the sync, lose a log, or roll back committed blocks.

use std::time::Duration;

use tributary_indexer::{Error, Step, db};

use crate::{
    proxy::{Faults, Proxy},
    support::{
        Anvil, TestDb, activity, assert_mirror_equals_chain, catch_up, count, deploy, indexer,
        register, test_config,
    },
};

#[tokio::test]
async fn range_errors_halve_the_range_until_the_node_accepts_it() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    activity(&anvil, &tributary).await;
    let proxy = Proxy::start(anvil.url()).await;
    proxy.set(Faults {
        max_log_span: Some(3),
        ..Faults::default()
    });

    let config = test_config(tributary.address(), deployed_at).with_ranges(64, 64);
    let mut indexer = indexer(&pool, &proxy.url, config).await;
    catch_up(&mut indexer).await;
    assert!(proxy.refused() > 0, "the node refused some ranges");
    assert!(
        indexer.range() <= 3,
        "range {} after refusals",
        indexer.range()
    );
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
}

#[tokio::test]
async fn rate_limits_and_timeouts_are_retried_with_backoff_without_losing_a_log() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    activity(&anvil, &tributary).await;
    let proxy = Proxy::start(anvil.url()).await;
    // Every third eth_getLogs answers 429; ranges over 4 blocks never answer in time.
    proxy.set(Faults {
        rate_limit_every: Some(3),
        slow_log_span: Some(4),
        ..Faults::default()
    });

    let config = test_config(tributary.address(), deployed_at)
        .with_ranges(32, 32)
        .with_request_timeout(Duration::from_millis(500));
    let mut indexer = indexer(&pool, &proxy.url, config).await;
    catch_up(&mut indexer).await;
    assert!(proxy.refused() > 0, "some requests were rate limited");
    assert!(
        indexer.range() <= 4,
        "range {} after timeouts",
        indexer.range()
    );
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
}

#[tokio::test]
async fn a_node_answering_an_older_head_rolls_nothing_back() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    for n in 1..=5 {
        register(&anvil, &tributary, n).await;
    }
    let proxy = Proxy::start(anvil.url()).await;
    let mut indexer = indexer(
        &pool,
        &proxy.url,
        test_config(tributary.address(), deployed_at),
    )
    .await;
    let head = catch_up(&mut indexer).await;
    let rows = count(&pool, "raw_logs").await;

    // A node behind a load balancer that is three blocks behind.
    proxy.set(Faults {
        head: Some(head - 3),
        blocks_up_to: Some(head - 3),
        ..Faults::default()
    });
    for _ in 0..3 {
        assert_eq!(
            indexer.step().await.expect("step"),
            Step::Lagging {
                head: head - 3,
                indexed: head
            }
        );
    }
    // One that reports the head but does not serve its block yet.
    proxy.set(Faults {
        blocks_up_to: Some(head - 1),
        ..Faults::default()
    });
    assert!(matches!(
        indexer.step().await.expect("step"),
        Step::Lagging { .. }
    ));
    assert_eq!(
        count(&pool, "raw_logs").await,
        rows,
        "nothing was rolled back"
    );
    assert_eq!(indexer.status().reorgs(), 0);

    // Back in step: nothing to do, and new blocks are indexed as usual.
    proxy.set(Faults::default());
    assert_eq!(indexer.step().await.expect("step"), Step::Idle { head });
    register(&anvil, &tributary, 6).await;
    catch_up(&mut indexer).await;
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
}

#[tokio::test]
async fn a_reset_chain_with_the_same_block_numbers_is_detected_by_hash() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let first = Anvil::start();
    let (tributary, deployed_at) = deploy(&first).await;
    for n in 1..=3 {
        register(&first, &tributary, n).await;
    }
    let proxy = Proxy::start(first.url()).await;
    let config = test_config(tributary.address(), deployed_at).with_finality_depth(4);
    let mut indexer = indexer(&pool, &proxy.url, config).await;
    let head = catch_up(&mut indexer).await;
    let before = crate::support::raw_logs(&pool).await;

    // A fresh anvil replays the same transactions: same contract address,
    // same block numbers, other hashes (other timestamps). Its genesis is
    // dated a day earlier: two anvils started in the same second share a
    // genesis block, and the mirror would then (rightly) roll back to it.
    let genesis = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 86_400)
        .to_string();
    let second = Anvil::start_with(&["--timestamp", &genesis]);
    let (again, _) = deploy(&second).await;
    assert_eq!(again.address(), tributary.address());
    for n in 1..=3 {
        register(&second, &again, n).await;
    }
    assert_eq!(second.head().await, head);
    assert_ne!(second.block_hash(head).await, first.block_hash(head).await);
    proxy.set(Faults {
        upstream: Some(second.url().to_owned()),
        ..Faults::default()
    });

    let error = indexer.step().await.expect_err("another chain");
    assert!(matches!(error, Error::ReorgTooDeep { .. }), "{error}");
    assert_eq!(
        crate::support::raw_logs(&pool).await,
        before,
        "nothing changed"
    );
    let mut conn = pool.acquire().await.expect("connection");
    let checkpoint = db::checkpoint(&mut conn)
        .await
        .expect("checkpoint")
        .expect("set");
    assert_eq!(checkpoint.hash, first.block_hash(head).await);
}

/// Waits until the mirror's checkpoint reaches `block`, within `limit`.
async fn indexed_within(pool: &sqlx::PgPool, block: u64, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        let mut conn = pool.acquire().await.expect("connection");
        let checkpoint = db::checkpoint(&mut conn).await.expect("checkpoint");
        if checkpoint.is_some_and(|cp| cp.number >= block) {
            return true;
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn a_websocket_subscription_wakes_the_indexer_long_before_its_next_poll() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    // Polls a minute apart: only the subscription can bring a block in time.
    let config = test_config(tributary.address(), deployed_at)
        .with_poll_interval(Duration::from_secs(60))
        .with_ws_url(anvil.url().replacen("http://", "ws://", 1));
    let mut indexer = indexer(&pool, anvil.url(), config).await;
    let status = indexer.status();
    let run = tokio::spawn(async move { indexer.run().await });
    let head = anvil.head().await;
    assert!(indexed_within(&pool, head, Duration::from_secs(30)).await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !status.subscribed() {
        assert!(tokio::time::Instant::now() < deadline, "never subscribed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for n in 1..=3 {
        register(&anvil, &tributary, n).await;
        let head = anvil.head().await;
        assert!(
            indexed_within(&pool, head, Duration::from_secs(20)).await,
            "block {head} not indexed within 20 s of being mined (polls are 60 s apart)"
        );
    }
    run.abort();
}

#[tokio::test]
async fn an_unreachable_websocket_falls_back_to_polling() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("address");
    let config =
        test_config(tributary.address(), deployed_at).with_ws_url(format!("ws://{closed}"));
    let mut indexer = indexer(&pool, anvil.url(), config).await;
    let status = indexer.status();
    let run = tokio::spawn(async move { indexer.run().await });
    for n in 1..=3 {
        register(&anvil, &tributary, n).await;
        let head = anvil.head().await;
        assert!(indexed_within(&pool, head, Duration::from_secs(20)).await);
    }
    assert!(!status.subscribed());
    assert!(!run.is_finished(), "the indexer gave up: {:?}", run.await);
}

#[tokio::test]
async fn the_finalized_tag_shortens_the_reorg_window_and_a_node_without_it_means_depth_only() {
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    activity(&anvil, &tributary).await;
    anvil.rpc("anvil_mine", serde_json::json!([150])).await;
    let head = anvil.head().await;
    // A depth far above the chain's length: by depth alone, no block is final.
    let config = test_config(tributary.address(), deployed_at).with_finality_depth(10_000);

    // anvil's `finalized` block is 64 below its head: only the headers above
    // it (and the checkpoint's) stay in the window.
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let mut with_tag = indexer(&pool, anvil.url(), config.clone()).await;
    assert_eq!(catch_up(&mut with_tag).await, head);
    let kept = count(&pool, "blocks").await;
    assert!(
        (1..=66).contains(&kept),
        "{kept} headers kept with the finalized tag at {}",
        head - 64
    );
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;

    // A node that refuses the tag: asked once, then finality by depth only,
    // so every header since the start block stays.
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let proxy = Proxy::start(anvil.url()).await;
    proxy.set(Faults {
        no_finalized_tag: true,
        ..Faults::default()
    });
    let mut without_tag = indexer(&pool, &proxy.url, config).await;
    assert_eq!(catch_up(&mut without_tag).await, head);
    assert_eq!(proxy.finalized_asked(), 1, "the refusal is remembered");
    let kept = count(&pool, "blocks").await;
    assert!(
        kept >= i64::try_from(head - deployed_at).expect("small"),
        "{kept} headers kept by depth alone, head {head}, start {deployed_at}"
    );
    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;
}
