//! The registry functions that take a split and offers, a string or bytes, dispatched by the
//! contract's fallback and decoded here word by word.
//!
//! Why: the SDK's router decodes each function's arguments with alloy's generic, validating
//! decoder, monomorphised per argument list. For these ten functions that put the contract
//! about 5 KB (compressed) above Arbitrum's 24 KiB.
//! The decoder below accepts exactly what that decoder accepts (offsets and lengths inside the
//! calldata, every value clean for its type: addresses and small integers with zero high bits,
//! booleans 0 or 1) and reverts empty on anything else, as the router does. One difference
//! from the router, which is a match with Solidity: a `string` is taken as its bytes, without
//! a UTF-8 check.
//!
//! The functions are declared once, in [`ITermsFunctions`]: their selectors route here, and
//! `main.rs` prints their signatures for the ABI check, so dispatch and ABI cannot drift apart.

use alloc::vec::Vec;

use alloy_primitives::{B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::prelude::*;
use tributary_stylus_common::calldata::{Args, Decoded, Malformed};
use tributary_stylus_common::{Offer, Split};

use crate::Registry;

sol! {
    /// The functions of `ITributaryRegistry` that take a split and offers (structs as tuples),
    /// a string or bytes.
    interface ITermsFunctions {
        function register(bytes32 manifestHash, string uri, (address[],uint32[]) split, (uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[] offers) external returns (uint256);
        function registerWithSig(address creator, bytes32 manifestHash, string uri, (address[],uint32[]) split, (uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[] offers, uint256 deadline, bytes signature) external returns (uint256);
        function setTerms(uint256 datasetId, (address[],uint32[]) split, (uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[] offers) external;
        function setTermsWithSig(uint256 datasetId, (address[],uint32[]) split, (uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[] offers, uint256 deadline, bytes signature) external;
        function hashSplit((address[],uint32[]) split) external pure returns (bytes32);
        function hashTerms(bytes32 splitHash, (uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[] offers) external pure returns (bytes32);
        function publishVersion(uint256 datasetId, bytes32 manifestHash, string uri) external returns (uint32);
        function publishVersionWithSig(uint256 datasetId, bytes32 manifestHash, string uri, uint256 deadline, bytes signature) external returns (uint32);
        function setStatusWithSig(uint256 datasetId, uint8 status, uint256 deadline, bytes signature) external;
        function anchorBatch(bytes32 root, uint32 count, string uri) external;
    }
}

use ITermsFunctions::*;

/// Signatures and state mutability of [`ITermsFunctions`], for `main.rs`'s ABI listing.
pub const FUNCTIONS: [(&str, &str); 10] = [
    (registerCall::SIGNATURE, "nonpayable"),
    (registerWithSigCall::SIGNATURE, "nonpayable"),
    (setTermsCall::SIGNATURE, "nonpayable"),
    (setTermsWithSigCall::SIGNATURE, "nonpayable"),
    (hashSplitCall::SIGNATURE, "pure"),
    (hashTermsCall::SIGNATURE, "pure"),
    (publishVersionCall::SIGNATURE, "nonpayable"),
    (publishVersionWithSigCall::SIGNATURE, "nonpayable"),
    (setStatusWithSigCall::SIGNATURE, "nonpayable"),
    (anchorBatchCall::SIGNATURE, "nonpayable"),
];

/// The registry's composite types, decoded on top of [`Args`].
trait TermsArgs {
    /// A `Split` (a tuple of two dynamic arrays) at `at`.
    fn split(&self, at: usize) -> Decoded<Split>;
    /// An `Offer[]` (eight static words per offer) at `at`.
    fn offers(&self, at: usize) -> Decoded<Vec<Offer>>;
}

impl TermsArgs for Args<'_> {
    fn split(&self, at: usize) -> Decoded<Split> {
        let (payees_at, payee_count) = self.array(self.tail(at, 0)?, 32)?;
        let (shares_at, share_count) = self.array(self.tail(at, 32)?, 32)?;
        let mut split = Split {
            payees: Vec::with_capacity(payee_count),
            shares: Vec::with_capacity(share_count),
        };
        for i in 0..payee_count {
            split.payees.push(self.address(payees_at + 32 * i)?);
        }
        for i in 0..share_count {
            split
                .shares
                .push(self.small(shares_at + 32 * i, 32)? as u32);
        }
        Ok(split)
    }

    fn offers(&self, at: usize) -> Decoded<Vec<Offer>> {
        let (start, count) = self.array(at, 256)?;
        let mut offers = Vec::with_capacity(count);
        for i in 0..count {
            let offer = start + 256 * i;
            let transferable = self.small(offer + 128, 8)?;
            if transferable > 1 {
                return Err(Malformed);
            }
            offers.push(Offer {
                kind: self.small(offer, 8)? as u8,
                paymentToken: self.address(offer + 32)?,
                price: self.small(offer + 64, 128)?,
                duration: self.small(offer + 96, 64)? as u64,
                transferable: transferable == 1,
                royaltyBps: self.small(offer + 160, 16)? as u16,
                supplyCap: self.small(offer + 192, 32)? as u32,
                termsHash: self.b256(offer + 224)?,
            });
        }
        Ok(offers)
    }
}

/// Routes a selector of [`ITermsFunctions`] to its function; anything else, or a call with
/// value (none of them is payable), reverts empty as the SDK's router does.
pub fn dispatch(registry: &mut Registry, input: &[u8]) -> stylus_sdk::ArbResult {
    if input.len() < 4 || !registry.vm().msg_value().is_zero() {
        return Err(Vec::new());
    }
    let selector = [input[0], input[1], input[2], input[3]];
    let args = Args { data: &input[4..] };
    run(registry, selector, &args).unwrap_or_else(|Malformed| Err(Vec::new()))
}

fn word(value: impl Into<B256>) -> Vec<u8> {
    value.into().to_vec()
}

/// Decodes and runs one call: `Err(Malformed)` if the calldata does not decode, else the
/// function's own result.
fn run(registry: &mut Registry, selector: [u8; 4], args: &Args) -> Decoded<stylus_sdk::ArbResult> {
    let result = match selector {
        registerCall::SELECTOR => {
            let (manifest_hash, uri) = (args.b256(0)?, args.bytes(args.tail(0, 32)?)?);
            let split = args.split(args.tail(0, 64)?)?;
            let offers = args.offers(args.tail(0, 96)?)?;
            registry
                .register(manifest_hash, uri, split, offers)
                .map(word)
        }
        registerWithSigCall::SELECTOR => {
            let creator = args.address(0)?;
            let manifest_hash = args.b256(32)?;
            let uri = args.bytes(args.tail(0, 64)?)?;
            let split = args.split(args.tail(0, 96)?)?;
            let offers = args.offers(args.tail(0, 128)?)?;
            let deadline = args.uint(160, 256)?;
            let signature = args.bytes(args.tail(0, 192)?)?;
            registry
                .register_with_sig(
                    creator,
                    manifest_hash,
                    uri,
                    split,
                    offers,
                    deadline,
                    signature,
                )
                .map(word)
        }
        setTermsCall::SELECTOR => {
            let dataset_id = args.uint(0, 256)?;
            let split = args.split(args.tail(0, 32)?)?;
            let offers = args.offers(args.tail(0, 64)?)?;
            registry
                .set_terms(dataset_id, split, offers)
                .map(|()| Vec::new())
        }
        setTermsWithSigCall::SELECTOR => {
            let dataset_id = args.uint(0, 256)?;
            let split = args.split(args.tail(0, 32)?)?;
            let offers = args.offers(args.tail(0, 64)?)?;
            let deadline = args.uint(96, 256)?;
            let signature = args.bytes(args.tail(0, 128)?)?;
            registry
                .set_terms_with_sig(dataset_id, split, offers, deadline, signature)
                .map(|()| Vec::new())
        }
        hashSplitCall::SELECTOR => {
            let split = args.split(args.tail(0, 0)?)?;
            Ok(word(Registry::hash_split(&split)))
        }
        hashTermsCall::SELECTOR => {
            let split_hash = args.b256(0)?;
            let offers = args.offers(args.tail(0, 32)?)?;
            Ok(word(Registry::hash_terms(split_hash, &offers)))
        }
        publishVersionCall::SELECTOR => {
            let (dataset_id, manifest_hash) = (args.uint(0, 256)?, args.b256(32)?);
            let uri = args.bytes(args.tail(0, 64)?)?;
            registry
                .publish_version(dataset_id, manifest_hash, uri)
                .map(|version| word(U256::from(version)))
        }
        publishVersionWithSigCall::SELECTOR => {
            let (dataset_id, manifest_hash) = (args.uint(0, 256)?, args.b256(32)?);
            let uri = args.bytes(args.tail(0, 64)?)?;
            let deadline = args.uint(96, 256)?;
            let signature = args.bytes(args.tail(0, 128)?)?;
            registry
                .publish_version_with_sig(dataset_id, manifest_hash, uri, deadline, signature)
                .map(|version| word(U256::from(version)))
        }
        setStatusWithSigCall::SELECTOR => {
            let (dataset_id, status) = (args.uint(0, 256)?, args.small(32, 8)? as u8);
            let deadline = args.uint(64, 256)?;
            let signature = args.bytes(args.tail(0, 96)?)?;
            registry
                .set_status_with_sig(dataset_id, status, deadline, signature)
                .map(|()| Vec::new())
        }
        anchorBatchCall::SELECTOR => {
            let (root, count) = (args.b256(0)?, args.small(32, 32)? as u32);
            let uri = args.bytes(args.tail(0, 64)?)?;
            registry.anchor_batch(root, count, uri).map(|()| Vec::new())
        }
        _ => return Err(Malformed),
    };
    Ok(result.map_err(Vec::from))
}
