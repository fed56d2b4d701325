//! `POST /datasets/{id}/stream-start`: what a buyer's wallet sends to subscribe to a dataset by
//! a Superfluid stream (docs/streaming.md): a GDA `distributeFlow` from the buyer to the
//! dataset's pool at a rate that licenses, checked against the chain (the offer, the buyer's
//! Super Token balance against the flow's deposit, and the call itself simulated) before it is
//! signed. When the dataset's pools are behind its terms, the answer is first the `sync` that
//! brings them in line (anyone may send it); the buyer asks again once it is mined, because the
//! sync can create the pool and change the rate required.

use alloy::{
    primitives::{Address, Bytes, I256, U256, aliases::I96},
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
use tributary_core::chain::{
    DatasetStatus, ITributaryStreams, Streams, superfluid::IGDAv1Forwarder,
};
use tributary_indexer::api::{ApiError, ErrorBody, dataset_detail};
use utoipa::ToSchema;

use crate::{ProductState, body, offers::current_terms, transaction::UnsignedTx};

/// A subscription to start.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamStartRequest {
    /// The wallet that streams (and is licensed while it does).
    #[schema(value_type = String)]
    pub account: Address,
    /// The Super Token to stream. Default: the dataset's only subscription token.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub token: Option<Address>,
    /// The rate to request, in token wei per second (decimal). Default: the smallest rate that
    /// licenses (`required_flow_rate`); a lower one is refused.
    #[serde(default, alias = "flowRate")]
    pub flow_rate: Option<String>,
}

/// What the buyer's wallet sends, in order, and what the stream will hold and pay.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StreamStartPlan {
    /// The dataset.
    pub dataset_id: String,
    /// The streaming wallet.
    pub account: String,
    /// `false`: the transactions only sync the dataset's pools to its terms; ask again once
    /// they are mined for the stream itself. `true`: the transactions start the stream.
    pub complete: bool,
    /// The Super Token streamed (absent while `complete` is false).
    pub token: Option<String>,
    /// The dataset's GDA pool of that token, which pays the split's payees.
    pub pool: Option<String>,
    /// The offer's minimum rate, wei per second.
    pub min_flow_rate: Option<String>,
    /// The smallest rate to request so that the rate the GDA records reaches the minimum
    /// (the GDA rounds a distribution down to a multiple of the pool's units).
    pub required_flow_rate: Option<String>,
    /// The rate requested by the transaction.
    pub flow_rate: Option<String>,
    /// The rate the GDA will record for it.
    pub actual_flow_rate: Option<String>,
    /// The deposit the flow holds from the buyer's Super Token balance while it runs.
    pub deposit: Option<String>,
    /// The buyer's available Super Token balance now.
    pub available_balance: Option<String>,
    /// The transactions, in order.
    pub transactions: Vec<UnsignedTx>,
}

/// Plan a Superfluid subscription: the `distributeFlow` the buyer signs (or first the pools'
/// `sync`), after checking the dataset, the offer, the rate and the buyer's balance.
#[utoipa::path(post, path = "/datasets/{id}/stream-start", request_body = StreamStartRequest,
    params(("id" = String, Path, description = "The dataset id (decimal)")),
    responses(
        (status = 200, description = "The transactions to send; `complete: false` means a sync first, then ask again", body = StreamStartPlan),
        (status = 400, description = "A malformed request, a token not offered, or a rate below the required one", body = ErrorBody),
        (status = 404, description = "No dataset has this id", body = ErrorBody),
        (status = 409, description = "The dataset cannot be streamed to now (inactive, no subscription offer, already streaming, a balance short of the deposit, no streams deployment); the message says why", body = ErrorBody),
        (status = 503, description = "The node cannot be reached, or the mirror is behind the chain", body = ErrorBody),
    ))]
pub(crate) async fn stream_start(
    State(state): State<ProductState>,
    id: Result<Path<String>, PathRejection>,
    request: Result<Json<StreamStartRequest>, JsonRejection>,
) -> Result<Json<StreamStartPlan>, ApiError> {
    let dataset_id = body::dataset_id(id)?;
    let request = body::json(request)?;
    let Some(streams) = state.streams.as_ref() else {
        return Err(ApiError::Conflict(
            "streams are not deployed on this chain (no TributaryStreams configured: the \
             deployment file's `streams`, or --streams-contract with --superfluid-host)"
                .into(),
        ));
    };
    if request.account.is_zero() {
        return Err(ApiError::BadRequest("account is the zero address".into()));
    }
    let requested = request.flow_rate.as_deref().map(flow_rate).transpose()?;

    let record = state
        .tributary
        .dataset(dataset_id)
        .await
        .map_err(|error| body::view_error("reading the dataset", &error))?;
    if record.status == DatasetStatus::None {
        return Err(ApiError::NotFound(format!("no dataset {dataset_id}")));
    }
    if record.status != DatasetStatus::Active {
        return Err(ApiError::Conflict(format!(
            "dataset {dataset_id} is {:?}: a stream to it licenses nothing",
            record.status
        )));
    }
    let synced = streams
        .synced_terms_hash(dataset_id)
        .await
        .map_err(|error| body::view_error("reading the synced terms", &error))?;
    if synced != record.terms_hash {
        return sync_first(&state, streams, dataset_id, record.terms_hash, &request).await;
    }

    let token = pick_token(streams, dataset_id, request.token).await?;
    let pool = streams
        .pool_of(dataset_id, token)
        .await
        .map_err(|error| body::view_error("reading the pool", &error))?
        .ok_or_else(|| {
            tracing::error!(%dataset_id, %token, "a synced subscription token without a pool");
            ApiError::Internal
        })?;
    let view = |what: &'static str| move |error| body::view_error(what, &error);
    let min = streams
        .min_flow_rate(dataset_id, token)
        .await
        .map_err(view("reading the minimum rate"))?;
    let required = streams
        .required_flow_rate(dataset_id, token)
        .await
        .map_err(view("reading the required rate"))?;
    let rate = requested.unwrap_or(required);
    if rate < required {
        return Err(ApiError::BadRequest(format!(
            "flow_rate {rate} is below the {required} wei/s dataset {dataset_id} requires in \
             {token}: the stream would not license"
        )));
    }
    let account = request.account;
    let current = streams
        .distribution_flow_rate(token, account, pool)
        .await
        .map_err(view("reading the current flow"))?;
    if current > I96::ZERO {
        return Err(ApiError::Conflict(format!(
            "{account} already streams {current} wei/s to dataset {dataset_id}: change or stop \
             it with distributeFlow on the GDAv1Forwarder ({})",
            streams.gda_forwarder()
        )));
    }
    let deposit = streams
        .deposit_for(token, rate)
        .await
        .map_err(view("reading the deposit rules"))?;
    let balance = streams
        .realtime_balance(token, account)
        .await
        .map_err(view("reading the Super Token balance"))?;
    if balance.available <= I256::from_raw(deposit) {
        return Err(ApiError::Conflict(format!(
            "{account}'s available balance of {token} is {}: a flow of {rate} wei/s holds {deposit} \
             as deposit, so it needs more than that (upgrade tokens to the Super Token first)",
            balance.available
        )));
    }
    let actual = streams
        .estimate_flow_rate(token, account, pool, rate)
        .await
        .map_err(view("estimating the flow"))?;
    // The call the wallet will send, run now from the buyer: a refusal surfaces here, with
    // Superfluid's reason, instead of as a failed transaction.
    streams
        .simulate_distribute_flow(token, account, pool, rate)
        .await
        .map_err(view("the stream would fail"))?;
    let transaction = UnsignedTx::new(
        format!("stream {rate} wei/s of {token} to dataset {dataset_id}'s pool {pool}"),
        state.chain_id(),
        account,
        streams.gda_forwarder(),
        IGDAv1Forwarder::distributeFlowCall {
            token,
            from: account,
            pool,
            requestedFlowRate: rate,
            userData: Bytes::new(),
        }
        .abi_encode(),
        U256::ZERO,
    );
    Ok(Json(StreamStartPlan {
        dataset_id: dataset_id.to_string(),
        account: account.to_checksum(None),
        complete: true,
        token: Some(token.to_checksum(None)),
        pool: Some(pool.to_checksum(None)),
        min_flow_rate: Some(min.to_string()),
        required_flow_rate: Some(required.to_string()),
        flow_rate: Some(rate.to_string()),
        actual_flow_rate: Some(actual.to_string()),
        deposit: Some(deposit.to_string()),
        available_balance: Some(balance.available.to_string()),
        transactions: vec![transaction],
    }))
}

/// The pools' `sync` with the dataset's current terms (from the mirror, checked against the
/// chain's terms hash), alone: the pool and the required rate are known once it is mined.
async fn sync_first(
    state: &ProductState,
    streams: &Streams,
    dataset_id: U256,
    chain_terms_hash: alloy::primitives::B256,
    request: &StreamStartRequest,
) -> Result<Json<StreamStartPlan>, ApiError> {
    let detail = dataset_detail(&state.pool, dataset_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotReady(format!(
                "dataset {dataset_id} is not in the mirror yet; try again shortly"
            ))
        })?;
    let (split, terms) = current_terms(&detail)?;
    if terms.hash() != chain_terms_hash {
        return Err(ApiError::NotReady(format!(
            "the mirror has not caught up with dataset {dataset_id}'s latest terms; try again \
             shortly"
        )));
    }
    let transaction = UnsignedTx::new(
        format!(
            "sync dataset {dataset_id}'s Superfluid pools with its current terms (anyone may send \
             it); then ask for the stream again"
        ),
        state.chain_id(),
        request.account,
        streams.address(),
        ITributaryStreams::syncCall {
            datasetId: dataset_id,
            split: (&split).into(),
            offers: terms.offers.iter().map(Into::into).collect(),
        }
        .abi_encode(),
        U256::ZERO,
    );
    Ok(Json(StreamStartPlan {
        dataset_id: dataset_id.to_string(),
        account: request.account.to_checksum(None),
        complete: false,
        token: None,
        pool: None,
        min_flow_rate: None,
        required_flow_rate: None,
        flow_rate: None,
        actual_flow_rate: None,
        deposit: None,
        available_balance: None,
        transactions: vec![transaction],
    }))
}

/// The Super Token: the one asked for, if the dataset offers it, else its only one.
async fn pick_token(
    streams: &Streams,
    dataset_id: U256,
    token: Option<Address>,
) -> Result<Address, ApiError> {
    let tokens = streams
        .subscription_tokens(dataset_id)
        .await
        .map_err(|error| body::view_error("reading the subscription tokens", &error))?;
    let offered = || {
        tokens
            .iter()
            .map(|token| token.to_checksum(None))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (token, tokens.as_slice()) {
        (Some(token), _) if tokens.contains(&token) => Ok(token),
        (_, []) => Err(ApiError::Conflict(format!(
            "dataset {dataset_id} has no subscription offer: buy one of its offers instead"
        ))),
        (Some(token), _) => Err(ApiError::BadRequest(format!(
            "dataset {dataset_id} has no subscription offer in {token} (offered: {})",
            offered()
        ))),
        (None, [token]) => Ok(*token),
        (None, _) => Err(ApiError::BadRequest(format!(
            "dataset {dataset_id} offers subscriptions in several tokens ({}): choose one with \
             `token`",
            offered()
        ))),
    }
}

/// A positive decimal rate that fits Superfluid's int96.
fn flow_rate(value: &str) -> Result<I96, ApiError> {
    let refused = || {
        ApiError::BadRequest(format!(
            "flow_rate {value} must be a positive decimal that fits Superfluid's int96"
        ))
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    let rate: i128 = value.parse().map_err(|_| refused())?;
    I96::try_from(rate)
        .ok()
        .filter(|rate| *rate > I96::ZERO)
        .ok_or_else(refused)
}
