//! Request bodies and paths read into the API's error shape (axum's own rejections are plain
//! text).

use alloy::primitives::U256;
use axum::{
    Json,
    extract::{
        Path, Query,
        rejection::{JsonRejection, PathRejection, QueryRejection},
    },
};
use tributary_indexer::api::ApiError;

/// The JSON body, or a 400 naming what is wrong with it.
pub(crate) fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|rejection| {
        ApiError::BadRequest(format!("bad JSON body: {}", rejection.body_text()))
    })
}

/// The query string, or a 400 naming what is wrong with it.
pub(crate) fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(value)| value).map_err(|rejection| {
        ApiError::BadRequest(format!("bad query string: {}", rejection.body_text()))
    })
}

/// The `{id}` of a dataset path, a decimal uint256.
pub(crate) fn dataset_id(path: Result<Path<String>, PathRejection>) -> Result<U256, ApiError> {
    let Path(id) = path.map_err(|_| ApiError::BadRequest("bad dataset id".into()))?;
    decimal("dataset id", &id)
}

/// A decimal uint256 (digits only: no sign, no hex, no exponent).
pub(crate) fn decimal(what: &str, value: &str) -> Result<U256, ApiError> {
    value
        .parse::<U256>()
        .ok()
        .filter(|_| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::BadRequest(format!("{what} must be a decimal uint256")))
}

/// A failed view call as an answer: a revert is the request's fault (409, with the contract's
/// reason); anything else means the node could not answer (503, logged).
pub(crate) fn view_error(what: &str, error: &tributary_core::Error) -> ApiError {
    if let Some(revert) = error.revert() {
        return ApiError::Conflict(format!("{what}: the contract refused: {revert}"));
    }
    tracing::error!(%error, "{what}");
    ApiError::NotReady(format!("{what}: the node did not answer; try again later"))
}
