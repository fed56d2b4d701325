//! Logs decoded with the typed bindings of `tributary-core` into the
//! normalized tables. A log no binding knows (or that fails to decode) stays
//! in `raw_logs` only.
//!
//! A range's rows are gathered per table ([`Rows`]) and written with one
//! `INSERT … SELECT FROM UNNEST(…)` per table: one round trip per table
//! instead of one per row, whatever the number of logs.

use std::collections::{HashMap, HashSet};

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    rpc::types::Log,
    sol_types::{SolEvent, SolEventInterface, SolValue},
};
use sqlx::{PgConnection, Row};
use tributary_core::{
    chain::{
        ITributary::ITributaryEvents,
        ITributaryStreams::ITributaryStreamsEvents,
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

/// Superfluid's side, from `@superfluid-finance/ethereum-contracts` 1.15: the GDA's event
/// (`IGeneralDistributionAgreementV1.sol`; tokens and pools as plain addresses) and the host's
/// agreement lookup the indexer finds the GDA with.
pub mod superfluid {
    #![allow(missing_docs, clippy::too_many_arguments)]

    alloy::sol! {
        /// The General Distribution Agreement (the contract that emits the event).
        #[derive(Debug, PartialEq, Eq)]
        interface IGeneralDistributionAgreementV1 {
            event FlowDistributionUpdated(
                address indexed token,
                address indexed pool,
                address indexed distributor,
                address operator,
                int96 oldFlowRate,
                int96 newDistributorToPoolFlowRate,
                int96 newTotalDistributionFlowRate,
                address adjustmentFlowRecipient,
                int96 adjustmentFlowRate,
                bytes userData
            );
        }

        /// The host (`ISuperfluid`): where the agreements are registered.
        #[sol(rpc)]
        interface ISuperfluidHost {
            function getAgreementClass(bytes32 agreementType) external view returns (address agreementClass);
        }
    }

    /// The GDA's agreement type: `keccak256("org.superfluid-finance.agreements.GeneralDistributionAgreement.v1")`.
    pub fn gda_agreement_type() -> alloy::primitives::B256 {
        alloy::primitives::keccak256(
            "org.superfluid-finance.agreements.GeneralDistributionAgreement.v1",
        )
    }
}

use superfluid::IGeneralDistributionAgreementV1::FlowDistributionUpdated;

/// The contracts whose logs the indexer reads: the suite, and when streams are followed,
/// `TributaryStreams` and Superfluid's GDA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sources {
    /// The suite.
    pub tributary: Address,
    /// `TributaryStreams`, if followed.
    pub streams: Option<Address>,
    /// Superfluid's GDA (`FlowDistributionUpdated`), if streams are followed.
    pub gda: Option<Address>,
}

impl Sources {
    /// The suite alone.
    pub fn suite(tributary: Address) -> Self {
        Self {
            tributary,
            streams: None,
            gda: None,
        }
    }
}

/// An event of the suite, from either part of its ABI, or of the streams.
#[derive(Debug)]
pub(crate) enum Event {
    /// Declared in `contracts/interfaces/`.
    Tributary(ITributaryEvents),
    /// Inherited from OpenZeppelin (ERC-721, AccessControl, Pausable).
    Inherited(TributaryInheritedEvents),
    /// `ITributaryStreams`.
    Streams(ITributaryStreamsEvents),
    /// Superfluid's GDA.
    Flow(FlowDistributionUpdated),
}

/// Decodes a log with the bindings of the contract that emitted it, or `None` for a log they
/// do not know.
pub(crate) fn decode(sources: &Sources, log: &Log) -> Option<Event> {
    let (topics, data) = (log.topics(), &log.data().data);
    let address = log.address();
    if Some(address) == sources.streams {
        return ITributaryStreamsEvents::decode_raw_log(topics, data)
            .ok()
            .map(Event::Streams);
    }
    if Some(address) == sources.gda {
        return FlowDistributionUpdated::decode_raw_log(topics, data)
            .ok()
            .map(Event::Flow);
    }
    if address != sources.tributary {
        return None;
    }
    if let Ok(event) = ITributaryEvents::decode_raw_log(topics, data) {
        return Some(Event::Tributary(event));
    }
    TributaryInheritedEvents::decode_raw_log(topics, data)
        .ok()
        .map(Event::Inherited)
}

/// The topic of the GDA's `FlowDistributionUpdated`.
pub(crate) fn flow_topic() -> B256 {
    FlowDistributionUpdated::SIGNATURE_HASH
}

/// The pools `PoolCreated` logs of `streams` among `logs` name.
pub(crate) fn created_pools(streams: Address, logs: &[Log]) -> Vec<Address> {
    logs.iter()
        .filter(|log| log.address() == streams)
        .filter_map(|log| {
            match ITributaryStreamsEvents::decode_raw_log(log.topics(), &log.data().data) {
                Ok(ITributaryStreamsEvents::PoolCreated(e)) => Some(e.pool),
                _ => None,
            }
        })
        .collect()
}

/// `keccak256(abi.encode(offer))`: the `offerHash` of `LicenceIssued`.
pub fn offer_hash(offer: &Offer) -> B256 {
    keccak256(offer.abi_encode())
}

/// A uint256 as the text PostgreSQL casts to NUMERIC.
fn num(value: U256) -> String {
    value.to_string()
}

/// Bytes as a BYTEA column value.
fn bytes(value: impl AsRef<[u8]>) -> Vec<u8> {
    value.as_ref().to_vec()
}

/// Declares one table's column buffers: a struct with a `Vec` per column, a
/// `push` taking one row, and an `insert` writing every row pushed with the
/// given statement, which must bind the columns in the order declared (each
/// as an array, `UNNEST`ed).
macro_rules! table {
    ($(#[$doc:meta])* $name:ident { $($column:ident: $ty:ty),+ $(,)? } => $sql:expr) => {
        $(#[$doc])*
        #[derive(Debug, Default)]
        struct $name {
            $($column: Vec<$ty>,)+
        }

        impl $name {
            #[allow(clippy::too_many_arguments)]
            fn push(&mut self, $($column: $ty),+) {
                $(self.$column.push($column);)+
            }

            async fn insert(self, conn: &mut PgConnection) -> Result<()> {
                let Self { $($column,)+ } = self;
                if [$($column.len()),+].iter().all(|&len| len == 0) {
                    return Ok(());
                }
                sqlx::query($sql)$(.bind($column))+.execute(&mut *conn).await?;
                Ok(())
            }
        }
    };
}

table! {
    /// `datasets`: one row per `DatasetRegistered`.
    Datasets {
        dataset_id: String, creator: Vec<u8>, manifest_hash: Vec<u8>, uri: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO datasets (dataset_id, creator, manifest_hash, uri,
              block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BYTEA[], $4::TEXT[],
              $5::BIGINT[], $6::BIGINT[], $7::BYTEA[])"
}

table! {
    /// `dataset_versions`: version 1 of each registration, and each `VersionPublished`.
    Versions {
        dataset_id: String, version: i64, manifest_hash: Vec<u8>, uri: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO dataset_versions (dataset_id, version, manifest_hash, uri,
              block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BIGINT[], $3::BYTEA[], $4::TEXT[],
              $5::BIGINT[], $6::BIGINT[], $7::BYTEA[])"
}

table! {
    /// `dataset_status_changes`: each `StatusChanged`.
    StatusChanges {
        dataset_id: String, status: i16,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO dataset_status_changes (dataset_id, status, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::SMALLINT[], $3::BIGINT[], $4::BIGINT[],
              $5::BYTEA[])"
}

table! {
    /// `dataset_terms`: the split of each registration and `TermsSet`. A row's
    /// payees travel as one BYTEA of 20-byte addresses and its shares as
    /// comma-separated text (UNNEST cannot take arrays of unequal lengths);
    /// the statement turns them back into arrays.
    DatasetTerms {
        dataset_id: String, split_hash: Vec<u8>, terms_hash: Vec<u8>,
        payees: Vec<u8>, shares: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO dataset_terms (dataset_id, split_hash, terms_hash, payees, shares,
              block_number, log_index, tx_hash)
          SELECT r.dataset_id, r.split_hash, r.terms_hash,
              ARRAY(SELECT substring(r.payees FROM 20 * g + 1 FOR 20)
                    FROM generate_series(0, length(r.payees) / 20 - 1) AS g ORDER BY g),
              string_to_array(r.shares, ',')::BIGINT[],
              r.block_number, r.log_index, r.tx_hash
          FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BYTEA[], $4::BYTEA[], $5::TEXT[],
              $6::BIGINT[], $7::BIGINT[], $8::BYTEA[])
              AS r(dataset_id, split_hash, terms_hash, payees, shares,
                   block_number, log_index, tx_hash)"
}

table! {
    /// `terms_offers`: each offer of each registration and `TermsSet`.
    TermsOffers {
        block_number: i64, log_index: i64, offer_index: i32, dataset_id: String, kind: i16,
        payment_token: Vec<u8>, price: String, duration: String, transferable: bool,
        royalty_bps: i32, supply_cap: i64, terms_hash: Vec<u8>, offer_hash: Vec<u8>,
    } => "INSERT INTO terms_offers (block_number, log_index, offer_index, dataset_id, kind,
              payment_token, price, duration, transferable, royalty_bps, supply_cap,
              terms_hash, offer_hash)
          SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::INTEGER[], $4::NUMERIC[],
              $5::SMALLINT[], $6::BYTEA[], $7::NUMERIC[], $8::NUMERIC[], $9::BOOLEAN[],
              $10::INTEGER[], $11::BIGINT[], $12::BYTEA[], $13::BYTEA[])"
}

table! {
    /// `batch_anchors`: each `BatchAnchored`.
    BatchAnchors {
        root: Vec<u8>, anchorer: Vec<u8>, count: i64, uri: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO batch_anchors (root, anchorer, count, uri, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::BIGINT[], $4::TEXT[],
              $5::BIGINT[], $6::BIGINT[], $7::BYTEA[])"
}

table! {
    /// `licences`: each `LicenceIssued`.
    Licences {
        token_id: String, dataset_id: String, holder: Vec<u8>, offer_hash: Vec<u8>,
        version: i64, expires_at: String, payment_ref: Vec<u8>,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO licences (token_id, dataset_id, holder, offer_hash, version, expires_at,
              payment_ref, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::NUMERIC[], $3::BYTEA[], $4::BYTEA[],
              $5::BIGINT[], $6::NUMERIC[], $7::BYTEA[], $8::BIGINT[], $9::BIGINT[], $10::BYTEA[])"
}

table! {
    /// `licence_transfers`: each ERC-721 `Transfer`, mints included.
    LicenceTransfers {
        token_id: String, from_address: Vec<u8>, to_address: Vec<u8>,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO licence_transfers (token_id, from_address, to_address,
              block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BYTEA[],
              $4::BIGINT[], $5::BIGINT[], $6::BYTEA[])"
}

table! {
    /// `licence_flags`: each `LicenceFlagged`.
    LicenceFlags {
        token_id: String, payment_id: Vec<u8>,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO licence_flags (token_id, payment_id, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BIGINT[], $4::BIGINT[],
              $5::BYTEA[])"
}

table! {
    /// `revenue_reports`: each `RevenueReported`.
    RevenueReports {
        token_id: String, dataset_id: String, token: Vec<u8>, revenue: String, royalty: String,
        evidence_hash: Vec<u8>, block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO revenue_reports (token_id, dataset_id, token, revenue, royalty,
              evidence_hash, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::NUMERIC[], $3::BYTEA[], $4::NUMERIC[],
              $5::NUMERIC[], $6::BYTEA[], $7::BIGINT[], $8::BIGINT[], $9::BYTEA[])"
}

table! {
    /// `payments`: each `PaymentReceived`.
    Payments {
        split_hash: Vec<u8>, token: Vec<u8>, dataset_id: String, payer: Vec<u8>,
        amount: String, fee: String, block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO payments (split_hash, token, dataset_id, payer, amount, fee,
              block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::NUMERIC[], $4::BYTEA[],
              $5::NUMERIC[], $6::NUMERIC[], $7::BIGINT[], $8::BIGINT[], $9::BYTEA[])"
}

table! {
    /// `releases`: each `PaymentReleased`.
    Releases {
        payee: Vec<u8>, split_hash: Vec<u8>, token: Vec<u8>, amount: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO releases (payee, split_hash, token, amount, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::BYTEA[], $4::NUMERIC[],
              $5::BIGINT[], $6::BIGINT[], $7::BYTEA[])"
}

table! {
    /// `protocol_fee_releases`: each `ProtocolFeesReleased`.
    ProtocolFeeReleases {
        token: Vec<u8>, treasury: Vec<u8>, amount: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO protocol_fee_releases (token, treasury, amount, block_number, log_index,
              tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::NUMERIC[], $4::BIGINT[],
              $5::BIGINT[], $6::BYTEA[])"
}

table! {
    /// `protocol_fee_changes`: each `ProtocolFeeSet`.
    ProtocolFeeChanges {
        bps: i32, treasury: Vec<u8>, block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO protocol_fee_changes (bps, treasury, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::INTEGER[], $2::BYTEA[], $3::BIGINT[], $4::BIGINT[],
              $5::BYTEA[])"
}

table! {
    /// `token_allowlist_changes`: each `TokenAllowed`.
    TokenAllowlistChanges {
        token: Vec<u8>, allowed: bool, block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO token_allowlist_changes (token, allowed, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::BOOLEAN[], $3::BIGINT[], $4::BIGINT[],
              $5::BYTEA[])"
}

table! {
    /// `credits_minted`: each `CreditsMinted`.
    CreditsMinted {
        payment_id: Vec<u8>, account: Vec<u8>, amount: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO credits_minted (payment_id, account, amount, block_number, log_index,
              tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::NUMERIC[], $4::BIGINT[],
              $5::BIGINT[], $6::BYTEA[])"
}

table! {
    /// `credits_spent`: each `CreditsSpent`.
    CreditsSpent {
        payment_id: Vec<u8>, token_id: String, amount: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO credits_spent (payment_id, token_id, amount, block_number, log_index,
              tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::NUMERIC[], $3::NUMERIC[], $4::BIGINT[],
              $5::BIGINT[], $6::BYTEA[])"
}

table! {
    /// `credits_reversed`: each `CreditsReversed`; the flagged token ids travel
    /// as comma-separated text (see `DatasetTerms`).
    CreditsReversed {
        payment_id: Vec<u8>, account: Vec<u8>, burned: String, spent: String,
        flagged_token_ids: String, block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO credits_reversed (payment_id, account, burned, spent, flagged_token_ids,
              block_number, log_index, tx_hash)
          SELECT r.payment_id, r.account, r.burned, r.spent,
              string_to_array(r.flagged, ',')::NUMERIC[],
              r.block_number, r.log_index, r.tx_hash
          FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::NUMERIC[], $4::NUMERIC[], $5::TEXT[],
              $6::BIGINT[], $7::BIGINT[], $8::BYTEA[])
              AS r(payment_id, account, burned, spent, flagged, block_number, log_index, tx_hash)"
}

table! {
    /// `role_changes`: each `RoleGranted` and `RoleRevoked`.
    RoleChanges {
        role: Vec<u8>, account: Vec<u8>, sender: Vec<u8>, granted: bool,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO role_changes (role, account, sender, granted, block_number, log_index,
              tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::BYTEA[], $4::BOOLEAN[],
              $5::BIGINT[], $6::BIGINT[], $7::BYTEA[])"
}

table! {
    /// `pause_changes`: each `Paused` and `Unpaused`.
    PauseChanges {
        paused: bool, account: Vec<u8>, block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO pause_changes (paused, account, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::BOOLEAN[], $2::BYTEA[], $3::BIGINT[], $4::BIGINT[],
              $5::BYTEA[])"
}

table! {
    /// `stream_pools`: each `PoolCreated`.
    StreamPools {
        dataset_id: String, token: Vec<u8>, pool: Vec<u8>,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO stream_pools (dataset_id, token, pool, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BYTEA[], $4::BIGINT[],
              $5::BIGINT[], $6::BYTEA[])"
}

table! {
    /// `stream_terms`: each `SubscriptionSynced`.
    StreamTerms {
        dataset_id: String, token: Vec<u8>, pool: Vec<u8>, min_flow_rate: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO stream_terms (dataset_id, token, pool, min_flow_rate, block_number,
              log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BYTEA[], $4::NUMERIC[],
              $5::BIGINT[], $6::BIGINT[], $7::BYTEA[])"
}

table! {
    /// `stream_member_units`: each `MemberUnitsUpdated` of `TributaryStreams`.
    StreamMemberUnits {
        dataset_id: String, token: Vec<u8>, member: Vec<u8>, pool: Vec<u8>, units: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO stream_member_units (dataset_id, token, member, pool, units, block_number,
              log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BYTEA[], $4::BYTEA[],
              $5::NUMERIC[], $6::BIGINT[], $7::BIGINT[], $8::BYTEA[])"
}

table! {
    /// `stream_terms_synced`: each `TermsSynced`.
    StreamTermsSynced {
        dataset_id: String, terms_hash: Vec<u8>,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO stream_terms_synced (dataset_id, terms_hash, block_number, log_index,
              tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BIGINT[], $4::BIGINT[],
              $5::BYTEA[])"
}

table! {
    /// `stream_dust_sweeps`: each `DustSwept`.
    StreamDustSweeps {
        token: Vec<u8>, treasury: Vec<u8>, amount: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO stream_dust_sweeps (token, treasury, amount, block_number, log_index,
              tx_hash)
          SELECT * FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::NUMERIC[], $4::BIGINT[],
              $5::BIGINT[], $6::BYTEA[])"
}

table! {
    /// `stream_flow_updates`: each `FlowDistributionUpdated` to a pool of `stream_pools`.
    StreamFlowUpdates {
        dataset_id: String, token: Vec<u8>, pool: Vec<u8>, distributor: Vec<u8>,
        operator: Vec<u8>, old_flow_rate: String, flow_rate: String,
        total_distribution_flow_rate: String, adjustment_flow_recipient: Vec<u8>,
        adjustment_flow_rate: String, block_time: i64, streamed_until: String,
        block_number: i64, log_index: i64, tx_hash: Vec<u8>,
    } => "INSERT INTO stream_flow_updates (dataset_id, token, pool, distributor, operator,
              old_flow_rate, flow_rate, total_distribution_flow_rate, adjustment_flow_recipient,
              adjustment_flow_rate, block_time, streamed_until, block_number, log_index, tx_hash)
          SELECT * FROM UNNEST($1::NUMERIC[], $2::BYTEA[], $3::BYTEA[], $4::BYTEA[],
              $5::BYTEA[], $6::NUMERIC[], $7::NUMERIC[], $8::NUMERIC[], $9::BYTEA[],
              $10::NUMERIC[], $11::BIGINT[], $12::NUMERIC[], $13::BIGINT[], $14::BIGINT[],
              $15::BYTEA[])"
}

/// A `FlowDistributionUpdated` waiting for its pool's dataset and the flow's previous state,
/// both read inside the commit's transaction (after a rollback, if any).
#[derive(Debug)]
struct PendingFlow {
    at: Position,
    block_time: i64,
    event: FlowDistributionUpdated,
}

/// A flow's last known state: its rate since `time`, and what it streamed up to `time`.
#[derive(Debug, Clone, Copy)]
struct FlowState {
    rate: U256,
    time: i64,
    streamed: U256,
}

/// The decoded rows of a range, gathered per table.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    sources: Option<Sources>,
    stream_pools: StreamPools,
    stream_terms: StreamTerms,
    stream_units: StreamMemberUnits,
    stream_synced: StreamTermsSynced,
    stream_sweeps: StreamDustSweeps,
    stream_flows: StreamFlowUpdates,
    /// Pools created in the range: pool -> dataset id.
    new_pools: HashMap<Address, String>,
    pending_flows: Vec<PendingFlow>,
    datasets: Datasets,
    versions: Versions,
    status_changes: StatusChanges,
    terms: DatasetTerms,
    offers: TermsOffers,
    batch_anchors: BatchAnchors,
    licences: Licences,
    transfers: LicenceTransfers,
    flags: LicenceFlags,
    revenue_reports: RevenueReports,
    payments: Payments,
    releases: Releases,
    fee_releases: ProtocolFeeReleases,
    fee_changes: ProtocolFeeChanges,
    allowlist: TokenAllowlistChanges,
    credits_minted: CreditsMinted,
    credits_spent: CreditsSpent,
    credits_reversed: CreditsReversed,
    roles: RoleChanges,
    pauses: PauseChanges,
}

impl Rows {
    /// Rows of logs of `sources`.
    pub(crate) fn new(sources: Sources) -> Self {
        Self {
            sources: Some(sources),
            ..Self::default()
        }
    }

    /// Decodes `log` and adds its rows; a log no binding knows adds none.
    pub(crate) fn add(&mut self, log: &Log) -> Result<()> {
        let sources = self
            .sources
            .ok_or_else(|| Error::Inconsistent("rows without sources".into()))?;
        let Some(event) = decode(&sources, log) else {
            if let Some(topic0) = log.topic0() {
                tracing::debug!(%topic0, "log kept raw only: no binding decodes it");
            }
            return Ok(());
        };
        let at = Position::of(log)?;
        match event {
            Event::Tributary(event) => self.add_tributary(&at, event),
            Event::Inherited(event) => self.add_inherited(&at, event),
            Event::Streams(event) => self.add_streams(&at, event),
            Event::Flow(event) => {
                let block_time = log
                    .block_timestamp
                    .and_then(|time| i64::try_from(time).ok())
                    .ok_or_else(|| {
                        Error::Inconsistent(format!(
                            "a flow log of block {} without its block's timestamp",
                            at.block_number
                        ))
                    })?;
                self.pending_flows.push(PendingFlow {
                    at,
                    block_time,
                    event,
                });
            }
        }
        Ok(())
    }

    /// Gives each pending flow update its dataset (from its pool's `stream_pools` row, in the
    /// database or in this range) and its `streamed_until` (from the flow's previous row, in
    /// the database or earlier in this range). Runs in the commit's transaction, after the
    /// rollback if any, so the database holds exactly the chain below the range. Returns the
    /// positions of flow logs whose pool is not one of `TributaryStreams`' on this chain (only
    /// after a reorg removed a pool the fetch still asked for): they are not mirrored at all.
    pub(crate) async fn resolve_flows(
        &mut self,
        conn: &mut PgConnection,
    ) -> Result<HashSet<(i64, i64)>> {
        let mut dropped = HashSet::new();
        if self.pending_flows.is_empty() {
            return Ok(dropped);
        }
        let pending = std::mem::take(&mut self.pending_flows);
        // The pools' datasets.
        let mut datasets = self.new_pools.clone();
        let asked: Vec<Vec<u8>> = pending
            .iter()
            .map(|flow| flow.event.pool)
            .filter(|pool| !datasets.contains_key(pool))
            .collect::<HashSet<_>>()
            .into_iter()
            .map(bytes)
            .collect();
        if !asked.is_empty() {
            let rows = sqlx::query(
                "SELECT pool, dataset_id::TEXT FROM stream_pools WHERE pool = ANY($1::BYTEA[])",
            )
            .bind(asked)
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                let pool = crate::error::address(row.try_get::<&[u8], _>(0)?)?;
                datasets.insert(pool, row.try_get::<String, _>(1)?);
            }
        }
        // The flows' last rows below the range.
        let keys: HashSet<(Address, Address)> = pending
            .iter()
            .filter(|flow| datasets.contains_key(&flow.event.pool))
            .map(|flow| (flow.event.pool, flow.event.distributor))
            .collect();
        let (pools, distributors): (Vec<Vec<u8>>, Vec<Vec<u8>>) = keys
            .iter()
            .map(|(pool, distributor)| (bytes(pool), bytes(distributor)))
            .unzip();
        let mut states: HashMap<(Address, Address), FlowState> = HashMap::new();
        if !pools.is_empty() {
            let rows = sqlx::query(
                "SELECT DISTINCT ON (u.pool, u.distributor) u.pool, u.distributor,
                        u.flow_rate::TEXT, u.block_time, u.streamed_until::TEXT
                 FROM stream_flow_updates u
                 JOIN UNNEST($1::BYTEA[], $2::BYTEA[]) AS k(pool, distributor)
                   ON u.pool = k.pool AND u.distributor = k.distributor
                 ORDER BY u.pool, u.distributor, u.block_number DESC, u.log_index DESC",
            )
            .bind(pools)
            .bind(distributors)
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                let key = (
                    crate::error::address(row.try_get::<&[u8], _>(0)?)?,
                    crate::error::address(row.try_get::<&[u8], _>(1)?)?,
                );
                states.insert(
                    key,
                    FlowState {
                        rate: parse_u256(&row.try_get::<String, _>(2)?)?,
                        time: row.try_get(3)?,
                        streamed: parse_u256(&row.try_get::<String, _>(4)?)?,
                    },
                );
            }
        }
        for flow in pending {
            let e = &flow.event;
            let Some(dataset) = datasets.get(&e.pool) else {
                dropped.insert((flow.at.block_number, flow.at.log_index));
                continue;
            };
            let key = (e.pool, e.distributor);
            let streamed = match states.get(&key) {
                Some(state) => {
                    let seconds =
                        U256::from(flow.block_time.saturating_sub(state.time).max(0) as u64);
                    state.streamed + state.rate * seconds
                }
                None => U256::ZERO,
            };
            let rate = e.newDistributorToPoolFlowRate;
            states.insert(
                key,
                FlowState {
                    // The GDA refuses negative rates.
                    // (By its decimal form: alloy's int96-to-u128 conversion refuses
                    // positive values.)
                    rate: rate.to_string().parse().unwrap_or_default(),
                    time: flow.block_time,
                    streamed,
                },
            );
            self.stream_flows.push(
                dataset.clone(),
                bytes(e.token),
                bytes(e.pool),
                bytes(e.distributor),
                bytes(e.operator),
                e.oldFlowRate.to_string(),
                rate.to_string(),
                e.newTotalDistributionFlowRate.to_string(),
                bytes(e.adjustmentFlowRecipient),
                e.adjustmentFlowRate.to_string(),
                flow.block_time,
                streamed.to_string(),
                flow.at.block_number,
                flow.at.log_index,
                bytes(flow.at.tx_hash),
            );
        }
        Ok(dropped)
    }

    /// Writes every row added, one statement per table that has rows.
    pub(crate) async fn insert(self, conn: &mut PgConnection) -> Result<()> {
        let Self {
            datasets,
            versions,
            status_changes,
            terms,
            offers,
            batch_anchors,
            licences,
            transfers,
            flags,
            revenue_reports,
            payments,
            releases,
            fee_releases,
            fee_changes,
            allowlist,
            credits_minted,
            credits_spent,
            credits_reversed,
            roles,
            pauses,
            sources: _,
            stream_pools,
            stream_terms,
            stream_units,
            stream_synced,
            stream_sweeps,
            stream_flows,
            new_pools: _,
            pending_flows,
        } = self;
        if !pending_flows.is_empty() {
            return Err(Error::Inconsistent(
                "flow updates inserted before their datasets were resolved".into(),
            ));
        }
        datasets.insert(conn).await?;
        versions.insert(conn).await?;
        status_changes.insert(conn).await?;
        terms.insert(conn).await?;
        offers.insert(conn).await?;
        batch_anchors.insert(conn).await?;
        licences.insert(conn).await?;
        transfers.insert(conn).await?;
        flags.insert(conn).await?;
        revenue_reports.insert(conn).await?;
        payments.insert(conn).await?;
        releases.insert(conn).await?;
        fee_releases.insert(conn).await?;
        fee_changes.insert(conn).await?;
        allowlist.insert(conn).await?;
        credits_minted.insert(conn).await?;
        credits_spent.insert(conn).await?;
        credits_reversed.insert(conn).await?;
        roles.insert(conn).await?;
        pauses.insert(conn).await?;
        stream_pools.insert(conn).await?;
        stream_terms.insert(conn).await?;
        stream_units.insert(conn).await?;
        stream_synced.insert(conn).await?;
        stream_sweeps.insert(conn).await?;
        stream_flows.insert(conn).await?;
        Ok(())
    }

    fn add_tributary(&mut self, at: &Position, event: ITributaryEvents) {
        use ITributaryEvents as E;
        let (block, index, tx) = (at.block_number, at.log_index, bytes(at.tx_hash));
        match event {
            E::DatasetRegistered(e) => {
                self.datasets.push(
                    num(e.datasetId),
                    bytes(e.creator),
                    bytes(e.manifestHash),
                    e.uri.clone(),
                    block,
                    index,
                    tx.clone(),
                );
                self.add_version(at, e.datasetId, 1, e.manifestHash, e.uri);
                self.add_terms(at, e.datasetId, &e.split, &e.offers);
            }
            E::VersionPublished(e) => {
                self.add_version(at, e.datasetId, e.version, e.manifestHash, e.uri);
            }
            E::StatusChanged(e) => {
                self.status_changes
                    .push(num(e.datasetId), i16::from(e.status), block, index, tx);
            }
            E::TermsSet(e) => self.add_terms(at, e.datasetId, &e.split, &e.offers),
            E::BatchAnchored(e) => self.batch_anchors.push(
                bytes(e.root),
                bytes(e.anchorer),
                i64::from(e.count),
                e.uri,
                block,
                index,
                tx,
            ),
            E::LicenceIssued(e) => self.licences.push(
                num(e.tokenId),
                num(e.datasetId),
                bytes(e.holder),
                bytes(e.offerHash),
                i64::from(e.version),
                e.expiresAt.to_string(),
                bytes(e.paymentRef),
                block,
                index,
                tx,
            ),
            E::RevenueReported(e) => self.revenue_reports.push(
                num(e.tokenId),
                num(e.datasetId),
                bytes(e.token),
                num(e.revenue),
                num(e.royalty),
                bytes(e.evidenceHash),
                block,
                index,
                tx,
            ),
            E::LicenceFlagged(e) => {
                self.flags
                    .push(num(e.tokenId), bytes(e.paymentId), block, index, tx);
            }
            E::PaymentReceived(e) => self.payments.push(
                bytes(e.splitHash),
                bytes(e.token),
                num(e.datasetId),
                bytes(e.payer),
                num(e.amount),
                num(e.fee),
                block,
                index,
                tx,
            ),
            E::PaymentReleased(e) => self.releases.push(
                bytes(e.payee),
                bytes(e.splitHash),
                bytes(e.token),
                num(e.amount),
                block,
                index,
                tx,
            ),
            E::ProtocolFeesReleased(e) => self.fee_releases.push(
                bytes(e.token),
                bytes(e.treasury),
                num(e.amount),
                block,
                index,
                tx,
            ),
            E::ProtocolFeeSet(e) => {
                self.fee_changes
                    .push(i32::from(e.bps), bytes(e.treasury), block, index, tx);
            }
            E::TokenAllowed(e) => {
                self.allowlist
                    .push(bytes(e.token), e.allowed, block, index, tx);
            }
            E::CreditsMinted(e) => self.credits_minted.push(
                bytes(e.paymentId),
                bytes(e.account),
                num(e.amount),
                block,
                index,
                tx,
            ),
            E::CreditsSpent(e) => self.credits_spent.push(
                bytes(e.paymentId),
                num(e.tokenId),
                num(e.amount),
                block,
                index,
                tx,
            ),
            E::CreditsReversed(e) => self.credits_reversed.push(
                bytes(e.paymentId),
                bytes(e.account),
                num(e.burned),
                num(e.spent),
                comma_separated(e.flaggedTokenIds.iter()),
                block,
                index,
                tx,
            ),
        }
    }

    fn add_inherited(&mut self, at: &Position, event: TributaryInheritedEvents) {
        use TributaryInheritedEvents as E;
        let (block, index, tx) = (at.block_number, at.log_index, bytes(at.tx_hash));
        match event {
            E::Transfer(TributaryInherited::Transfer { from, to, id }) => {
                self.transfers
                    .push(num(id), bytes(from), bytes(to), block, index, tx);
            }
            E::RoleGranted(e) => self.add_role(at, e.role, e.account, e.sender, true),
            E::RoleRevoked(e) => self.add_role(at, e.role, e.account, e.sender, false),
            E::Paused(e) => self.pauses.push(true, bytes(e.account), block, index, tx),
            E::Unpaused(e) => self.pauses.push(false, bytes(e.account), block, index, tx),
            // Approvals, role-admin changes and EIP-712 domain changes stay raw.
            _ => {}
        }
    }

    fn add_streams(&mut self, at: &Position, event: ITributaryStreamsEvents) {
        use ITributaryStreamsEvents as E;
        let (block, index, tx) = (at.block_number, at.log_index, bytes(at.tx_hash));
        match event {
            E::PoolCreated(e) => {
                self.new_pools.insert(e.pool, num(e.datasetId));
                self.stream_pools.push(
                    num(e.datasetId),
                    bytes(e.token),
                    bytes(e.pool),
                    block,
                    index,
                    tx,
                );
            }
            E::SubscriptionSynced(e) => self.stream_terms.push(
                num(e.datasetId),
                bytes(e.token),
                bytes(e.pool),
                e.minFlowRate.to_string(),
                block,
                index,
                tx,
            ),
            E::MemberUnitsUpdated(e) => self.stream_units.push(
                num(e.datasetId),
                bytes(e.token),
                bytes(e.member),
                bytes(e.pool),
                e.units.to_string(),
                block,
                index,
                tx,
            ),
            E::TermsSynced(e) => {
                self.stream_synced
                    .push(num(e.datasetId), bytes(e.termsHash), block, index, tx);
            }
            E::DustSwept(e) => self.stream_sweeps.push(
                bytes(e.token),
                bytes(e.treasury),
                num(e.amount),
                block,
                index,
                tx,
            ),
        }
    }

    fn add_version(
        &mut self,
        at: &Position,
        dataset_id: U256,
        version: u32,
        manifest_hash: B256,
        uri: String,
    ) {
        self.versions.push(
            num(dataset_id),
            i64::from(version),
            bytes(manifest_hash),
            uri,
            at.block_number,
            at.log_index,
            bytes(at.tx_hash),
        );
    }

    fn add_terms(&mut self, at: &Position, dataset_id: U256, split: &Split, offers: &[Offer]) {
        let terms_hash = Terms::new(split, offers.to_vec()).hash();
        self.terms.push(
            num(dataset_id),
            bytes(signing::split_hash(split)),
            bytes(terms_hash),
            split.payees.iter().flat_map(|payee| payee.0).collect(),
            comma_separated(split.shares.iter()),
            at.block_number,
            at.log_index,
            bytes(at.tx_hash),
        );
        for (index, offer) in offers.iter().enumerate() {
            self.offers.push(
                at.block_number,
                at.log_index,
                index as i32,
                num(dataset_id),
                i16::from(offer.kind),
                bytes(offer.paymentToken),
                offer.price.to_string(),
                offer.duration.to_string(),
                offer.transferable,
                i32::from(offer.royaltyBps),
                i64::from(offer.supplyCap),
                bytes(offer.termsHash),
                bytes(offer_hash(offer)),
            );
        }
    }

    fn add_role(
        &mut self,
        at: &Position,
        role: B256,
        account: Address,
        sender: Address,
        granted: bool,
    ) {
        self.roles.push(
            bytes(role),
            bytes(account),
            bytes(sender),
            granted,
            at.block_number,
            at.log_index,
            bytes(at.tx_hash),
        );
    }
}

/// A NUMERIC read back as text.
fn parse_u256(text: &str) -> Result<U256> {
    text.parse()
        .map_err(|_| Error::Inconsistent(format!("{text} is not a uint256")))
}

/// `1,2,3`: how a variable-length list of numbers travels in one UNNEST column.
fn comma_separated<T: ToString>(values: impl Iterator<Item = T>) -> String {
    values
        .map(|value| value.to_string())
        .collect::<Vec<_>>()
        .join(",")
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

    #[test]
    fn lists_travel_as_comma_separated_text() {
        assert_eq!(comma_separated([7u32, 3].iter()), "7,3");
        assert_eq!(comma_separated(std::iter::empty::<u32>()), "");
    }
}
