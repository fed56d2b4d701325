//! Reading requests (ids, addresses, limits, cursors) and writing the
//! shared parts of answers (hex, provenance, pages).

use alloy::primitives::{Address, U256};
use axum::extract::{Query, rejection::QueryRejection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use crate::error;

pub(crate) const DEFAULT_LIMIT: i64 = 50;
pub(crate) const MAX_LIMIT: i64 = 500;

pub(crate) fn limit(value: Option<&str>) -> Result<i64, ApiError> {
    let Some(value) = value else {
        return Ok(DEFAULT_LIMIT);
    };
    value
        .parse::<i64>()
        .ok()
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| {
            ApiError::BadRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}"))
        })
}

pub(crate) fn uint(what: &str, value: &str) -> Result<U256, ApiError> {
    value
        .parse::<U256>()
        .ok()
        .filter(|_| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::BadRequest(format!("{what} must be a decimal uint256")))
}

pub(crate) fn address(what: &str, value: &str) -> Result<Address, ApiError> {
    let hex = value.strip_prefix("0x").unwrap_or_default();
    if hex.len() != 40 {
        return Err(ApiError::BadRequest(format!(
            "{what} must be a 0x-prefixed 20-byte hex address"
        )));
    }
    // Mixed case must be a correct EIP-55 checksum; all lower or upper is fine.
    let mixed =
        hex.bytes().any(|b| b.is_ascii_lowercase()) && hex.bytes().any(|b| b.is_ascii_uppercase());
    let parsed = if mixed {
        Address::parse_checksummed(value, None).ok()
    } else {
        value.parse::<Address>().ok()
    };
    parsed
        .ok_or_else(|| ApiError::BadRequest(format!("{what} is not a valid address (or checksum)")))
}

pub(crate) fn query<T: Default>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(params)| params).map_err(|rejection| {
        ApiError::BadRequest(format!("bad query string: {}", rejection.body_text()))
    })
}

pub(crate) fn bad_cursor() -> ApiError {
    ApiError::BadRequest("cursor is not one this API returned".into())
}

// ---------------------------------------------------------------------- output

pub(crate) fn hex_address(bytes: &[u8]) -> Result<String, ApiError> {
    Ok(error::address(bytes)?.to_checksum(None))
}

pub(crate) fn hex_hash(bytes: &[u8]) -> Result<String, ApiError> {
    Ok(error::b256(bytes)?.to_string())
}

/// Where an event was found on the chain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Provenance {
    /// The block number.
    pub block_number: u64,
    /// The transaction's hash.
    pub tx_hash: String,
}

impl Provenance {
    pub(crate) fn new(block_number: i64, tx_hash: &[u8]) -> Result<Self, ApiError> {
        Ok(Self {
            block_number: block_number as u64,
            tx_hash: hex_hash(tx_hash)?,
        })
    }
}

/// The first `limit` rows of `rows` (fetched with `limit + 1`), and whether more follow.
pub(crate) fn page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}

/// Reads a `block-logindex` cursor (lists in chain order).
pub(crate) fn chain_cursor(cursor: Option<&str>) -> Result<Option<(i64, i64)>, ApiError> {
    cursor
        .map(|cursor| {
            let (block, index) = cursor.split_once('-').ok_or_else(bad_cursor)?;
            let block = block.parse::<i64>().ok().filter(|n| *n >= 0);
            let index = index.parse::<i64>().ok().filter(|n| *n >= 0);
            block.zip(index).ok_or_else(bad_cursor)
        })
        .transpose()
}

/// The `block-logindex` cursor of a row (see [`chain_cursor`]).
pub(crate) fn chain_cursor_of(block_number: i64, log_index: i64) -> String {
    format!("{block_number}-{log_index}")
}

/// Reads a 32-byte hash (`0x` and 64 hex digits).
pub(crate) fn hash(what: &str, value: &str) -> Result<alloy::primitives::B256, ApiError> {
    value
        .strip_prefix("0x")
        .filter(|hex| hex.len() == 64)
        .and_then(|_| value.parse().ok())
        .ok_or_else(|| ApiError::BadRequest(format!("{what} must be 0x and 64 hex digits")))
}
