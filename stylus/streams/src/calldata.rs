//! Every function of `ITributaryStreams` but `sweep`, dispatched by the contract's fallback and
//! decoded here word by word, as the registry and licences do (`registry/src/calldata.rs`,
//! with the same `tributary_stylus_common::calldata::Args`): the SDK's router decodes and
//! encodes each function's arguments with alloy's generic code, monomorphised per signature,
//! which for `sync`'s `Split` and `Offer[]` alone costs kilobytes of wasm.
//!
//! The decoder accepts what the router's validating decoder accepts (offsets and lengths
//! inside the calldata, every value clean for its type) and reverts empty otherwise; value sent
//! to any of these functions (none is payable) reverts empty, as the router and Solidity do.
//! `sync` is decoded in Solidity's order for its `calldata` arguments: on entry the dataset id,
//! the split's offset with room for its two head words and the offers array inside the
//! calldata; the split's arrays and every value only after `UnknownDataset` was checked.
//!
//! The functions are declared once, in [`IStreamsFunctions`]: their selectors route here, and
//! `main.rs` prints their signatures and mutability for the ABI check.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::prelude::*;
use tributary_stylus_common::calldata::{Args, Decoded, Malformed};
use tributary_stylus_common::{Offer, Split};

use crate::{Result, Streams};

sol! {
    /// The functions of `ITributaryStreams` but `sweep` (structs as tuples).
    interface IStreamsFunctions {
        function sync(uint256 datasetId, (address[],uint32[]) split, (uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[] offers) external;
        function tributary() external view returns (address);
        function gdaForwarder() external view returns (address);
        function poolOf(uint256 datasetId, address token) external view returns (address);
        function subscriptionTerms(uint256 datasetId, address token) external view returns (address pool, int96 minFlowRate);
        function subscriptionTokens(uint256 datasetId) external view returns (address[] memory);
        function poolTokens(uint256 datasetId) external view returns (address[] memory);
        function members(uint256 datasetId) external view returns (address[] memory accounts, uint128[] memory units);
        function syncedTermsHash(uint256 datasetId) external view returns (bytes32);
        function flowRate(address account, uint256 datasetId, address token) external view returns (int96);
        function requiredFlowRate(uint256 datasetId, address token) external view returns (int96);
        function isSubscribed(address account, uint256 datasetId) external view returns (bool);
        function isLicensed(address account, uint256 datasetId) external view returns (bool);
    }
}

use IStreamsFunctions::*;

/// Signatures and state mutability of [`IStreamsFunctions`], for `main.rs`'s ABI listing.
pub const FUNCTIONS: [(&str, &str); 13] = [
    (syncCall::SIGNATURE, "nonpayable"),
    (tributaryCall::SIGNATURE, "view"),
    (gdaForwarderCall::SIGNATURE, "view"),
    (poolOfCall::SIGNATURE, "view"),
    (subscriptionTermsCall::SIGNATURE, "view"),
    (subscriptionTokensCall::SIGNATURE, "view"),
    (poolTokensCall::SIGNATURE, "view"),
    (membersCall::SIGNATURE, "view"),
    (syncedTermsHashCall::SIGNATURE, "view"),
    (flowRateCall::SIGNATURE, "view"),
    (requiredFlowRateCall::SIGNATURE, "view"),
    (isSubscribedCall::SIGNATURE, "view"),
    (isLicensedCall::SIGNATURE, "view"),
];

/// Bytes of one ABI-encoded `Offer`: eight static words.
const OFFER_SIZE: usize = 256;

/// A `Split` (a tuple of two dynamic arrays) at `at`.
fn split(args: &Args, at: usize) -> Decoded<Split> {
    let (payees_at, payee_count) = args.array(args.tail(at, 0)?, 32)?;
    let (shares_at, share_count) = args.array(args.tail(at, 32)?, 32)?;
    let mut split = Split {
        payees: Vec::with_capacity(payee_count),
        shares: Vec::with_capacity(share_count),
    };
    for i in 0..payee_count {
        split.payees.push(args.address(payees_at + 32 * i)?);
    }
    for i in 0..share_count {
        split
            .shares
            .push(args.small(shares_at + 32 * i, 32)? as u32);
    }
    Ok(split)
}

/// The `count` offers starting at `start`.
fn offers(args: &Args, start: usize, count: usize) -> Decoded<Vec<Offer>> {
    let mut offers = Vec::with_capacity(count);
    for i in 0..count {
        let offer = start + OFFER_SIZE * i;
        let transferable = args.small(offer + 128, 8)?;
        if transferable > 1 {
            return Err(Malformed);
        }
        offers.push(Offer {
            kind: args.small(offer, 8)? as u8,
            paymentToken: args.address(offer + 32)?,
            price: args.small(offer + 64, 128)?,
            duration: args.small(offer + 96, 64)? as u64,
            transferable: transferable == 1,
            royaltyBps: args.small(offer + 160, 16)? as u16,
            supplyCap: args.small(offer + 192, 32)? as u32,
            termsHash: args.b256(offer + 224)?,
        });
    }
    Ok(offers)
}

/// Routes a selector of [`IStreamsFunctions`] to its function; anything else, or a call with
/// value, reverts empty as the SDK's router does.
pub fn dispatch(streams: &mut Streams, input: &[u8]) -> stylus_sdk::ArbResult {
    if input.len() < 4 || !streams.vm().msg_value().is_zero() {
        return Err(Vec::new());
    }
    let selector = [input[0], input[1], input[2], input[3]];
    let args = Args { data: &input[4..] };
    run(streams, selector, &args).map_err(Vec::from)
}

fn word(value: impl Into<B256>) -> Vec<u8> {
    value.into().to_vec()
}

/// An `int96` as its sign-extended word.
fn int_word(value: i128) -> [u8; 32] {
    let mut out = [if value < 0 { 0xff } else { 0 }; 32];
    out[16..].copy_from_slice(&value.to_be_bytes());
    out
}

/// The tail of an `address[]`: length and words.
fn address_array(out: &mut Vec<u8>, accounts: &[Address]) {
    out.extend_from_slice(&word(U256::from(accounts.len())));
    for account in accounts {
        out.extend_from_slice(account.into_word().as_slice());
    }
}

/// `abi.encode(addresses)` of a single `address[]` return value.
fn addresses(accounts: &[Address]) -> Vec<u8> {
    let mut out = word(U256::from(0x20));
    address_array(&mut out, accounts);
    out
}

/// Decodes and runs one call: an empty revert if the calldata does not decode, else the
/// function's own result.
fn run(streams: &mut Streams, selector: [u8; 4], args: &Args) -> Result<Vec<u8>> {
    Ok(match selector {
        syncCall::SELECTOR => {
            let dataset_id = args.uint(0, 256)?;
            let split_at = args.tail(0, 32)?;
            args.word(split_at + 32)?;
            let (offers_at, offer_count) = args.array(args.tail(0, 64)?, OFFER_SIZE)?;
            streams.sync(dataset_id, || {
                Ok((
                    split(args, split_at)?,
                    offers(args, offers_at, offer_count)?,
                ))
            })?;
            Vec::new()
        }
        tributaryCall::SELECTOR => word(streams.tributary().into_word()),
        gdaForwarderCall::SELECTOR => word(streams.gda_forwarder().into_word()),
        poolOfCall::SELECTOR => {
            let (dataset_id, token) = (args.uint(0, 256)?, args.address(32)?);
            word(streams.subscription_terms(dataset_id, token).0.into_word())
        }
        subscriptionTermsCall::SELECTOR => {
            let (dataset_id, token) = (args.uint(0, 256)?, args.address(32)?);
            let (pool, minimum) = streams.subscription_terms(dataset_id, token);
            let mut out = word(pool.into_word());
            out.extend_from_slice(&int_word(minimum as i128));
            out
        }
        subscriptionTokensCall::SELECTOR => {
            addresses(&streams.subscription_tokens(args.uint(0, 256)?))
        }
        poolTokensCall::SELECTOR => addresses(&streams.pool_tokens(args.uint(0, 256)?)),
        membersCall::SELECTOR => {
            let (accounts, units) = streams.members(args.uint(0, 256)?);
            let mut out = word(U256::from(0x40));
            out.extend_from_slice(&word(U256::from(0x60 + 32 * accounts.len())));
            address_array(&mut out, &accounts);
            out.extend_from_slice(&word(U256::from(units.len())));
            for u in units {
                out.extend_from_slice(&word(U256::from(u)));
            }
            out
        }
        syncedTermsHashCall::SELECTOR => word(streams.synced_terms_hash(args.uint(0, 256)?)),
        flowRateCall::SELECTOR => {
            let (account, dataset_id) = (args.address(0)?, args.uint(32, 256)?);
            let token = args.address(64)?;
            int_word(streams.flow_rate(account, dataset_id, token)?).to_vec()
        }
        requiredFlowRateCall::SELECTOR => {
            let (dataset_id, token) = (args.uint(0, 256)?, args.address(32)?);
            int_word(streams.required_flow_rate(dataset_id, token)? as i128).to_vec()
        }
        isSubscribedCall::SELECTOR => {
            let (account, dataset_id) = (args.address(0)?, args.uint(32, 256)?);
            word(U256::from(streams.is_subscribed(account, dataset_id)? as u8))
        }
        isLicensedCall::SELECTOR => {
            let (account, dataset_id) = (args.address(0)?, args.uint(32, 256)?);
            word(U256::from(streams.is_licensed(account, dataset_id)? as u8))
        }
        _ => return Err(Malformed.into()),
    })
}
