//! `_checkTerms`: the validation of a split and offers, with the Solidity build's errors in its
//! order, and the terms hash the registry stores.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::call::RawCall;
use stylus_sdk::prelude::*;
use tributary_stylus_common::{
    abi, split_hash, terms_hash, Offer, Split, CREDITS, OFFER_CUSTOM, OFFER_ROYALTY_LINKED,
};

use crate::{
    InvalidOffer, InvalidOfferCount, InvalidSplitLength, PayeesNotSorted, Registry, RegistryError,
    Result, TooManyPayees, ZeroShare, MAX_OFFERS, MAX_PAYEES,
};

sol! {
    /// The splits contract's allow-list.
    interface ISplitsAllowList {
        function isTokenAllowed(address token) external view returns (bool);
    }
}

/// 100 % in basis points.
const BPS: u16 = 10_000;

/// `_checkSplit`: one payee at least, as many shares as payees, at most `MAX_PAYEES`; payees
/// strictly ascending (so distinct and non-zero); shares non-zero. The first bad index wins,
/// its payee checked before its share.
pub fn check_split(split: &Split) -> Result<()> {
    let count = split.payees.len();
    if count == 0 || count != split.shares.len() {
        return Err(InvalidSplitLength {}.into());
    }
    if count > MAX_PAYEES {
        return Err(TooManyPayees {
            count: U256::from(count),
        }
        .into());
    }
    let mut previous = Address::ZERO;
    for (i, (payee, share)) in split.payees.iter().zip(&split.shares).enumerate() {
        if *payee <= previous {
            return Err(PayeesNotSorted {
                index: U256::from(i),
            }
            .into());
        }
        if *share == 0 {
            return Err(ZeroShare {
                index: U256::from(i),
            }
            .into());
        }
        previous = *payee;
    }
    Ok(())
}

/// The first pass of `_checkOffers`: the index of the first malformed offer (royalty on a kind
/// other than royalty-linked, a royalty-linked offer without royalty, royalty above 100 %, or a
/// royalty owed in credits), or `offers.len()`; and a bit per ERC-20-priced offer before it.
/// A kind past `Custom` reverts empty when the loop reaches it, as Solidity's check does.
fn first_malformed(offers: &[Offer]) -> Result<(usize, u32)> {
    let mut erc20_offers = 0u32;
    for (i, offer) in offers.iter().enumerate() {
        if offer.kind > OFFER_CUSTOM {
            return Err(RegistryError::invalid_calldata());
        }
        let royalty_linked = offer.kind == OFFER_ROYALTY_LINKED;
        let bps = offer.royaltyBps;
        let token = offer.paymentToken;
        if royalty_linked != (bps != 0) || bps > BPS || (royalty_linked && token == CREDITS) {
            return Ok((i, erc20_offers));
        }
        if token != Address::ZERO && token != CREDITS {
            erc20_offers |= 1 << i;
        }
    }
    Ok((offers.len(), erc20_offers))
}

impl Registry {
    /// `_checkTerms`: validates a split and offers; returns their terms hash.
    pub(crate) fn check_terms(&self, split: &Split, offers: &[Offer]) -> Result<B256> {
        check_split(split)?;
        self.check_offers(offers)?;
        Ok(terms_hash(split_hash(split), offers))
    }

    /// `_checkOffers`: one to `MAX_OFFERS` offers; the first malformed one, or an ERC-20 offer
    /// before it whose token is not allow-listed, is `InvalidOffer(index)`.
    fn check_offers(&self, offers: &[Offer]) -> Result<()> {
        let count = offers.len();
        if count == 0 || count > MAX_OFFERS {
            return Err(InvalidOfferCount {
                count: U256::from(count),
            }
            .into());
        }
        let (malformed, erc20_offers) = first_malformed(offers)?;
        for (i, offer) in offers.iter().enumerate().take(malformed) {
            if erc20_offers & (1 << i) != 0 && !self.token_allowed(offer.paymentToken)? {
                return Err(InvalidOffer {
                    index: U256::from(i),
                }
                .into());
            }
        }
        if malformed != count {
            return Err(InvalidOffer {
                index: U256::from(malformed),
            }
            .into());
        }
        Ok(())
    }

    /// `isTokenAllowed(token)`, read from the splits contract: a static call whose revert is
    /// bubbled and whose return data must hold a word (else an empty revert, as Solidity's
    /// decoding of a short return).
    fn token_allowed(&self, token: Address) -> Result<bool> {
        let mut calldata = ISplitsAllowList::isTokenAllowedCall::SELECTOR.to_vec();
        abi::address(&mut calldata, token);
        // SAFETY: a static call changes no state.
        let returned = unsafe { RawCall::new_static(self.vm()).call(self.splits.get(), &calldata) }
            .map_err(RegistryError::raw)?;
        if returned.len() < 32 {
            return Err(RegistryError::invalid_calldata());
        }
        Ok(U256::from_be_slice(&returned[..32]) == U256::from(1))
    }
}
