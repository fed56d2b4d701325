//! `POST /datasets/{id}/report-usage`: a royalty-linked licensee reports downstream revenue;
//! the answer is the transactions that report it and pay the royalty share.

use alloy::{
    primitives::{Address, B256, U256},
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
use tributary_core::chain::{ETH, ITributary, OfferKind};
use tributary_indexer::api::{ApiError, ErrorBody, dataset_detail};
use utoipa::ToSchema;

use crate::{
    ProductState, body,
    offers::current_terms,
    transaction::{UnsignedTx, approval_if_short},
};

/// Basis points in one whole (the contract's `BPS`).
const BPS: u64 = 10_000;

/// Revenue earned downstream with a royalty-linked licence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageRequest {
    /// The licence's token id, decimal.
    pub token_id: String,
    /// The licence holder, who sends the report.
    #[schema(value_type = String)]
    pub reporter: Address,
    /// Revenue earned with the dataset, in the licence's payment token's smallest unit, decimal.
    pub revenue: String,
    /// A hash of the evidence behind the figure (a report, an invoice), `0x` hex. Default zero.
    #[serde(default)]
    #[schema(value_type = String)]
    pub evidence_hash: B256,
}

/// What the licensee's wallet sends, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsagePlan {
    /// The dataset.
    pub dataset_id: String,
    /// The licence.
    pub token_id: String,
    /// The token the royalty is paid in (the licence's payment token).
    pub payment_token: String,
    /// The licence's royalty share, in basis points.
    pub royalty_bps: u16,
    /// The royalty owed: `revenue × royalty_bps / 10 000`, rounded down (as the contract does).
    pub royalty: String,
    /// An ERC-20 `approve` first when the allowance is short, then `reportRevenue`.
    pub transactions: Vec<UnsignedTx>,
}

/// Plan a revenue report for a royalty-linked licence: the royalty owed and the transactions
/// that report and pay it.
#[utoipa::path(post, path = "/datasets/{id}/report-usage", request_body = UsageRequest,
    params(("id" = String, Path, description = "The dataset id (decimal)")),
    responses(
        (status = 200, description = "The transactions to send", body = UsagePlan),
        (status = 400, description = "A malformed request", body = ErrorBody),
        (status = 404, description = "No dataset has this id (in the mirror)", body = ErrorBody),
        (status = 409, description = "The licence is not the reporter's, not of this dataset, or not royalty-linked", body = ErrorBody),
        (status = 503, description = "The node cannot be reached", body = ErrorBody),
    ))]
pub(crate) async fn report_usage(
    State(state): State<ProductState>,
    id: Result<Path<String>, PathRejection>,
    request: Result<Json<UsageRequest>, JsonRejection>,
) -> Result<Json<UsagePlan>, ApiError> {
    let dataset_id = body::dataset_id(id)?;
    let request = body::json(request)?;
    let token_id = body::decimal("token_id", &request.token_id)?;
    let revenue = body::decimal("revenue", &request.revenue)?;

    let tributary = &state.tributary;
    let holder = tributary
        .owner_of(token_id)
        .await
        .map_err(|error| body::view_error("reading the licence's holder", &error))?;
    if holder != request.reporter {
        return Err(ApiError::Conflict(format!(
            "licence {token_id} is held by {holder}, not {}: only its holder reports",
            request.reporter
        )));
    }
    let licence = tributary
        .licence(token_id)
        .await
        .map_err(|error| body::view_error("reading the licence", &error))?;
    if U256::from(licence.datasetId) != dataset_id {
        return Err(ApiError::Conflict(format!(
            "licence {token_id} is for dataset {}, not {dataset_id}",
            licence.datasetId
        )));
    }
    if licence.offer_kind() != Ok(OfferKind::RoyaltyLinked) {
        return Err(ApiError::Conflict(format!(
            "licence {token_id} is not royalty-linked: it owes no royalty"
        )));
    }
    let payment_token = tributary
        .licence_payment_token(token_id)
        .await
        .map_err(|error| body::view_error("reading the licence's payment token", &error))?;
    let detail = dataset_detail(&state.pool, dataset_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no dataset {dataset_id} in the mirror yet")))?;
    let (_, terms) = current_terms(&detail)?;

    let royalty = royalty_of(revenue, licence.royaltyBps);

    let chain_id = tributary.client().chain_id();
    let reporter = request.reporter;
    let mut transactions = Vec::with_capacity(2);
    transactions.extend(approval_if_short(tributary, payment_token, reporter, royalty).await?);
    let value = if payment_token == ETH {
        royalty
    } else {
        U256::ZERO
    };
    transactions.push(UnsignedTx::new(
        format!("report revenue {revenue} under licence {token_id} and pay royalty {royalty}"),
        chain_id,
        reporter,
        tributary.address(),
        ITributary::reportRevenueCall {
            tokenId: token_id,
            revenue,
            evidenceHash: request.evidence_hash,
            terms,
        }
        .abi_encode(),
        value,
    ));
    Ok(Json(UsagePlan {
        dataset_id: dataset_id.to_string(),
        token_id: token_id.to_string(),
        payment_token: payment_token.to_checksum(None),
        royalty_bps: licence.royaltyBps,
        royalty: royalty.to_string(),
        transactions,
    }))
}

/// The contract's `Math.mulDiv(revenue, royaltyBps, BPS)`: exact, rounded down, for any revenue.
/// With `revenue = q·BPS + r`, `revenue·bps/BPS = q·bps + r·bps/BPS`, and neither product can
/// overflow since `bps ≤ BPS`.
fn royalty_of(revenue: U256, bps: u16) -> U256 {
    let (bps, whole) = (U256::from(bps), U256::from(BPS));
    (revenue / whole) * bps + (revenue % whole) * bps / whole
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn royalty_rounds_down_like_mul_div() {
        assert_eq!(royalty_of(U256::from(10_000u64), 250), U256::from(250u64));
        assert_eq!(royalty_of(U256::from(9_999u64), 1), U256::ZERO);
        assert_eq!(royalty_of(U256::from(12_345u64), 333), U256::from(411u64));
        // Near the top of the range: (MAX · 10000) / 10000 = MAX, no overflow.
        assert_eq!(royalty_of(U256::MAX, 10_000), U256::MAX);
        assert_eq!(royalty_of(U256::MAX, 0), U256::ZERO);
        // floor((2^256 - 1) · 5000 / 10000) = 2^255 - 1
        assert_eq!(royalty_of(U256::MAX, 5_000), U256::MAX >> 1);
    }
}
