//! Transactions the user's wallet sends: built here, signed there.

use alloy::{
    primitives::{Address, Bytes, U256},
    sol_types::SolCall,
};
use serde::{Deserialize, Serialize};
use tributary_core::chain::{ETH, IERC20, Tributary};
use tributary_indexer::api::ApiError;
use utoipa::ToSchema;

use crate::body;

/// A transaction to send from the user's wallet, unsigned (the wallet picks nonce and fees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnsignedTx {
    /// What it does, for the person approving it.
    pub description: String,
    /// The chain to send it on.
    pub chain_id: u64,
    /// The account that must send it.
    pub from: String,
    /// The contract called.
    pub to: String,
    /// The calldata, `0x` hex.
    pub data: String,
    /// Wei to send with it, decimal.
    pub value: String,
}

impl UnsignedTx {
    /// `data` sent by `from` to `to` on `chain_id` with `value` wei.
    pub(crate) fn new(
        description: impl Into<String>,
        chain_id: u64,
        from: Address,
        to: Address,
        data: impl Into<Bytes>,
        value: U256,
    ) -> Self {
        Self {
            description: description.into(),
            chain_id,
            from: from.to_checksum(None),
            to: to.to_checksum(None),
            data: data.into().to_string(),
            value: value.to_string(),
        }
    }
}

/// The ERC-20 `approve` that `owner` must send first for the contract to take `amount` of
/// `token`, or `None` when nothing needs approving (ETH, a zero amount, or an allowance that
/// already covers it).
pub(crate) async fn approval_if_short(
    tributary: &Tributary,
    token: Address,
    owner: Address,
    amount: U256,
) -> Result<Option<UnsignedTx>, ApiError> {
    if token == ETH || amount.is_zero() {
        return Ok(None);
    }
    let allowance = tributary
        .allowance(token, owner)
        .await
        .map_err(|error| body::view_error("reading the allowance", &error))?;
    if allowance >= amount {
        return Ok(None);
    }
    Ok(Some(UnsignedTx::new(
        format!("allow Tributary to take {amount} of token {token}"),
        tributary.client().chain_id(),
        owner,
        token,
        IERC20::approveCall {
            spender: tributary.address(),
            amount,
        }
        .abi_encode(),
        U256::ZERO,
    )))
}
