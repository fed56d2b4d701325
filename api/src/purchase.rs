//! `POST /datasets/{id}/purchase`: the transactions a buyer's wallet sends to buy a licence
//! under one of a dataset's current offers, checked against the chain before they are signed;
//! or, for an offer priced in fiat credits, a Stripe Checkout Session the buyer pays by card
//! (the relayer then credits the payment and buys the licence with it: docs/relayer.md).

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
use sha2::{Digest, Sha256};
use tributary_core::chain::{CREDITS, ITributary, OfferKind};
use tributary_indexer::api::{ApiError, ErrorBody, dataset_detail};
use tributary_relayer::stripe::{CheckoutError, CheckoutRequest, StripeClient};
use utoipa::ToSchema;

use crate::{
    ProductState, body,
    offers::current_terms,
    transaction::{UnsignedTx, approval_if_short},
};

/// Card payments through Stripe Checkout: the client (secret key inside) and where Stripe sends
/// the buyer back.
#[derive(Debug, Clone)]
pub struct CardPayments {
    /// The Stripe API client.
    pub client: StripeClient,
    /// Where Stripe sends a buyer who paid (`{CHECKOUT_SESSION_ID}` is replaced by Stripe).
    pub success_url: String,
    /// Where Stripe sends a buyer who gave up.
    pub cancel_url: String,
    /// The currency charged (lowercase ISO code): one credit per smallest unit. The relayer
    /// must credit the same one (its `--currency`).
    pub currency: String,
}

/// How the buyer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// From the buyer's wallet, in the offer's token (ETH or an ERC-20).
    Wallet,
    /// By card through Stripe Checkout, for an offer priced in fiat credits (1 credit = 1 cent):
    /// the answer is the Checkout page; once paid, the relayer credits the payment and buys the
    /// licence for the buyer with those credits.
    Stripe,
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
    /// Who receives the licence NFT. Default: the buyer (a card purchase always licenses the
    /// buyer).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub recipient: Option<Address>,
    /// Card purchases: the app's key for this purchase, so that its retries open one Checkout
    /// Session (sent to Stripe as part of the `Idempotency-Key`). Default: a new session per
    /// request.
    #[serde(default, alias = "idempotencyKey")]
    pub idempotency_key: Option<String>,
}

/// A card purchase's Stripe Checkout Session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardCheckout {
    /// Stripe's hosted payment page: send the buyer there.
    pub checkout_url: String,
    /// The session's id (`cs_…`).
    pub session_id: String,
    /// The dataset.
    pub dataset_id: String,
    /// The offer bought.
    pub offer_index: u32,
    /// The price charged, in the currency's smallest unit (= the credits minted and spent).
    pub price: String,
    /// The currency (lowercase ISO code).
    pub currency: String,
}

/// What `POST /datasets/{id}/purchase` answers: the wallet's transactions, or the card
/// payment's Checkout Session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PurchaseAnswer {
    /// `payment_method: "wallet"`.
    Wallet(PurchasePlan),
    /// `payment_method: "stripe"`.
    Card(CardCheckout),
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
        (status = 200, description = "The transactions to send (wallet), or the Checkout Session to send the buyer to (stripe)", body = PurchaseAnswer),
        (status = 400, description = "A malformed request or an offer index out of range", body = ErrorBody),
        (status = 404, description = "No dataset has this id (in the mirror)", body = ErrorBody),
        (status = 409, description = "The dataset or offer cannot be bought this way now; the message says why", body = ErrorBody),
        (status = 503, description = "The node or Stripe cannot be reached", body = ErrorBody),
    ))]
pub(crate) async fn purchase(
    State(state): State<ProductState>,
    id: Result<Path<String>, PathRejection>,
    request: Result<Json<PurchaseRequest>, JsonRejection>,
) -> Result<Json<PurchaseAnswer>, ApiError> {
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
    if request.payment_method == PaymentMethod::Stripe {
        return card(&state, &detail.dataset, dataset_id, &request, offer, kind)
            .await
            .map(|checkout| Json(PurchaseAnswer::Card(checkout)));
    }
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
    // The purchase itself cannot be simulated before an approval lands.
    let approval = approval_if_short(tributary, offer.paymentToken, buyer, price).await?;
    let simulate = approval.is_none();
    transactions.extend(approval);
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
    Ok(Json(PurchaseAnswer::Wallet(PurchasePlan {
        dataset_id: dataset_id.to_string(),
        offer_index: request.offer_index,
        kind: kind.name().to_owned(),
        payment_token: offer.paymentToken.to_checksum(None),
        price: price.to_string(),
        terms_hash: terms.hash().to_string(),
        token_id,
        transactions,
    })))
}

/// A card purchase: a Checkout Session for the offer's price in credits (cents), whose metadata
/// (on the session and on its PaymentIntent) names the dataset, the offer and the buyer.
async fn card(
    state: &ProductState,
    dataset: &tributary_indexer::api::DatasetSummary,
    dataset_id: U256,
    request: &PurchaseRequest,
    offer: &tributary_core::chain::Offer,
    kind: OfferKind,
) -> Result<CardCheckout, ApiError> {
    let Some(card) = state.card.as_deref() else {
        return Err(ApiError::Conflict(
            "card payments are not configured on this server (no Stripe secret key)".into(),
        ));
    };
    if offer.paymentToken != CREDITS {
        return Err(ApiError::Conflict(format!(
            "this offer is priced in token {}, not in fiat credits: pay it from a wallet",
            offer.paymentToken
        )));
    }
    if kind != OfferKind::OneOff {
        return Err(ApiError::Conflict(format!(
            "a {} offer cannot be bought with credits: only one-off licences",
            kind.name()
        )));
    }
    if offer.price == 0 {
        return Err(ApiError::Conflict(
            "this offer is free: there is nothing to pay by card".into(),
        ));
    }
    if request.buyer.is_zero() {
        return Err(ApiError::BadRequest("buyer is the zero address".into()));
    }
    if request
        .recipient
        .is_some_and(|recipient| recipient != request.buyer)
    {
        return Err(ApiError::BadRequest(
            "a card purchase licenses the buyer: leave recipient out or set it to the buyer".into(),
        ));
    }
    let idempotency_key = match &request.idempotency_key {
        Some(key) if key.is_empty() || key.len() > 200 => {
            return Err(ApiError::BadRequest(
                "idempotency_key must be 1 to 200 characters".into(),
            ));
        }
        // The app's key, bound to what it buys: the same key for another purchase opens
        // another session instead of an idempotency error.
        Some(key) => {
            let mut hash = Sha256::new();
            for part in [
                dataset_id.to_string(),
                request.offer_index.to_string(),
                request.buyer.to_string(),
                offer.price.to_string(),
                key.clone(),
            ] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
            format!("tributary-card-{}", alloy::hex::encode(hash.finalize()))
        }
        None => format!("tributary-card-{}", crate::auth::random_hex(16)?),
    };
    let product_name = match &dataset.title {
        Some(title) if !title.trim().is_empty() => format!("Licence: {}", title.trim()),
        _ => format!("Licence to dataset {dataset_id}"),
    };
    let checkout = CheckoutRequest {
        dataset_id,
        offer_index: request.offer_index,
        buyer: request.buyer,
        amount: offer.price,
        currency: card.currency.clone(),
        product_name,
        success_url: card.success_url.clone(),
        cancel_url: card.cancel_url.clone(),
        idempotency_key,
    };
    let session = card
        .client
        .create_checkout_session(&checkout)
        .await
        .map_err(|error| match error {
            CheckoutError::Unavailable(_) => {
                tracing::warn!(%error, "creating a Checkout Session");
                ApiError::NotReady("Stripe did not answer; try again later".into())
            }
            CheckoutError::Refused { .. } => {
                tracing::error!(%error, "Stripe refused a Checkout Session");
                ApiError::Internal
            }
        })?;
    tracing::info!(
        session = %session.id,
        dataset = %dataset_id,
        offer = request.offer_index,
        buyer = %request.buyer,
        "Checkout Session opened"
    );
    Ok(CardCheckout {
        checkout_url: session.url,
        session_id: session.id,
        dataset_id: dataset_id.to_string(),
        offer_index: request.offer_index,
        price: offer.price.to_string(),
        currency: card.currency.clone(),
    })
}
