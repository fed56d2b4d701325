//! Reading the suite's past from its events.
//!
//! The contract stores hashes (of terms, splits) and callers resend the full
//! values; the events carry them in full, so a client that was not there when
//! a dataset was registered rebuilds its split and offers, its versions, who
//! holds its licences and what was paid, from logs alone. Logs are read from
//! the suite's deployment block in ranges of at most [`LogScan::max_range`]
//! blocks; a range the node refuses (too many results, response too large, a
//! timeout) is halved and retried, so a public RPC's limits never turn into a
//! failure or a request for the whole history.

use std::collections::{BTreeMap, BTreeSet};

use alloy::{
    primitives::{Address, B256, TxHash, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};

use super::{Client, ITributary, Offer, Split, Terms, Tributary, TributaryInherited};
use crate::{Error, Result};

/// Where and how to read logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogScan {
    /// The first block that can hold the suite's events: its deployment block.
    pub from_block: u64,
    /// The widest block range asked for in one `eth_getLogs` call.
    pub max_range: u64,
}

impl LogScan {
    /// Scans from `from_block` in ranges of up to 10,000 blocks (a limit most
    /// hosted RPCs accept).
    pub const fn from_block(from_block: u64) -> Self {
        Self {
            from_block,
            max_range: 10_000,
        }
    }
}

/// An event of the suite, with where it was emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Emitted<E> {
    /// The decoded event.
    pub event: E,
    /// The block that holds it.
    pub block_number: u64,
    /// The transaction that emitted it.
    pub tx_hash: TxHash,
    /// Its position among the block's logs.
    pub log_index: u64,
}

/// A version of a dataset: registration is version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionRecord {
    /// The version number, from 1.
    pub version: u32,
    /// The anchored manifest hash (sha256 of the manifest's canonical JSON).
    pub manifest_hash: B256,
    /// Where the manifest is stored.
    pub uri: String,
    /// The block that anchored it.
    pub block_number: u64,
    /// The transaction that anchored it.
    pub tx_hash: TxHash,
}

/// Where a manifest hash was anchored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Anchor {
    /// The dataset.
    pub dataset_id: U256,
    /// The version that carries the manifest hash.
    pub version: VersionRecord,
}

/// A dataset's terms in full: the split (which the contract stores only as a
/// hash) and the offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetTerms {
    /// Payees and shares.
    pub split: Split,
    /// The offers, in index order.
    pub offers: Vec<Offer>,
}

impl DatasetTerms {
    /// The terms as callers resend them (`splitHash` and offers).
    pub fn terms(&self) -> Terms {
        Terms::new(&self.split, self.offers.clone())
    }
}

/// A split a payee is part of, and the tokens it has received payments in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayeeSplit {
    /// The split (payees and shares).
    pub split: Split,
    /// Its hash, the key of its accounts.
    pub split_hash: B256,
    /// Every token (ETH as the zero address, `CREDITS` for fiat) paid to it.
    pub tokens: BTreeSet<Address>,
}

impl Tributary {
    /// Every event `E` of this contract whose indexed topics match `topics`
    /// (`None` matches anything), in chain order.
    pub async fn events<E: SolEvent>(
        &self,
        scan: LogScan,
        topics: [Option<B256>; 3],
    ) -> Result<Vec<Emitted<E>>> {
        self.client().events(self.address(), scan, topics).await
    }

    /// The split and offers in force for `dataset_id`: those of its
    /// registration, or of the last `TermsSet`.
    pub async fn terms_of(&self, scan: LogScan, dataset_id: U256) -> Result<DatasetTerms> {
        let topic = Some(B256::from(dataset_id));
        let registered = self
            .events::<ITributary::DatasetRegistered>(scan, [topic, None, None])
            .await?;
        let Some(registration) = registered.into_iter().next() else {
            return Err(Error::UnknownDataset(dataset_id));
        };
        let changes = self
            .events::<ITributary::TermsSet>(scan, [topic, None, None])
            .await?;
        Ok(match changes.into_iter().last() {
            Some(change) => DatasetTerms {
                split: change.event.split,
                offers: change.event.offers,
            },
            None => DatasetTerms {
                split: registration.event.split,
                offers: registration.event.offers,
            },
        })
    }

    /// The registration event of `dataset_id`.
    pub async fn registration(
        &self,
        scan: LogScan,
        dataset_id: U256,
    ) -> Result<Emitted<ITributary::DatasetRegistered>> {
        self.events::<ITributary::DatasetRegistered>(
            scan,
            [Some(B256::from(dataset_id)), None, None],
        )
        .await?
        .into_iter()
        .next()
        .ok_or(Error::UnknownDataset(dataset_id))
    }

    /// Every version of `dataset_id`, oldest first.
    pub async fn versions_of(&self, scan: LogScan, dataset_id: U256) -> Result<Vec<VersionRecord>> {
        let registration = self.registration(scan, dataset_id).await?;
        let mut versions = vec![VersionRecord {
            version: 1,
            manifest_hash: registration.event.manifestHash,
            uri: registration.event.uri,
            block_number: registration.block_number,
            tx_hash: registration.tx_hash,
        }];
        let published = self
            .events::<ITributary::VersionPublished>(
                scan,
                [Some(B256::from(dataset_id)), None, None],
            )
            .await?;
        versions.extend(published.into_iter().map(|emitted| VersionRecord {
            version: emitted.event.version,
            manifest_hash: emitted.event.manifestHash,
            uri: emitted.event.uri,
            block_number: emitted.block_number,
            tx_hash: emitted.tx_hash,
        }));
        Ok(versions)
    }

    /// Every place `manifest_hash` was anchored, as a registration or a new
    /// version, in chain order.
    pub async fn anchors_of(&self, scan: LogScan, manifest_hash: B256) -> Result<Vec<Anchor>> {
        let registered = self
            .events::<ITributary::DatasetRegistered>(scan, [None, None, Some(manifest_hash)])
            .await?;
        let published = self
            .events::<ITributary::VersionPublished>(scan, [None, None, Some(manifest_hash)])
            .await?;
        let mut anchors: Vec<(u64, u64, Anchor)> = registered
            .into_iter()
            .map(|emitted| {
                let anchor = Anchor {
                    dataset_id: emitted.event.datasetId,
                    version: VersionRecord {
                        version: 1,
                        manifest_hash,
                        uri: emitted.event.uri,
                        block_number: emitted.block_number,
                        tx_hash: emitted.tx_hash,
                    },
                };
                (emitted.block_number, emitted.log_index, anchor)
            })
            .collect();
        anchors.extend(published.into_iter().map(|emitted| {
            let anchor = Anchor {
                dataset_id: emitted.event.datasetId,
                version: VersionRecord {
                    version: emitted.event.version,
                    manifest_hash,
                    uri: emitted.event.uri,
                    block_number: emitted.block_number,
                    tx_hash: emitted.tx_hash,
                },
            };
            (emitted.block_number, emitted.log_index, anchor)
        }));
        anchors.sort_by_key(|(block, index, _)| (*block, *index));
        Ok(anchors.into_iter().map(|(_, _, anchor)| anchor).collect())
    }

    /// The licence tokens `holder` holds now: every token ever transferred to
    /// them that they still own, lowest id first.
    pub async fn licences_held(&self, scan: LogScan, holder: Address) -> Result<Vec<U256>> {
        let received = self
            .events::<TributaryInherited::Transfer>(scan, [None, Some(holder.into_word()), None])
            .await?;
        let candidates: BTreeSet<U256> = received
            .into_iter()
            .map(|emitted| emitted.event.id)
            .collect();
        let mut held = Vec::new();
        for token_id in candidates {
            // A burnt token (none are today) would revert `ownerOf`: not held.
            if self.owner_of(token_id).await.ok() == Some(holder) {
                held.push(token_id);
            }
        }
        Ok(held)
    }

    /// Every split `payee` has been part of (a dataset's terms at some time),
    /// with the tokens each has been paid in.
    pub async fn splits_of_payee(&self, scan: LogScan, payee: Address) -> Result<Vec<PayeeSplit>> {
        let mut splits: BTreeMap<B256, Split> = BTreeMap::new();
        let mut keep = |split: Split| {
            if split.payees.contains(&payee) {
                splits.entry(split.hash()).or_insert(split);
            }
        };
        for emitted in self
            .events::<ITributary::DatasetRegistered>(scan, [None, None, None])
            .await?
        {
            keep(emitted.event.split);
        }
        for emitted in self
            .events::<ITributary::TermsSet>(scan, [None, None, None])
            .await?
        {
            keep(emitted.event.split);
        }
        let mut found = Vec::with_capacity(splits.len());
        for (split_hash, split) in splits {
            let tokens = self
                .events::<ITributary::PaymentReceived>(scan, [Some(split_hash), None, None])
                .await?
                .into_iter()
                .map(|emitted| emitted.event.token)
                .collect();
            found.push(PayeeSplit {
                split,
                split_hash,
                tokens,
            });
        }
        Ok(found)
    }

    /// The time (unix seconds) of the latest block: "now" for expiry checks.
    pub async fn latest_block_time(&self) -> Result<u64> {
        let head = self
            .client()
            .provider()
            .get_block_number()
            .await
            .map_err(Error::rpc)?;
        self.block_time(head).await
    }

    /// The time (unix seconds) of block `number`.
    pub async fn block_time(&self, number: u64) -> Result<u64> {
        let block = self
            .client()
            .provider()
            .get_block_by_number(number.into())
            .await
            .map_err(Error::rpc)?
            .ok_or(Error::MissingBlock(number))?;
        Ok(block.header.timestamp)
    }
}

impl Client {
    /// Every event `E` emitted by `address` whose indexed topics match `topics` (`None`
    /// matches anything), in chain order, read as `scan` says.
    pub async fn events<E: SolEvent>(
        &self,
        address: Address,
        scan: LogScan,
        topics: [Option<B256>; 3],
    ) -> Result<Vec<Emitted<E>>> {
        let mut filter = Filter::new()
            .address(address)
            .event_signature(E::SIGNATURE_HASH);
        if let Some(topic) = topics[0] {
            filter = filter.topic1(topic);
        }
        if let Some(topic) = topics[1] {
            filter = filter.topic2(topic);
        }
        if let Some(topic) = topics[2] {
            filter = filter.topic3(topic);
        }
        let logs = self.logs(scan, filter).await?;
        logs.iter().map(decode::<E>).collect()
    }

    /// The logs matching `filter` from `scan.from_block` to the latest block.
    async fn logs(&self, scan: LogScan, filter: Filter) -> Result<Vec<Log>> {
        let provider = self.provider();
        let head = provider.get_block_number().await.map_err(Error::rpc)?;
        let mut logs = Vec::new();
        let mut from = scan.from_block;
        let mut range = scan.max_range.max(1);
        while from <= head {
            let to = head.min(from.saturating_add(range - 1));
            let query = filter.clone().from_block(from).to_block(to);
            match provider.get_logs(&query).await {
                Ok(mut found) => {
                    logs.append(&mut found);
                    from = to + 1;
                    // Grow back after a shrink, as the node allows.
                    range = range.saturating_mul(2).min(scan.max_range.max(1));
                }
                // A range the node will not answer in one go: halve it.
                Err(_) if range > 1 => range /= 2,
                Err(err) => return Err(Error::rpc(err)),
            }
        }
        Ok(logs)
    }
}

fn decode<E: SolEvent>(log: &Log) -> Result<Emitted<E>> {
    let event = E::decode_log(&log.inner)
        .map_err(|err| Error::BadLog {
            event: E::SIGNATURE,
            reason: err.to_string(),
        })?
        .data;
    // Logs of mined blocks always carry these; a pending log would not.
    let missing = |field: &'static str| Error::BadLog {
        event: E::SIGNATURE,
        reason: format!("the node returned a log without its {field}"),
    };
    Ok(Emitted {
        event,
        block_number: log.block_number.ok_or_else(|| missing("block number"))?,
        tx_hash: log
            .transaction_hash
            .ok_or_else(|| missing("transaction hash"))?,
        log_index: log.log_index.ok_or_else(|| missing("log index"))?,
    })
}
