//! Transactions the user's wallet sends: built here, signed there.

use alloy::primitives::{Address, Bytes, U256};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
