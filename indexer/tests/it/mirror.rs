//! The mirror after real activity: every log in `raw_logs` exactly once, and
//! every normalized table agreeing with what the contract's views answer.

use alloy::primitives::{Address, B256, U256};
use tributary_core::chain::DatasetStatus;
use tributary_indexer::{Step, db};

use crate::{
    support::{
        Anvil, TestDb, account, activity, assert_mirror_equals_chain, catch_up, count, deploy,
        indexer, test_config,
    },
    views::assert_views_agree,
};

#[tokio::test]
async fn mirror_agrees_with_the_contract_views_after_every_kind_of_event() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    let done = activity(&anvil, &tributary).await;

    // Ranges of 3 blocks: the backfill takes many steps and commits.
    let config = test_config(tributary.address(), deployed_at).with_ranges(3, 3);
    let mut indexer = indexer(&pool, anvil.url(), config).await;
    let head = catch_up(&mut indexer).await;
    assert_eq!(head, anvil.head().await);
    let mut conn = pool.acquire().await.expect("connection");
    let checkpoint = db::checkpoint(&mut conn)
        .await
        .expect("checkpoint")
        .expect("set");
    assert_eq!(checkpoint.number, head);
    assert_eq!(checkpoint.hash, anvil.block_hash(head).await);
    assert_eq!(indexer.step().await.expect("step"), Step::Idle { head });

    assert_mirror_equals_chain(&pool, &anvil, tributary.address()).await;

    // Every dataset, licence, split total, payee release, credit balance
    // and isLicensed answer agrees with the contract's views.
    assert_views_agree(
        &pool,
        &tributary,
        &[account(2).address(), account(8).address(), done.card_buyer],
    )
    .await;
    assert_eq!(
        tributary.dataset_count().await.expect("count"),
        U256::from(2)
    );
    assert_eq!(
        tributary
            .dataset(U256::from(2))
            .await
            .expect("dataset")
            .status,
        DatasetStatus::Paused
    );
    // Registration terms plus one TermsSet; 3 + 1 + 1 offers.
    assert_eq!(count(&pool, "dataset_terms").await, 3);
    assert_eq!(count(&pool, "terms_offers").await, 5);

    assert_eq!(count(&pool, "licences").await, done.tokens.len() as i64);
    let unknown_offers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM licences l
         WHERE NOT EXISTS (SELECT 1 FROM terms_offers o WHERE o.offer_hash = l.offer_hash)",
    )
    .fetch_one(&pool)
    .await
    .expect("offers");
    assert_eq!(
        unknown_offers, 0,
        "every licence's offer hash names an indexed offer"
    );
    // The transferred licence: minted to the buyer, now held by account 8.
    let transfers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM licence_transfers WHERE token_id = $1::NUMERIC")
            .bind(done.tokens[0].to_string())
            .fetch_one(&pool)
            .await
            .expect("transfers");
    assert_eq!(transfers, 2);
    assert_eq!(
        tributary.owner_of(done.tokens[0]).await.expect("owner"),
        account(8).address()
    );

    assert_eq!(count(&pool, "protocol_fee_releases").await, 1);
    let flagged: Vec<String> =
        sqlx::query_scalar("SELECT unnest(flagged_token_ids)::TEXT FROM credits_reversed")
            .fetch_all(&pool)
            .await
            .expect("flagged");
    assert_eq!(flagged, vec![done.tokens[1].to_string()]);

    // Batch anchor, royalty report, roles and pauses.
    let (anchorer, _, anchored_count) = {
        let view = tributary
            .contract()
            .batchAnchor(done.batch_root)
            .call()
            .await
            .expect("batch view");
        (view.anchorer, view.anchoredAt, view.count)
    };
    let (root, by, n): (Vec<u8>, Vec<u8>, i64) =
        sqlx::query_as("SELECT root, anchorer, count FROM batch_anchors")
            .fetch_one(&pool)
            .await
            .expect("anchor");
    assert_eq!(
        (B256::from_slice(&root), Address::from_slice(&by), n as u32),
        (done.batch_root, anchorer, anchored_count)
    );
    assert_eq!(count(&pool, "revenue_reports").await, 1);
    assert_eq!(count(&pool, "pause_changes").await, 2);
    let granted: i64 = sqlx::query_scalar("SELECT count(*) FROM role_changes WHERE granted")
        .fetch_one(&pool)
        .await
        .expect("roles");
    // DEFAULT_ADMIN_ROLE at deployment, then the relayer and pauser grants.
    assert!(granted >= 3, "{granted} role grants");
}
