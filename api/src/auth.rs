//! Sign-In with Ethereum (EIP-4361): a wallet proves it holds an address by signing a message
//! with a nonce from this server; the answer is a bearer token for the session.
//!
//! `siwe` (spruceid's crate) parses the message and checks its signature (EIP-191), domain,
//! nonce and times; this module hands out nonces, consumes each once, and keeps sessions.
//! Contract wallets (EIP-1271) are not accepted yet: only externally owned accounts sign in.

use alloy::primitives::Address;
use axum::{
    Json,
    extract::{FromRequestParts, State, rejection::JsonRejection},
    http::{header, request::Parts},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use siwe::{Message, VerificationOpts};
use tributary_indexer::api::{ApiError, ErrorBody};
use utoipa::ToSchema;

use crate::{ProductState, body, db};

/// How long a nonce may wait for its login.
const NONCE_LIFETIME_SECS: i64 = 600;
/// The longest session; a message with an earlier `Expiration Time` ends it sooner.
const MAX_SESSION_SECS: i64 = 24 * 3600;

/// A fresh nonce to put in the message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NonceAnswer {
    /// 32 alphanumeric characters, valid once, for 10 minutes.
    pub nonce: String,
    /// The `domain` the message must name (this server's).
    pub domain: String,
    /// The `Chain ID` the message must name.
    pub chain_id: u64,
}

/// A signed EIP-4361 message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The message exactly as signed.
    pub message: String,
    /// The account's `personal_sign` (EIP-191) signature of it, 65 bytes, `0x` hex.
    pub signature: String,
}

/// An open session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`. Shown once; the server keeps only its hash.
    pub token: String,
    /// The signed-in account.
    pub account: String,
    /// Unix seconds when the session ends.
    pub expires_at: i64,
}

/// Ask for a nonce to sign in with.
#[utoipa::path(post, path = "/auth/nonce",
    responses(
        (status = 200, description = "A nonce for one sign-in", body = NonceAnswer),
        (status = 503, description = "The database cannot be reached", body = ErrorBody),
    ))]
pub(crate) async fn nonce(
    State(state): State<ProductState>,
) -> Result<Json<NonceAnswer>, ApiError> {
    let nonce = random_hex(16)?;
    let now = db::now();
    // Expired nonces go as new ones come: the table stays as small as the logins in flight.
    sqlx::query("DELETE FROM api_siwe_nonces WHERE expires_at <= $1")
        .bind(now)
        .execute(&state.pool)
        .await?;
    sqlx::query("INSERT INTO api_siwe_nonces (nonce, expires_at) VALUES ($1, $2)")
        .bind(&nonce)
        .bind(now + NONCE_LIFETIME_SECS)
        .execute(&state.pool)
        .await?;
    Ok(Json(NonceAnswer {
        nonce,
        domain: state.access.siwe_domain.clone(),
        chain_id: state.chain_id(),
    }))
}

/// Sign in: check the signed message and open a session.
#[utoipa::path(post, path = "/auth/login", request_body = LoginRequest,
    responses(
        (status = 200, description = "The session", body = Session),
        (status = 400, description = "Not an EIP-4361 message, or a malformed signature", body = ErrorBody),
        (status = 401, description = "Wrong domain, chain, nonce (unknown, used or expired), time or signature", body = ErrorBody),
    ))]
pub(crate) async fn login(
    State(state): State<ProductState>,
    request: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<Session>, ApiError> {
    let request = body::json(request)?;
    let message: Message = request
        .message
        .parse()
        .map_err(|error| ApiError::BadRequest(format!("not an EIP-4361 message: {error}")))?;
    let signature = alloy::hex::decode(&request.signature)
        .ok()
        .and_then(|bytes| <[u8; 65]>::try_from(bytes).ok())
        .ok_or_else(|| ApiError::BadRequest("signature must be 65 bytes, 0x hex".into()))?;
    if message.chain_id != state.chain_id() {
        return Err(ApiError::Unauthorized(format!(
            "the message is for chain {}, this server serves chain {}",
            message.chain_id,
            state.chain_id()
        )));
    }
    // The nonce is consumed before the signature is checked: whatever follows, this message
    // cannot be replayed.
    let now = db::now();
    let consumed: Option<String> = sqlx::query_scalar(
        "DELETE FROM api_siwe_nonces WHERE nonce = $1 AND expires_at > $2 RETURNING nonce",
    )
    .bind(&message.nonce)
    .bind(now)
    .fetch_optional(&state.pool)
    .await?;
    if consumed.is_none() {
        return Err(ApiError::Unauthorized(
            "unknown, used or expired nonce: ask POST /auth/nonce for a new one".into(),
        ));
    }
    let domain = state.access.siwe_domain.parse().map_err(|_| {
        tracing::error!(domain = %state.access.siwe_domain, "the configured SIWE domain does not parse");
        ApiError::Internal
    })?;
    let options = VerificationOpts {
        domain: Some(domain),
        nonce: Some(message.nonce.clone()),
        timestamp: None,
    };
    message
        .verify(&signature, &options)
        .await
        .map_err(|error| ApiError::Unauthorized(format!("sign-in refused: {error}")))?;

    let account = Address::from(message.address);
    let ends = message
        .expiration_time
        .as_ref()
        .map_or(i64::MAX, |time| time.as_ref().unix_timestamp());
    let expires_at = ends.min(now + MAX_SESSION_SECS);
    let token = random_hex(32)?;
    sqlx::query(
        "INSERT INTO api_sessions (token_sha256, account, expires_at, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(Sha256::digest(token.as_bytes()).to_vec())
    .bind(account.as_slice())
    .bind(expires_at)
    .bind(now)
    .execute(&state.pool)
    .await?;
    tracing::info!(%account, expires_at, "signed in");
    Ok(Json(Session {
        token,
        account: account.to_checksum(None),
        expires_at,
    }))
}

/// The account of the request's session (`Authorization: Bearer <token>`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedIn(pub(crate) Address);

impl FromRequestParts<ProductState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ProductState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "sign in first (POST /auth/nonce, POST /auth/login), then send \
                     Authorization: Bearer <token>"
                        .into(),
                )
            })?;
        let account: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT account FROM api_sessions WHERE token_sha256 = $1 AND expires_at > $2",
        )
        .bind(Sha256::digest(token.trim().as_bytes()).to_vec())
        .bind(db::now())
        .fetch_optional(&state.pool)
        .await?;
        let account = account.ok_or_else(|| {
            ApiError::Unauthorized("unknown or expired session: sign in again".into())
        })?;
        Address::try_from(account.as_slice())
            .map(SignedIn)
            .map_err(|_| ApiError::Internal)
    }
}

/// `bytes` random bytes from the operating system, as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, ApiError> {
    let mut buffer = vec![0; bytes];
    getrandom::fill(&mut buffer).map_err(|error| {
        tracing::error!(%error, "the operating system gave no random bytes");
        ApiError::Internal
    })?;
    Ok(alloy::hex::encode(buffer))
}
