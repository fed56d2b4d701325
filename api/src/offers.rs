//! Offers and terms between their JSON forms (a request's offers, the mirror's current terms)
//! and the contract's types.

use alloy::primitives::{Address, B256};
use serde::{Deserialize, Serialize};
use tributary_core::chain::{Offer, OfferKind, Split, Terms};
use tributary_indexer::api::{ApiError, DatasetDetail, OfferView};
use utoipa::ToSchema;

use crate::body::decimal;

/// One licence offer, as `GET /datasets/{id}` shows offers (without their hashes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    /// `OneOff`, `RoyaltyLinked`, `Subscription` or `Custom`.
    pub kind: String,
    /// `0x0000000000000000000000000000000000000000` for ETH, `0x000000000000000000000000000000000c4ed175`
    /// for fiat credits, else an allow-listed ERC-20 (a Super Token for subscriptions).
    #[serde(default = "eth")]
    #[schema(value_type = String)]
    pub payment_token: Address,
    /// Price in the token's smallest unit, decimal (uint128); for a subscription, the minimum
    /// flow rate per second.
    pub price: String,
    /// Licence duration in seconds, decimal; `0` (the default) is perpetual.
    #[serde(default = "zero")]
    pub duration: String,
    /// Whether the licence NFT may change hands.
    #[serde(default)]
    pub transferable: bool,
    /// Royalty share of reported revenue in basis points (RoyaltyLinked only).
    #[serde(default)]
    pub royalty_bps: u16,
    /// Most licences sold under the offer; `0` (the default) is uncapped.
    #[serde(default)]
    pub supply_cap: u32,
    /// sha256 of the licence text, `0x` hex.
    #[schema(value_type = String)]
    pub terms_hash: B256,
}

fn eth() -> Address {
    Address::ZERO
}

fn zero() -> String {
    "0".into()
}

impl OfferInput {
    /// The contract's offer, or a 400 naming the field at `index` that does not fit.
    pub(crate) fn to_offer(&self, index: usize) -> Result<Offer, ApiError> {
        offer(
            index,
            &self.kind,
            self.payment_token,
            &self.price,
            &self.duration,
            self.transferable,
            self.royalty_bps,
            self.supply_cap,
            self.terms_hash,
        )
    }
}

#[allow(clippy::too_many_arguments)] // the offer's fields, in the contract's order
fn offer(
    index: usize,
    kind: &str,
    payment_token: Address,
    price: &str,
    duration: &str,
    transferable: bool,
    royalty_bps: u16,
    supply_cap: u32,
    terms_hash: B256,
) -> Result<Offer, ApiError> {
    let kind = OfferKind::ALL
        .iter()
        .find(|known| known.name() == kind)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "offers[{index}].kind must be one of OneOff, RoyaltyLinked, Subscription, Custom"
            ))
        })?;
    let price = u128::try_from(decimal(&format!("offers[{index}].price"), price)?)
        .map_err(|_| ApiError::BadRequest(format!("offers[{index}].price exceeds uint128")))?;
    let duration = u64::try_from(decimal(&format!("offers[{index}].duration"), duration)?)
        .map_err(|_| ApiError::BadRequest(format!("offers[{index}].duration exceeds uint64")))?;
    Ok(Offer {
        kind: u8::from(*kind),
        paymentToken: payment_token,
        price,
        duration,
        transferable,
        royaltyBps: royalty_bps,
        supplyCap: supply_cap,
        termsHash: terms_hash,
    })
}

/// A dataset's current split and terms as the mirror has them, in the form the contract wants
/// resent (it stores only their hash). A terms hash that does not match what the mirror
/// recorded means a corrupt row: 500, logged.
pub(crate) fn current_terms(detail: &DatasetDetail) -> Result<(Split, Terms), ApiError> {
    let terms = &detail.terms;
    let mut pairs = Vec::with_capacity(terms.payees.len());
    for payee in &terms.payees {
        let account = payee
            .account
            .parse::<Address>()
            .map_err(|_| corrupt(detail, "payee"))?;
        pairs.push((account, payee.shares));
    }
    let split = Split::from_shares(pairs);
    let offers = terms
        .offers
        .iter()
        .map(|view| mirror_offer(detail, view))
        .collect::<Result<Vec<_>, _>>()?;
    let resent = Terms::new(&split, offers);
    if resent.hash().to_string() != terms.terms_hash {
        return Err(corrupt(detail, "terms hash"));
    }
    Ok((split, resent))
}

fn mirror_offer(detail: &DatasetDetail, view: &OfferView) -> Result<Offer, ApiError> {
    let token = view
        .payment_token
        .parse::<Address>()
        .map_err(|_| corrupt(detail, "payment token"))?;
    let terms_hash = view
        .terms_hash
        .parse::<B256>()
        .map_err(|_| corrupt(detail, "offer terms hash"))?;
    offer(
        view.index as usize,
        &view.kind,
        token,
        &view.price,
        &view.duration,
        view.transferable,
        view.royalty_bps,
        view.supply_cap,
        terms_hash,
    )
    .map_err(|_| corrupt(detail, "offer"))
}

fn corrupt(detail: &DatasetDetail, what: &str) -> ApiError {
    tracing::error!(dataset = %detail.dataset.id, "the mirror's {what} does not parse");
    ApiError::Internal
}
