//! The registry's events, encoded word by word with `tributary_stylus_common::abi`: the same
//! logs as `emit` of the `sol!` events (the tests compare them byte for byte with events
//! encoded from `abi/ITributary.json`), without alloy's generic encoder for each event type,
//! which would not fit the contract in Arbitrum's 24 KiB.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::stylus_core::host::RawLogAccess;
use tributary_stylus_common::{abi, Offer, Split};

use crate::{BatchAnchored, DatasetRegistered, StatusChanged, TermsSet, VersionPublished};

fn log<H: RawLogAccess + ?Sized>(host: &H, topics: &[B256], data: &[u8]) {
    let mut bytes = Vec::with_capacity(32 * topics.len() + data.len());
    for topic in topics {
        bytes.extend_from_slice(topic.as_slice());
    }
    bytes.extend_from_slice(data);
    host.emit_log(&bytes, topics.len());
}

/// The tails of a split and its offers, for the caller to place after its head words.
fn split_and_offers(split: &Split, offers: &[Offer]) -> (Vec<u8>, Vec<u8>) {
    let mut split_tail = Vec::new();
    abi::split(&mut split_tail, split);
    let mut offers_tail = Vec::new();
    abi::offers(&mut offers_tail, offers);
    (split_tail, offers_tail)
}

/// `DatasetRegistered(datasetId, creator, manifestHash, uri, split, offers)`.
pub fn dataset_registered<H: RawLogAccess + ?Sized>(
    host: &H,
    dataset_id: U256,
    creator: Address,
    manifest_hash: B256,
    uri: &[u8],
    split: &Split,
    offers: &[Offer],
) {
    let mut uri_tail = Vec::new();
    abi::bytes(&mut uri_tail, uri);
    let (split_tail, offers_tail) = split_and_offers(split, offers);
    let mut data = Vec::with_capacity(96 + uri_tail.len() + split_tail.len() + offers_tail.len());
    abi::uint(&mut data, U256::from(0x60));
    abi::uint(&mut data, U256::from(0x60 + uri_tail.len()));
    abi::uint(
        &mut data,
        U256::from(0x60 + uri_tail.len() + split_tail.len()),
    );
    data.extend_from_slice(&uri_tail);
    data.extend_from_slice(&split_tail);
    data.extend_from_slice(&offers_tail);
    log(
        host,
        &[
            DatasetRegistered::SIGNATURE_HASH,
            dataset_id.into(),
            creator.into_word(),
            manifest_hash,
        ],
        &data,
    );
}

/// `TermsSet(datasetId, split, offers)`.
pub fn terms_set<H: RawLogAccess + ?Sized>(
    host: &H,
    dataset_id: U256,
    split: &Split,
    offers: &[Offer],
) {
    let (split_tail, offers_tail) = split_and_offers(split, offers);
    let mut data = Vec::with_capacity(64 + split_tail.len() + offers_tail.len());
    abi::uint(&mut data, U256::from(0x40));
    abi::uint(&mut data, U256::from(0x40 + split_tail.len()));
    data.extend_from_slice(&split_tail);
    data.extend_from_slice(&offers_tail);
    log(host, &[TermsSet::SIGNATURE_HASH, dataset_id.into()], &data);
}

/// `VersionPublished(datasetId, version, manifestHash, uri)`.
pub fn version_published<H: RawLogAccess + ?Sized>(
    host: &H,
    dataset_id: U256,
    version: u32,
    manifest_hash: B256,
    uri: &[u8],
) {
    let mut data = Vec::new();
    abi::uint(&mut data, U256::from(0x20));
    abi::bytes(&mut data, uri);
    log(
        host,
        &[
            VersionPublished::SIGNATURE_HASH,
            dataset_id.into(),
            U256::from(version).into(),
            manifest_hash,
        ],
        &data,
    );
}

/// `StatusChanged(datasetId, status)`.
pub fn status_changed<H: RawLogAccess + ?Sized>(host: &H, dataset_id: U256, status: u8) {
    let mut data = Vec::new();
    abi::uint(&mut data, U256::from(status));
    log(
        host,
        &[StatusChanged::SIGNATURE_HASH, dataset_id.into()],
        &data,
    );
}

/// `BatchAnchored(root, anchorer, count, uri)`.
pub fn batch_anchored<H: RawLogAccess + ?Sized>(
    host: &H,
    root: B256,
    anchorer: Address,
    count: u32,
    uri: &[u8],
) {
    let mut data = Vec::new();
    abi::uint(&mut data, U256::from(count));
    abi::uint(&mut data, U256::from(0x40));
    abi::bytes(&mut data, uri);
    log(
        host,
        &[BatchAnchored::SIGNATURE_HASH, root, anchorer.into_word()],
        &data,
    );
}
