//! Credits: the fiat bridge's balances and payments, per account.

use alloy::primitives::U256;
use axum::{
    Json,
    extract::{Path, State, rejection::PathRejection},
};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    input::{Provenance, address, hex_hash},
};

/// An account's credits.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountCredits {
    /// The account.
    pub account: String,
    /// Credits it can spend now: minted, less spent, less burned by
    /// reversals (what `creditBalance(account)` answers; decimal).
    pub balance: String,
    /// Every card payment credited to it, in chain order.
    pub payments: Vec<CreditPayment>,
}

/// A card payment credited on-chain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditPayment {
    /// The payment id (what the relayer derives from the Stripe payment).
    pub payment_id: String,
    /// Credits minted for it (decimal).
    pub amount: String,
    /// Credits spent on licences (decimal).
    pub spent: String,
    /// The licences bought with it, by token id.
    pub token_ids: Vec<String>,
    /// Refunded or disputed: its unspent credits were burned and its
    /// licences flagged.
    pub reversed: bool,
    /// Where it was credited.
    pub minted: Provenance,
}

#[derive(Debug, FromRow)]
struct CreditRow {
    payment_id: Vec<u8>,
    amount: String,
    spent: String,
    token_ids: Vec<String>,
    reversed: bool,
    block_number: i64,
    tx_hash: Vec<u8>,
}

/// An account's credit balance and the card payments credited to it.
#[utoipa::path(get, path = "/credits/{account}",
    params(("account" = String, Path, description = "The account (0x address)")),
    responses(
        (status = 200, description = "Balance and payments (none: a zero balance)", body = AccountCredits),
        (status = 400, description = "Malformed account", body = ErrorBody),
    ))]
pub(crate) async fn account_credits(
    State(state): State<AppState>,
    account: Result<Path<String>, PathRejection>,
) -> ApiResult<AccountCredits> {
    let Path(account) = account.map_err(|_| ApiError::BadRequest("bad account".into()))?;
    let account = address("account", &account)?;
    // A payment is minted once (the contract refuses a second credit of an id).
    let rows: Vec<CreditRow> = sqlx::query_as(
        "SELECT m.payment_id, m.amount::TEXT AS amount,
                COALESCE((SELECT sum(s.amount) FROM credits_spent s
                          WHERE s.payment_id = m.payment_id), 0)::TEXT AS spent,
                ARRAY(SELECT s.token_id::TEXT FROM credits_spent s
                      WHERE s.payment_id = m.payment_id
                      ORDER BY s.block_number, s.log_index) AS token_ids,
                EXISTS (SELECT 1 FROM credits_reversed r WHERE r.payment_id = m.payment_id)
                    AS reversed,
                m.block_number, m.tx_hash
         FROM credits_minted m WHERE m.account = $1
         ORDER BY m.block_number, m.log_index",
    )
    .bind(account.to_vec())
    .fetch_all(&state.pool)
    .await?;
    // Unspent credits of a reversed payment were burned; the rest are
    // spendable. Summed here from the one query, so that the balance and
    // the list come from one snapshot.
    let mut balance = U256::ZERO;
    for row in rows.iter().filter(|row| !row.reversed) {
        let amount = decimal(&row.amount)?;
        let spent = decimal(&row.spent)?;
        balance += amount.checked_sub(spent).ok_or_else(|| {
            tracing::error!(amount = %amount, spent = %spent, "a payment spent more than minted");
            ApiError::Internal
        })?;
    }
    let payments = rows
        .into_iter()
        .map(|row| {
            Ok(CreditPayment {
                payment_id: hex_hash(&row.payment_id)?,
                amount: row.amount,
                spent: row.spent,
                token_ids: row.token_ids,
                reversed: row.reversed,
                minted: Provenance::new(row.block_number, &row.tx_hash)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(AccountCredits {
        account: account.to_checksum(None),
        balance: balance.to_string(),
        payments,
    }))
}

/// A NUMERIC read back as text.
fn decimal(text: &str) -> Result<U256, ApiError> {
    text.parse().map_err(|_| {
        tracing::error!(text, "a stored amount is not a uint256");
        ApiError::Internal
    })
}
