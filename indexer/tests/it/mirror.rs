//! The mirror after real activity: every log in `raw_logs` exactly once, and
//! every normalized table agreeing with what the contract's views answer.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, U256};
use tributary_core::chain::{CREDITS, DatasetStatus, ETH};
use tributary_indexer::{Step, db};

use crate::support::{
    Anvil, TestDb, account, activity, assert_mirror_equals_chain, catch_up, count, deploy, indexer,
    test_config,
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

    // Datasets: status, version count and terms hash as the registry holds them.
    let dataset_count = tributary.dataset_count().await.expect("count");
    assert_eq!(dataset_count, U256::from(2));
    let rows: Vec<(String, Vec<u8>, i16, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT d.dataset_id::TEXT, d.creator,
                COALESCE((SELECT status FROM dataset_status_changes s WHERE s.dataset_id = d.dataset_id
                          ORDER BY block_number DESC, log_index DESC LIMIT 1), 1::SMALLINT),
                (SELECT max(version) FROM dataset_versions v WHERE v.dataset_id = d.dataset_id),
                (SELECT terms_hash FROM dataset_terms t WHERE t.dataset_id = d.dataset_id
                 ORDER BY block_number DESC, log_index DESC LIMIT 1)
         FROM datasets d ORDER BY d.dataset_id",
    )
    .fetch_all(&pool)
    .await
    .expect("datasets");
    assert_eq!(rows.len(), 2);
    for (id, creator, status, versions, terms_hash) in rows {
        let record = tributary
            .dataset(id.parse().expect("id"))
            .await
            .expect("dataset");
        assert_eq!(
            Address::from_slice(&creator),
            record.creator,
            "creator of {id}"
        );
        assert_eq!(status, i16::from(u8::from(record.status)), "status of {id}");
        assert_eq!(versions as u32, record.version_count, "versions of {id}");
        assert_eq!(
            B256::from_slice(&terms_hash),
            record.terms_hash,
            "terms of {id}"
        );
    }
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

    // Licences: current holder, flag, version and expiry as the token records them.
    assert_eq!(count(&pool, "licences").await, done.tokens.len() as i64);
    for token in &done.tokens {
        let (holder, flagged, version, expires_at, offer_known): (
            Vec<u8>,
            bool,
            i64,
            String,
            bool,
        ) = sqlx::query_as(
            "SELECT (SELECT to_address FROM licence_transfers t WHERE t.token_id = l.token_id
                         ORDER BY block_number DESC, log_index DESC LIMIT 1),
                        EXISTS (SELECT 1 FROM licence_flags f WHERE f.token_id = l.token_id),
                        l.version, l.expires_at::TEXT,
                        EXISTS (SELECT 1 FROM terms_offers o WHERE o.offer_hash = l.offer_hash)
                 FROM licences l WHERE l.token_id = $1::NUMERIC",
        )
        .bind(token.to_string())
        .fetch_one(&pool)
        .await
        .expect("licence row");
        let licence = tributary.licence(*token).await.expect("licence");
        assert_eq!(
            Address::from_slice(&holder),
            tributary.owner_of(*token).await.expect("owner")
        );
        assert_eq!(flagged, licence.flagged, "flag of {token}");
        assert_eq!(version as u32, licence.version, "version of {token}");
        assert_eq!(
            expires_at,
            licence.expiresAt.to_string(),
            "expiry of {token}"
        );
        assert!(
            offer_known,
            "the offer hash of {token} names an indexed offer"
        );
    }
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

    // Payments: the split's total per token is what the contract counts.
    let totals: Vec<(Vec<u8>, Vec<u8>, String)> = sqlx::query_as(
        "SELECT split_hash, token, sum(amount)::TEXT FROM payments GROUP BY split_hash, token",
    )
    .fetch_all(&pool)
    .await
    .expect("payments");
    let totals: BTreeMap<(B256, Address), U256> = totals
        .into_iter()
        .map(|(split, token, sum)| {
            (
                (B256::from_slice(&split), Address::from_slice(&token)),
                sum.parse().expect("sum"),
            )
        })
        .collect();
    for token in [ETH, CREDITS] {
        let expected = tributary
            .total_received(done.split.hash(), token)
            .await
            .expect("view");
        let mirrored = totals
            .get(&(done.split.hash(), token))
            .copied()
            .unwrap_or_default();
        assert_eq!(mirrored, expected, "total received in {token}");
    }
    // Releases: released + releasable = the payee's entitlement.
    let payee = account(5).address();
    let released: String = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::TEXT FROM releases WHERE payee = $1 AND token = $2",
    )
    .bind(payee.as_slice())
    .bind(ETH.as_slice())
    .fetch_one(&pool)
    .await
    .expect("releases");
    let released: U256 = released.parse().expect("sum");
    let on_chain = tributary
        .contract()
        .released(done.split.hash(), ETH, payee)
        .call()
        .await
        .expect("released view");
    assert_eq!(released, on_chain);
    assert_eq!(count(&pool, "protocol_fee_releases").await, 1);

    // Credits: minted - spent - burned is the balance.
    let balance: String = sqlx::query_scalar(
        "SELECT ((SELECT COALESCE(sum(amount), 0) FROM credits_minted WHERE account = $1)
               - (SELECT COALESCE(sum(s.amount), 0) FROM credits_spent s
                  JOIN credits_minted m ON m.payment_id = s.payment_id WHERE m.account = $1)
               - (SELECT COALESCE(sum(burned), 0) FROM credits_reversed WHERE account = $1))::TEXT",
    )
    .bind(done.card_buyer.as_slice())
    .fetch_one(&pool)
    .await
    .expect("balance");
    assert_eq!(
        balance.parse::<U256>().expect("balance"),
        tributary
            .credit_balance(done.card_buyer)
            .await
            .expect("view")
    );
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
