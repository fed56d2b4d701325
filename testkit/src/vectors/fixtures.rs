//! Builders the scenarios share: splits, offers, terms, token ids, signatures, and the
//! registration most scenarios start with.

use alloy::{
    primitives::{Address, B256, Bytes, U256, b256},
    signers::SignerSync,
    sol_types::SolStruct,
};
use tributary_core::{
    chain::{
        ITributary::{DatasetRegistered, registerCall},
        ITributaryTypes::{Offer, Split, Terms},
    },
    signing,
};

use super::{
    actors::{Actor, CHAIN_ID, SUITE},
    scenario::Scenario,
};

pub(crate) const ONE_OFF: u8 = 0;
pub(crate) const ROYALTY_LINKED: u8 = 1;
pub(crate) const SUBSCRIPTION: u8 = 2;
pub(crate) const CUSTOM: u8 = 3;

/// Statuses are `uint8` in the ABI; a return value is one word either way, so the scenarios
/// pass them as `U256::from(…)` where a tuple of return values needs a `SolValue`.
pub(crate) const NONE: u8 = 0;
pub(crate) const ACTIVE: u8 = 1;
pub(crate) const PAUSED: u8 = 2;
pub(crate) const RETIRED: u8 = 3;

/// Expiry of a perpetual licence.
pub(crate) const PERPETUAL: u64 = u64::MAX;
/// sha256 of a licence text.
pub(crate) const LICENCE_TEXT: B256 =
    b256!("0edffaacb8d5e6546399e22c198868c952d39a59e04b3bed86f719feeb1a8b1c");

/// A split of `payees` with their shares, sorted by address as the registry requires.
pub(crate) fn split(payees: &[(&Actor, u32)]) -> Split {
    let mut pairs: Vec<(Address, u32)> = payees
        .iter()
        .map(|(actor, share)| (actor.address(), *share))
        .collect();
    pairs.sort();
    Split {
        payees: pairs.iter().map(|pair| pair.0).collect(),
        shares: pairs.iter().map(|pair| pair.1).collect(),
    }
}

/// A perpetual, non-transferable, uncapped one-off offer of `price` in `token`.
pub(crate) fn offer(token: Address, price: u128) -> Offer {
    Offer {
        kind: ONE_OFF,
        paymentToken: token,
        price,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: LICENCE_TEXT,
    }
}

/// The resendable terms of `split` and `offers`.
pub(crate) fn terms(split: &Split, offers: &[Offer]) -> Terms {
    Terms {
        splitHash: signing::split_hash(split),
        offers: offers.to_vec(),
    }
}

/// The terms hash the registry stores for `split` and `offers`.
pub(crate) fn terms_hash(split: &Split, offers: &[Offer]) -> B256 {
    signing::terms_hash(signing::split_hash(split), offers)
}

/// A licence's token id: `datasetId << 192 | version << 160 | serial`.
pub(crate) fn token_id(dataset_id: u64, version: u32, serial: u64) -> U256 {
    U256::from(dataset_id) << 192 | U256::from(version) << 160 | U256::from(serial)
}

/// `signer`'s EIP-712 signature of `message` under the suite's domain in both runners.
pub(crate) fn sign<T: SolStruct>(signer: &Actor, message: &T) -> Bytes {
    let domain = signing::domain(CHAIN_ID, SUITE);
    let signature = signer
        .signer
        .sign_hash_sync(&message.eip712_signing_hash(&domain))
        .unwrap_or_else(|error| panic!("signing with a local key cannot fail: {error}"));
    Bytes::from(signature.as_bytes().to_vec())
}

/// `creator` registers dataset `id` (the next id) with `split` and `offers`; the step expects
/// the id back and the `DatasetRegistered` event.
pub(crate) fn register(
    scenario: &mut Scenario,
    creator: &Actor,
    id: u64,
    manifest: B256,
    split: &Split,
    offers: &[Offer],
) {
    let uri = format!("ipfs://dataset-{id}");
    scenario
        .call(
            creator,
            registerCall {
                manifestHash: manifest,
                uri: uri.clone(),
                split: split.clone(),
                offers: offers.to_vec(),
            },
        )
        .returns((U256::from(id),))
        .emits(DatasetRegistered {
            datasetId: U256::from(id),
            creator: creator.address(),
            manifestHash: manifest,
            uri,
            split: split.clone(),
            offers: offers.to_vec(),
        });
}
