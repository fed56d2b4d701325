//! The Superfluid pools a payee is a member of, read from `TributaryStreams`' events: what
//! `tributary claim` needs to find streamed royalties without an indexer.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};

use super::{LogScan, Streams, bindings::streams_abi::ITributaryStreams};
use crate::Result;

/// A dataset's pool of one Super Token that an account has had units in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemberPool {
    /// The dataset whose subscriptions fill the pool.
    pub dataset_id: U256,
    /// The Super Token streamed.
    pub token: Address,
    /// The pool.
    pub pool: Address,
    /// The member's units at the last `MemberUnitsUpdated` (0: no longer a member, though
    /// the pool may still hold what it earned before).
    pub units: u128,
}

impl Streams {
    /// Every pool `member` has ever been given units in, with its latest units, ordered by
    /// dataset then token. `scan` should start at the contract's deployment block.
    pub async fn pools_of_member(&self, scan: LogScan, member: Address) -> Result<Vec<MemberPool>> {
        let updates = self
            .client()
            .events::<ITributaryStreams::MemberUnitsUpdated>(
                self.address(),
                scan,
                [None, None, Some(member.into_word())],
            )
            .await?;
        // Events come in chain order, so the last one per pool holds the current units.
        let mut pools: BTreeMap<(U256, Address), MemberPool> = BTreeMap::new();
        for update in updates {
            let event = update.event;
            pools.insert(
                (event.datasetId, event.token),
                MemberPool {
                    dataset_id: event.datasetId,
                    token: event.token,
                    pool: event.pool,
                    units: event.units,
                },
            );
        }
        Ok(pools.into_values().collect())
    }
}
