//! The mirror against the contract's views: every dataset, licence, split,
//! payee and account the chain knows, compared field by field.

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{Address, B256, U256};
use axum::body::Body;
use tower::ServiceExt;
use tributary_core::chain::{CREDITS, ETH, Tributary};
use tributary_indexer::{api, db};

/// Asserts that the mirror in `pool` (indexed to the node's head) agrees
/// with the contract's views on every dataset, licence, split total,
/// payee's releases, and, for each of `accounts`, the credit balance and
/// `isLicensed` of every dataset (through the API's handler).
pub(crate) async fn assert_views_agree(
    pool: &sqlx::PgPool,
    tributary: &Tributary,
    accounts: &[Address],
) {
    // Datasets: creator, status, version count and terms hash.
    let count = tributary.dataset_count().await.expect("count");
    let rows: Vec<(String, Vec<u8>, i16, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT d.dataset_id::TEXT, d.creator,
                COALESCE((SELECT status FROM dataset_status_changes s WHERE s.dataset_id = d.dataset_id
                          ORDER BY block_number DESC, log_index DESC LIMIT 1), 1::SMALLINT),
                (SELECT max(version) FROM dataset_versions v WHERE v.dataset_id = d.dataset_id),
                (SELECT terms_hash FROM dataset_terms t WHERE t.dataset_id = d.dataset_id
                 ORDER BY block_number DESC, log_index DESC LIMIT 1)
         FROM datasets d ORDER BY d.dataset_id",
    )
    .fetch_all(pool)
    .await
    .expect("datasets");
    assert_eq!(U256::from(rows.len()), count, "dataset count");
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

    // Licences: holder, flag, version and expiry as the token records them.
    let licences: Vec<(String, Vec<u8>, bool, i64, String)> = sqlx::query_as(
        "SELECT l.token_id::TEXT,
                (SELECT to_address FROM licence_transfers t WHERE t.token_id = l.token_id
                 ORDER BY block_number DESC, log_index DESC LIMIT 1),
                EXISTS (SELECT 1 FROM licence_flags f WHERE f.token_id = l.token_id),
                l.version, l.expires_at::TEXT
         FROM licences l ORDER BY l.token_id",
    )
    .fetch_all(pool)
    .await
    .expect("licences");
    for (token, holder, flagged, version, expires_at) in licences {
        let token: U256 = token.parse().expect("token id");
        let licence = tributary.licence(token).await.expect("licence");
        assert_eq!(
            Address::from_slice(&holder),
            tributary.owner_of(token).await.expect("owner"),
            "holder of {token}"
        );
        assert_eq!(flagged, licence.flagged, "flag of {token}");
        assert_eq!(version as u32, licence.version, "version of {token}");
        assert_eq!(
            expires_at,
            licence.expiresAt.to_string(),
            "expiry of {token}"
        );
    }

    // Splits: each split's total per token, and each payee's releases.
    let splits: Vec<(Vec<u8>, Vec<Vec<u8>>)> =
        sqlx::query_as("SELECT DISTINCT split_hash, payees FROM dataset_terms")
            .fetch_all(pool)
            .await
            .expect("splits");
    let sums = |sql: &'static str| async move {
        let rows: Vec<(Vec<u8>, Vec<u8>, Vec<u8>, String)> =
            sqlx::query_as(sql).fetch_all(pool).await.expect("sums");
        rows.into_iter()
            .map(|(a, b, c, sum)| ((a, b, c), sum.parse::<U256>().expect("a uint256 sum")))
            .collect::<BTreeMap<_, _>>()
    };
    let received = sums(
        "SELECT split_hash, token, ''::BYTEA, sum(amount)::TEXT FROM payments
         GROUP BY split_hash, token",
    )
    .await;
    let released = sums(
        "SELECT split_hash, token, payee, sum(amount)::TEXT FROM releases
         GROUP BY split_hash, token, payee",
    )
    .await;
    for (split, payees) in &splits {
        let split_hash = B256::from_slice(split);
        for token in [ETH, CREDITS] {
            let key = (split.clone(), token.to_vec(), Vec::new());
            assert_eq!(
                received.get(&key).copied().unwrap_or_default(),
                tributary
                    .total_received(split_hash, token)
                    .await
                    .expect("view"),
                "received by {split_hash} in {token}"
            );
            for payee in payees.iter().map(|p| Address::from_slice(p)) {
                let key = (split.clone(), token.to_vec(), payee.to_vec());
                let on_chain = tributary
                    .contract()
                    .released(split_hash, token, payee)
                    .call()
                    .await
                    .expect("view");
                assert_eq!(
                    released.get(&key).copied().unwrap_or_default(),
                    on_chain,
                    "released to {payee} from {split_hash} in {token}"
                );
            }
        }
    }

    // Accounts: credit balance and isLicensed, as the API answers them.
    let mut conn = pool.acquire().await.expect("connection");
    let checkpoint = db::checkpoint(&mut conn)
        .await
        .expect("checkpoint")
        .expect("indexed");
    drop(conn);
    let meta = db::Meta {
        chain_id: 31337,
        contract: tributary.address(),
        start_block: 0,
        streams: None,
        gda: None,
    };
    let app = api::router(api::AppState::new(pool.clone(), meta, Default::default()));
    let get = |path: String| {
        let app = app.clone();
        async move {
            let response = app
                .oneshot(
                    axum::http::Request::get(&path)
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("response");
            assert_eq!(response.status(), 200, "{path}");
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            serde_json::from_slice::<serde_json::Value>(&body).expect("json")
        }
    };
    let datasets: BTreeSet<u64> = (1..=count.to::<u64>()).collect();
    for &account in accounts {
        let credits = get(format!("/credits/{account}")).await;
        assert_eq!(
            credits["balance"],
            tributary
                .credit_balance(account)
                .await
                .expect("view")
                .to_string(),
            "credits of {account}"
        );
        for &dataset in &datasets {
            let answer = get(format!("/datasets/{dataset}/licensed/{account}")).await;
            assert_eq!(answer["at"]["block_number"], checkpoint.number);
            let on_chain = tributary
                .is_licensed(account, U256::from(dataset))
                .await
                .expect("view");
            assert_eq!(
                answer["licensed"], on_chain,
                "isLicensed({account}, {dataset}): {answer}"
            );
        }
    }
}
