//! Logs decoded with the typed bindings of `tributary-core` into the
//! normalized tables. A log no binding knows (or that fails to decode) stays
//! in `raw_logs` only.

use alloy::{
    primitives::{B256, U256, keccak256},
    rpc::types::Log,
    sol_types::{SolEventInterface, SolValue},
};
use sqlx::PgConnection;
use tributary_core::{
    chain::{
        ITributary::ITributaryEvents,
        ITributaryTypes::{Offer, Split},
        Terms,
        TributaryInherited::{self, TributaryInheritedEvents},
    },
    signing,
};

use crate::error::{Error, Result};

/// Where a log sits on the chain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    pub(crate) block_number: i64,
    pub(crate) block_hash: B256,
    pub(crate) tx_hash: B256,
    pub(crate) log_index: i64,
}

impl Position {
    /// The position of a mined log; pending logs (without a block) are refused.
    pub(crate) fn of(log: &Log) -> Result<Self> {
        let missing = |field: &str| Error::Inconsistent(format!("a log without {field}"));
        Ok(Self {
            block_number: log
                .block_number
                .ok_or_else(|| missing("a block number"))?
                .try_into()
                .map_err(|_| missing("a BIGINT block number"))?,
            block_hash: log.block_hash.ok_or_else(|| missing("a block hash"))?,
            tx_hash: log
                .transaction_hash
                .ok_or_else(|| missing("a transaction hash"))?,
            log_index: log
                .log_index
                .ok_or_else(|| missing("a log index"))?
                .try_into()
                .map_err(|_| missing("a BIGINT log index"))?,
        })
    }
}

/// An event of the suite, from either part of its ABI.
#[derive(Debug)]
pub(crate) enum Event {
    /// Declared in `contracts/interfaces/`.
    Tributary(ITributaryEvents),
    /// Inherited from OpenZeppelin (ERC-721, AccessControl, Pausable).
    Inherited(TributaryInheritedEvents),
}

/// Decodes a log with the bindings, or `None` for a log they do not know.
pub(crate) fn decode(log: &Log) -> Option<Event> {
    let (topics, data) = (log.topics(), &log.data().data);
    if let Ok(event) = ITributaryEvents::decode_raw_log(topics, data) {
        return Some(Event::Tributary(event));
    }
    TributaryInheritedEvents::decode_raw_log(topics, data)
        .ok()
        .map(Event::Inherited)
}

/// `keccak256(abi.encode(offer))`: the `offerHash` of `LicenceIssued`.
pub fn offer_hash(offer: &Offer) -> B256 {
    keccak256(offer.abi_encode())
}

/// Decodes `log` and writes its normalized rows.
pub(crate) async fn apply(conn: &mut PgConnection, log: &Log) -> Result<()> {
    let Some(event) = decode(log) else {
        if let Some(topic0) = log.topic0() {
            tracing::debug!(%topic0, "log kept raw only: no binding decodes it");
        }
        return Ok(());
    };
    let at = Position::of(log)?;
    match event {
        Event::Tributary(event) => apply_tributary(conn, at, event).await,
        Event::Inherited(event) => apply_inherited(conn, at, event).await,
    }
}

/// A uint256 as the text PostgreSQL casts to NUMERIC.
fn num(value: U256) -> String {
    value.to_string()
}

async fn apply_tributary(
    conn: &mut PgConnection,
    at: Position,
    event: ITributaryEvents,
) -> Result<()> {
    use ITributaryEvents as E;
    match event {
        E::DatasetRegistered(e) => {
            sqlx::query(
                "INSERT INTO datasets (dataset_id, creator, manifest_hash, uri,
                     block_number, log_index, tx_hash)
                 VALUES ($1::NUMERIC, $2, $3, $4, $5, $6, $7)",
            )
            .bind(num(e.datasetId))
            .bind(e.creator.as_slice())
            .bind(e.manifestHash.as_slice())
            .bind(&e.uri)
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
            insert_version(conn, at, e.datasetId, 1, e.manifestHash, &e.uri).await?;
            insert_terms(conn, at, e.datasetId, &e.split, &e.offers).await?;
        }
        E::VersionPublished(e) => {
            insert_version(conn, at, e.datasetId, e.version, e.manifestHash, &e.uri).await?;
        }
        E::StatusChanged(e) => {
            sqlx::query(
                "INSERT INTO dataset_status_changes (dataset_id, status, block_number, log_index, tx_hash)
                 VALUES ($1::NUMERIC, $2, $3, $4, $5)",
            )
            .bind(num(e.datasetId))
            .bind(i16::from(e.status))
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::TermsSet(e) => insert_terms(conn, at, e.datasetId, &e.split, &e.offers).await?,
        E::BatchAnchored(e) => {
            sqlx::query(
                "INSERT INTO batch_anchors (root, anchorer, count, uri, block_number, log_index, tx_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(e.root.as_slice())
            .bind(e.anchorer.as_slice())
            .bind(i64::from(e.count))
            .bind(&e.uri)
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::LicenceIssued(e) => {
            sqlx::query(
                "INSERT INTO licences (token_id, dataset_id, holder, offer_hash, version,
                     expires_at, payment_ref, block_number, log_index, tx_hash)
                 VALUES ($1::NUMERIC, $2::NUMERIC, $3, $4, $5, $6::NUMERIC, $7, $8, $9, $10)",
            )
            .bind(num(e.tokenId))
            .bind(num(e.datasetId))
            .bind(e.holder.as_slice())
            .bind(e.offerHash.as_slice())
            .bind(i64::from(e.version))
            .bind(e.expiresAt.to_string())
            .bind(e.paymentRef.as_slice())
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::RevenueReported(e) => {
            sqlx::query(
                "INSERT INTO revenue_reports (token_id, dataset_id, token, revenue, royalty,
                     evidence_hash, block_number, log_index, tx_hash)
                 VALUES ($1::NUMERIC, $2::NUMERIC, $3, $4::NUMERIC, $5::NUMERIC, $6, $7, $8, $9)",
            )
            .bind(num(e.tokenId))
            .bind(num(e.datasetId))
            .bind(e.token.as_slice())
            .bind(num(e.revenue))
            .bind(num(e.royalty))
            .bind(e.evidenceHash.as_slice())
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::LicenceFlagged(e) => {
            sqlx::query(
                "INSERT INTO licence_flags (token_id, payment_id, block_number, log_index, tx_hash)
                 VALUES ($1::NUMERIC, $2, $3, $4, $5)",
            )
            .bind(num(e.tokenId))
            .bind(e.paymentId.as_slice())
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::PaymentReceived(e) => {
            sqlx::query(
                "INSERT INTO payments (split_hash, token, dataset_id, payer, amount, fee,
                     block_number, log_index, tx_hash)
                 VALUES ($1, $2, $3::NUMERIC, $4, $5::NUMERIC, $6::NUMERIC, $7, $8, $9)",
            )
            .bind(e.splitHash.as_slice())
            .bind(e.token.as_slice())
            .bind(num(e.datasetId))
            .bind(e.payer.as_slice())
            .bind(num(e.amount))
            .bind(num(e.fee))
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::PaymentReleased(e) => {
            sqlx::query(
                "INSERT INTO releases (payee, split_hash, token, amount, block_number, log_index, tx_hash)
                 VALUES ($1, $2, $3, $4::NUMERIC, $5, $6, $7)",
            )
            .bind(e.payee.as_slice())
            .bind(e.splitHash.as_slice())
            .bind(e.token.as_slice())
            .bind(num(e.amount))
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::ProtocolFeesReleased(e) => {
            sqlx::query(
                "INSERT INTO protocol_fee_releases (token, treasury, amount, block_number, log_index, tx_hash)
                 VALUES ($1, $2, $3::NUMERIC, $4, $5, $6)",
            )
            .bind(e.token.as_slice())
            .bind(e.treasury.as_slice())
            .bind(num(e.amount))
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::ProtocolFeeSet(e) => {
            sqlx::query(
                "INSERT INTO protocol_fee_changes (bps, treasury, block_number, log_index, tx_hash)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(i32::from(e.bps))
            .bind(e.treasury.as_slice())
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::TokenAllowed(e) => {
            sqlx::query(
                "INSERT INTO token_allowlist_changes (token, allowed, block_number, log_index, tx_hash)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(e.token.as_slice())
            .bind(e.allowed)
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::CreditsMinted(e) => {
            sqlx::query(
                "INSERT INTO credits_minted (payment_id, account, amount, block_number, log_index, tx_hash)
                 VALUES ($1, $2, $3::NUMERIC, $4, $5, $6)",
            )
            .bind(e.paymentId.as_slice())
            .bind(e.account.as_slice())
            .bind(num(e.amount))
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::CreditsSpent(e) => {
            sqlx::query(
                "INSERT INTO credits_spent (payment_id, token_id, amount, block_number, log_index, tx_hash)
                 VALUES ($1, $2::NUMERIC, $3::NUMERIC, $4, $5, $6)",
            )
            .bind(e.paymentId.as_slice())
            .bind(num(e.tokenId))
            .bind(num(e.amount))
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::CreditsReversed(e) => {
            let flagged: Vec<String> = e.flaggedTokenIds.iter().copied().map(num).collect();
            sqlx::query(
                "INSERT INTO credits_reversed (payment_id, account, burned, spent, flagged_token_ids,
                     block_number, log_index, tx_hash)
                 VALUES ($1, $2, $3::NUMERIC, $4::NUMERIC, $5::NUMERIC[], $6, $7, $8)",
            )
            .bind(e.paymentId.as_slice())
            .bind(e.account.as_slice())
            .bind(num(e.burned))
            .bind(num(e.spent))
            .bind(flagged)
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn apply_inherited(
    conn: &mut PgConnection,
    at: Position,
    event: TributaryInheritedEvents,
) -> Result<()> {
    use TributaryInheritedEvents as E;
    match event {
        E::Transfer(TributaryInherited::Transfer { from, to, id }) => {
            sqlx::query(
                "INSERT INTO licence_transfers (token_id, from_address, to_address,
                     block_number, log_index, tx_hash)
                 VALUES ($1::NUMERIC, $2, $3, $4, $5, $6)",
            )
            .bind(num(id))
            .bind(from.as_slice())
            .bind(to.as_slice())
            .bind(at.block_number)
            .bind(at.log_index)
            .bind(at.tx_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        }
        E::RoleGranted(e) => insert_role(conn, at, e.role, e.account, e.sender, true).await?,
        E::RoleRevoked(e) => insert_role(conn, at, e.role, e.account, e.sender, false).await?,
        E::Paused(e) => insert_pause(conn, at, true, e.account).await?,
        E::Unpaused(e) => insert_pause(conn, at, false, e.account).await?,
        // Approvals, role-admin changes and EIP-712 domain changes stay raw.
        _ => {}
    }
    Ok(())
}

async fn insert_version(
    conn: &mut PgConnection,
    at: Position,
    dataset_id: U256,
    version: u32,
    manifest_hash: B256,
    uri: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dataset_versions (dataset_id, version, manifest_hash, uri,
             block_number, log_index, tx_hash)
         VALUES ($1::NUMERIC, $2, $3, $4, $5, $6, $7)",
    )
    .bind(num(dataset_id))
    .bind(i64::from(version))
    .bind(manifest_hash.as_slice())
    .bind(uri)
    .bind(at.block_number)
    .bind(at.log_index)
    .bind(at.tx_hash.as_slice())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_terms(
    conn: &mut PgConnection,
    at: Position,
    dataset_id: U256,
    split: &Split,
    offers: &[Offer],
) -> Result<()> {
    let split_hash = signing::split_hash(split);
    let terms_hash = Terms::new(split, offers.to_vec()).hash();
    let payees: Vec<Vec<u8>> = split.payees.iter().map(|payee| payee.to_vec()).collect();
    let shares: Vec<i64> = split.shares.iter().map(|&share| i64::from(share)).collect();
    sqlx::query(
        "INSERT INTO dataset_terms (dataset_id, split_hash, terms_hash, payees, shares,
             block_number, log_index, tx_hash)
         VALUES ($1::NUMERIC, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(num(dataset_id))
    .bind(split_hash.as_slice())
    .bind(terms_hash.as_slice())
    .bind(payees)
    .bind(shares)
    .bind(at.block_number)
    .bind(at.log_index)
    .bind(at.tx_hash.as_slice())
    .execute(&mut *conn)
    .await?;
    for (index, offer) in offers.iter().enumerate() {
        sqlx::query(
            "INSERT INTO terms_offers (block_number, log_index, offer_index, dataset_id, kind,
                 payment_token, price, duration, transferable, royalty_bps, supply_cap,
                 terms_hash, offer_hash)
             VALUES ($1, $2, $3, $4::NUMERIC, $5, $6, $7::NUMERIC, $8::NUMERIC, $9, $10, $11, $12, $13)",
        )
        .bind(at.block_number)
        .bind(at.log_index)
        .bind(index as i32)
        .bind(num(dataset_id))
        .bind(i16::from(offer.kind))
        .bind(offer.paymentToken.as_slice())
        .bind(offer.price.to_string())
        .bind(offer.duration.to_string())
        .bind(offer.transferable)
        .bind(i32::from(offer.royaltyBps))
        .bind(i64::from(offer.supplyCap))
        .bind(offer.termsHash.as_slice())
        .bind(offer_hash(offer).as_slice())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_role(
    conn: &mut PgConnection,
    at: Position,
    role: B256,
    account: alloy::primitives::Address,
    sender: alloy::primitives::Address,
    granted: bool,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO role_changes (role, account, sender, granted, block_number, log_index, tx_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(role.as_slice())
    .bind(account.as_slice())
    .bind(sender.as_slice())
    .bind(granted)
    .bind(at.block_number)
    .bind(at.log_index)
    .bind(at.tx_hash.as_slice())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_pause(
    conn: &mut PgConnection,
    at: Position,
    paused: bool,
    account: alloy::primitives::Address,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO pause_changes (paused, account, block_number, log_index, tx_hash)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(paused)
    .bind(account.as_slice())
    .bind(at.block_number)
    .bind(at.log_index)
    .bind(at.tx_hash.as_slice())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_abis_share_no_event_signature() {
        // A log decoded by the interfaces' ABI is never meant for the inherited one.
        for selector in ITributaryEvents::SELECTORS {
            assert!(!TributaryInheritedEvents::SELECTORS.contains(selector));
        }
    }
}
