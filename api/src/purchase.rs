//! `POST /datasets/{id}/purchase`: the transactions a buyer's wallet sends to buy a licence
//! under one of a dataset's current offers, checked against the chain before they are signed.

use alloy::{
    primitives::{Address, U256},
    sol_types::SolCall,
};
use axum::{
    Json,
    extract::{
        Path, State,
        rejection::{JsonRejection, PathRejection},
    },
};
use serde::{Deserialize, Serialize};
use tributary_core::chain::{CREDITS, ETH, IERC20, ITributary, OfferKind};
use tributary_indexer::api::{ApiError, ErrorBody, dataset_detail};
use utoipa::ToSchema;

use crate::{ProductState, body, offers::current_terms, transaction::UnsignedTx};

/// How the buyer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// From the buyer's wallet, in the offer's token (ETH or an ERC-20). Card payments
    /// (Stripe Checkout) are the relayer's (docs/relayer.md) and not served here yet.
    Wallet,
}

/// A licence to buy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    /// How the buyer pays.
    #[serde(alias = "paymentMethod")]
    pub payment_method: PaymentMethod,
    /// The wallet that pays and sends the transactions.
    #[schema(value_type = String)]
    pub buyer: Address,
    /// The offer's index in the dataset's current terms (`GET /datasets/{id}`).
    #[serde(alias = "offerIndex")]
    pub offer_index: u32,
    /// Who receives the licence NFT. Default: the buyer.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub recipient: Option<Address>,
}

/// What the buyer's wallet sends, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PurchasePlan {
    /// The dataset.
    pub dataset_id: String,
    /// The offer bought.
    pub offer_index: u32,
    /// Its kind.
    pub kind: String,
    /// The token paid (`0x0000000000000000000000000000000000000000`: ETH).
    pub payment_token: String,
    /// The price, in the token's smallest unit.
    pub price: String,
    /// The terms hash the purchase resends (the dataset's current terms).
    pub terms_hash: String,
    /// The licence's token id, as the chain would issue it now (when the purchase could be
    /// simulated: always for ETH, for a token once its allowance is in place).
    pub token_id: Option<String>,
    /// An ERC-20 `approve` first when the allowance is short, then `purchase`.
    pub transactions: Vec<UnsignedTx>,
}

/// Plan a licence purchase: the transactions the buyer signs, after checking the offer, the
/// dataset's status and (by simulating the purchase) the chain's answer.
#[utoipa::path(post, path = "/datasets/{id}/purchase", request_body = PurchaseRequest,
    params(("id" = String, Path, description = "The dataset id (decimal)")),
    responses(
        (status = 200, description = "The transactions to send", body = PurchasePlan),
        (status = 400, description = "A malformed request or an offer index out of range", body = ErrorBody),
        (status = 404, description = "No dataset has this id (in the mirror)", body = ErrorBody),
        (status = 409, description = "The dataset or offer cannot be bought this way now; the message says why", body = ErrorBody),
        (status = 503, description = "The node cannot be reached", body = ErrorBody),
    ))]
pub(crate) async fn purchase(
    State(state): State<ProductState>,
    id: Result<Path<String>, PathRejection>,
    request: Result<Json<PurchaseRequest>, JsonRejection>,
) -> Result<Json<PurchasePlan>, ApiError> {
    let dataset_id = body::dataset_id(id)?;
    let request = body::json(request)?;
    let detail = dataset_detail(&state.pool, dataset_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no dataset {dataset_id}")))?;
    if detail.dataset.status != "Active" {
        return Err(ApiError::Conflict(format!(
            "dataset {dataset_id} is {}: only active datasets sell licences",
            detail.dataset.status
        )));
    }
    let (_, terms) = current_terms(&detail)?;
    let index = request.offer_index as usize;
    let offer = terms.offers.get(index).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "offer_index {index} is out of range: dataset {dataset_id} has {} offers",
            terms.offers.len()
        ))
    })?;
    let kind = match offer.offer_kind() {
        Ok(kind @ (OfferKind::OneOff | OfferKind::RoyaltyLinked)) => kind,
        Ok(OfferKind::Subscription) => {
            return Err(ApiError::Conflict(
                "a subscription is paid by a stream, not bought: start one instead".into(),
            ));
        }
        Ok(OfferKind::Custom) => {
            return Err(ApiError::Conflict(
                "a custom licence is issued by the creator for an off-chain deal".into(),
            ));
        }
        Err(byte) => {
            return Err(ApiError::Conflict(format!("offer kind {byte} is unknown")));
        }
    };
    if offer.paymentToken == CREDITS {
        return Err(ApiError::Conflict(
            "this offer is priced in fiat credits: it is paid by card, not from a wallet".into(),
        ));
    }

    let tributary = &state.tributary;
    let chain_id = tributary.client().chain_id();
    let buyer = request.buyer;
    let recipient = request.recipient.unwrap_or(buyer);
    let price = U256::from(offer.price);
    let mut transactions = Vec::with_capacity(2);
    let mut simulate = true;
    if offer.paymentToken != ETH && !price.is_zero() {
        let allowance = tributary
            .allowance(offer.paymentToken, buyer)
            .await
            .map_err(|error| body::view_error("reading the buyer's allowance", &error))?;
        if allowance < price {
            // The purchase itself cannot be simulated before the approval lands.
            simulate = false;
            transactions.push(UnsignedTx::new(
                format!(
                    "allow Tributary to take {price} of token {}",
                    offer.paymentToken
                ),
                chain_id,
                buyer,
                offer.paymentToken,
                IERC20::approveCall {
                    spender: tributary.address(),
                    amount: price,
                }
                .abi_encode(),
                U256::ZERO,
            ));
        }
    }
    let value = offer.eth_value();
    let token_id = if simulate {
        let token_id = tributary
            .simulate_purchase(buyer, dataset_id, &terms, index, recipient, value)
            .await
            .map_err(|error| body::view_error("the purchase would fail", &error))?;
        Some(token_id.to_string())
    } else {
        None
    };
    transactions.push(UnsignedTx::new(
        format!("buy a licence to dataset {dataset_id} (offer {index}) for {recipient}"),
        chain_id,
        buyer,
        tributary.address(),
        ITributary::purchaseCall {
            datasetId: dataset_id,
            terms: terms.clone(),
            offerIndex: U256::from(index),
            recipient,
        }
        .abi_encode(),
        value,
    ));
    Ok(Json(PurchasePlan {
        dataset_id: dataset_id.to_string(),
        offer_index: request.offer_index,
        kind: kind.name().to_owned(),
        payment_token: offer.paymentToken.to_checksum(None),
        price: price.to_string(),
        terms_hash: terms.hash().to_string(),
        token_id,
        transactions,
    }))
}
