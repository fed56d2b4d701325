//! The HTTP API: Stripe's webhook, health, and the outbox for operators.
//!
//! Conventions are the indexer's: JSON everywhere; uint256 values are
//! decimal strings, addresses EIP-55 checksummed, hashes lowercase `0x` hex;
//! lists are pages `{items, next_cursor}`; errors are
//! `{"error": {"code", "message"}}` and never carry database text. Bad input
//! is a 4xx, never a 5xx.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::sync::Notify;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{
    creators::{self, LinkError, LinkRequest, LinkSettings},
    db::{self, JobStatus, Stored},
    payouts,
    stripe::{
        StripeClient, Verifier,
        event::{self, Action},
        signature,
    },
};

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pool: PgPool,
    verifier: Arc<Verifier>,
    currency: Arc<str>,
    wake: Option<Arc<Notify>>,
    connect: Option<Arc<(StripeClient, LinkSettings)>>,
}

impl AppState {
    /// The API over `pool`, accepting deliveries signed for `verifier`'s
    /// secret, crediting payments in `currency` (lowercase ISO code).
    pub fn new(pool: PgPool, verifier: Verifier, currency: &str) -> Self {
        Self {
            pool,
            verifier: Arc::new(verifier),
            currency: currency.to_ascii_lowercase().into(),
            wake: None,
            connect: None,
        }
    }

    /// This state, linking creators to Stripe connected accounts through
    /// `stripe` (`POST /creators`); without it that endpoint answers 503.
    pub fn with_connect(mut self, stripe: StripeClient, settings: LinkSettings) -> Self {
        self.connect = Some(Arc::new((stripe, settings)));
        self
    }

    /// This state, waking `worker` whenever a new job is stored.
    pub fn with_waker(mut self, worker: Arc<Notify>) -> Self {
        self.wake = Some(worker);
        self
    }
}

/// The OpenAPI document of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tributary relayer",
        description = "Stripe webhooks in, on-chain credits out, exactly once."
    ),
    paths(
        webhook,
        health,
        list_jobs,
        retry_job,
        link_creator,
        get_creator,
        payouts_summary,
        retry_transfer
    ),
    components(schemas(
        Received,
        Health,
        JobView,
        JobPage,
        ErrorBody,
        ErrorDetail,
        LinkBody,
        LinkedView,
        CreatorView,
        PayoutsView,
        TransferView
    ))
)]
pub struct ApiDoc;

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/stripe/webhook", post(webhook))
        .route("/health", get(health))
        .route("/jobs", get(list_jobs))
        .route("/jobs/{id}/retry", post(retry_job))
        .route("/creators", post(link_creator))
        .route("/creators/{wallet}", get(get_creator))
        .route("/payouts", get(payouts_summary))
        .route("/payouts/transfers/{id}/retry", post(retry_transfer))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .with_state(state)
}

// ---------------------------------------------------------------------- errors

/// The body of every error answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// An error's machine-readable code and human-readable message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// `invalid_signature`, `invalid_event`, `bad_request`, `not_found`,
    /// `unavailable`, `internal`; for `POST /creators` also `invalid_wallet`,
    /// `bad_signature`, `stale_signature`, `replayed_nonce`,
    /// `payouts_unavailable`, `stripe_unavailable`, `stripe_refused`.
    pub code: String,
    /// What is wrong, or what to do about it.
    pub message: String,
}

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 400 with a code: the request is malformed (the message says how).
    BadRequest(&'static str, String),
    /// Another 4xx or 5xx with a code and a message.
    Status(StatusCode, &'static str, String),
    /// 404: nothing has this id (or path).
    NotFound(String),
    /// 503: the database cannot be reached now (Stripe retries).
    Unavailable,
    /// 500: a bug or a corrupt row; logged, not shown.
    Internal,
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database request failed");
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable
            }
            _ => Self::Internal,
        }
    }
}

impl From<crate::Error> for ApiError {
    fn from(error: crate::Error) -> Self {
        match error {
            crate::Error::Db(error) => error.into(),
            other => {
                tracing::error!(error = %other, "request failed");
                Self::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::BadRequest(code, message) => (StatusCode::BAD_REQUEST, code, message),
            Self::Status(status, code, message) => (status, code, message),
            Self::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database cannot be reached; try again later".to_owned(),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; it was logged".to_owned(),
            ),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        };
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see /openapi.json".into())
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

// ---------------------------------------------------------------------- webhook

/// A delivery accepted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Received {
    /// The event id.
    pub event_id: String,
    /// The event was stored before (a redelivery): nothing changed.
    pub duplicate: bool,
    /// The job the event maps to, if it asks anything of the chain (`null`
    /// for a duplicate: see the first delivery).
    pub job_id: Option<i64>,
}

/// Stripe's webhook: verifies the signature over the raw body, stores the
/// event and its job in one transaction, answers at once (the worker sends
/// the transaction later).
#[utoipa::path(
    post,
    path = "/stripe/webhook",
    request_body(content = String, description = "the event, as Stripe signed it", content_type = "application/json"),
    params(("Stripe-Signature" = String, Header, description = "t=…,v1=…")),
    responses(
        (status = 200, description = "stored (or already stored)", body = Received),
        (status = 400, description = "bad signature, stale timestamp or unusable event; nothing stored", body = ErrorBody),
        (status = 503, description = "database unreachable: Stripe will redeliver", body = ErrorBody)
    )
)]
async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Received> {
    let header = match headers.get(signature::HEADER).map(|value| value.to_str()) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            return Err(refused(
                "invalid_signature",
                "malformed Stripe-Signature header: not visible ASCII".into(),
            ));
        }
    };
    state
        .verifier
        .verify(header, &body)
        .map_err(|error| refused("invalid_signature", error.to_string()))?;
    let event =
        event::parse(&body, &state.currency).map_err(|error| refused("invalid_event", error.0))?;
    let stored = db::store(&state.pool, &event, &body).await?;
    let received = match stored {
        Stored::Duplicate => {
            tracing::info!(event = %event.id, kind = %event.kind, "redelivery; already stored");
            Received {
                event_id: event.id,
                duplicate: true,
                job_id: None,
            }
        }
        Stored::New { job, created } => {
            match &event.action {
                Action::Ignore(why) => {
                    tracing::info!(event = %event.id, kind = %event.kind, reason = %why, "stored; nothing to send")
                }
                _ => {
                    tracing::info!(event = %event.id, kind = %event.kind, job, new_job = created, "stored")
                }
            }
            if created && let Some(wake) = &state.wake {
                wake.notify_one();
            }
            Received {
                event_id: event.id,
                duplicate: false,
                job_id: job,
            }
        }
    };
    Ok(Json(received))
}

fn refused(code: &'static str, message: String) -> ApiError {
    tracing::warn!(code, reason = %message, "webhook refused");
    ApiError::BadRequest(code, message)
}

// ---------------------------------------------------------------------- health

/// Liveness.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// `{"status":"ok"}` when the database answers, else 503.
#[utoipa::path(
    get,
    path = "/health",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "database unreachable", body = ErrorBody)
    )
)]
async fn health(State(state): State<AppState>) -> ApiResult<Health> {
    sqlx::query("SELECT 1").execute(&state.pool).await?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

// ---------------------------------------------------------------------- jobs

/// A job of the outbox.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    /// Its id.
    pub id: i64,
    /// `mint_credits`, `reverse_credits` or `purchase_licence`.
    pub kind: String,
    /// `pending`, `running`, `done` or `failed`.
    pub status: String,
    /// The on-chain payment id: keccak256 of the PaymentIntent id.
    pub payment_id: String,
    /// The Stripe PaymentIntent (`pi_…`).
    pub payment_intent: String,
    /// The account credited (mint jobs), the licence's recipient (purchase jobs).
    pub account: Option<String>,
    /// The credits, in the currency's smallest unit (mint jobs).
    pub amount: Option<String>,
    /// The dataset whose licence the payment buys (mint jobs that name one,
    /// purchase jobs), decimal.
    pub dataset_id: Option<String>,
    /// The offer's index in the dataset's terms, with `dataset_id`.
    pub offer_index: Option<u32>,
    /// The Stripe event that created it.
    pub event_id: String,
    /// Claims so far.
    pub attempts: i32,
    /// How a done job ended: `minted`, `already_credited`,
    /// `refused_reversed`, `skipped_reversed`, `reversed`, `already_reversed`,
    /// `purchased`, `already_purchased`.
    pub outcome: Option<String>,
    /// The job's transaction: while it is being sent, the current one (the
    /// newest fee level of its nonce); once done, the one that did it
    /// (`null` when the chain was found credited or reversed already).
    pub tx_hash: Option<String>,
    /// The nonce of the job's current (or last) transaction.
    pub nonce: Option<i64>,
    /// Transactions signed for the job so far, fee bumps included.
    pub tx_count: i32,
    /// The last failure (a failed job's reason).
    pub last_error: Option<String>,
    /// Created (RFC 3339, UTC).
    pub created_at: String,
    /// Last changed (RFC 3339, UTC).
    pub updated_at: String,
}

impl From<db::JobRecord> for JobView {
    fn from(job: db::JobRecord) -> Self {
        Self {
            id: job.id,
            kind: job.kind,
            status: job.status,
            payment_id: job.payment_id.to_string(),
            payment_intent: job.payment_intent,
            account: job.account.map(|account| account.to_checksum(None)),
            amount: job.amount.map(|amount| amount.to_string()),
            dataset_id: job.purchase.map(|purchase| purchase.dataset_id.to_string()),
            offer_index: job.purchase.map(|purchase| purchase.offer_index),
            event_id: job.event_id,
            attempts: job.attempts,
            outcome: job.outcome,
            tx_hash: job.tx_hash.map(|hash| hash.to_string()),
            nonce: job.nonce,
            tx_count: job.tx_count,
            last_error: job.last_error,
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }
}

/// A page of jobs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobPage {
    /// The jobs, by id.
    pub items: Vec<JobView>,
    /// Pass back as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Filters and paging of `GET /jobs`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct JobQuery {
    /// `pending`, `running`, `done` or `failed`.
    status: Option<String>,
    /// 1 to 500; default 50.
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

/// The outbox, by id: `?status=failed` lists the parked jobs with their reasons.
#[utoipa::path(
    get,
    path = "/jobs",
    params(JobQuery),
    responses(
        (status = 200, body = JobPage),
        (status = 400, body = ErrorBody)
    )
)]
async fn list_jobs(
    State(state): State<AppState>,
    query: Result<Query<JobQuery>, QueryRejection>,
) -> ApiResult<JobPage> {
    let Query(query) =
        query.map_err(|error| ApiError::BadRequest("bad_request", error.body_text()))?;
    let status = query
        .status
        .as_deref()
        .map(str::parse::<JobStatus>)
        .transpose()
        .map_err(|message| ApiError::BadRequest("bad_request", message))?;
    let limit = match query.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::BadRequest("bad_request", format!("limit must be 1 to {MAX_LIMIT}"))
            })?,
    };
    let after = match query.cursor.as_deref() {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|after| *after >= 0)
            .ok_or_else(|| ApiError::BadRequest("bad_request", "malformed cursor".into()))?,
    };
    let mut jobs = db::jobs(&state.pool, status, after, limit + 1).await?;
    let next_cursor = if jobs.len() as i64 > limit {
        jobs.truncate(limit as usize);
        jobs.last().map(|job| job.id.to_string())
    } else {
        None
    };
    Ok(Json(JobPage {
        items: jobs.into_iter().map(JobView::from).collect(),
        next_cursor,
    }))
}

/// Puts a failed job back in the queue with a fresh count of attempts (after
/// the cause was fixed: the relayer role granted, the contract unpaused).
#[utoipa::path(
    post,
    path = "/jobs/{id}/retry",
    params(("id" = i64, Path, description = "the job")),
    responses(
        (status = 200, body = JobView),
        (status = 400, body = ErrorBody),
        (status = 404, description = "no failed job has this id", body = ErrorBody)
    )
)]
async fn retry_job(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<JobView> {
    let Path(id) =
        id.map_err(|_| ApiError::BadRequest("bad_request", "malformed job id".into()))?;
    if !db::requeue(&state.pool, id).await? {
        return Err(ApiError::NotFound(format!("no failed job {id}")));
    }
    tracing::info!(job = id, "failed job put back in the queue");
    let job = db::jobs(&state.pool, None, id - 1, 1)
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::Internal)?;
    Ok(Json(job.into()))
}

// ---------------------------------------------------------------------- creators

/// `POST /creators`: a wallet's proof of ownership, and what Stripe's
/// onboarding may be prefilled with.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LinkBody {
    /// The creator's wallet, `0x…` (EIP-55 when mixed case).
    pub wallet: String,
    /// 8 to 64 characters from `A-Za-z0-9-_`, never used before by this wallet.
    pub nonce: String,
    /// When the message was signed (Unix seconds); at most the tolerance
    /// (300 s by default) old, at most 60 s ahead.
    pub issued_at: i64,
    /// The wallet's EIP-191 `personal_sign` of the link message, 65 bytes
    /// `0x` hex. The message, lines joined by `\n`: `Tributary: link this
    /// wallet to a Stripe payout account.`, an empty line, `Wallet: <EIP-55
    /// address>`, `Chain ID: <the relayer's chain id>`, `Nonce: <nonce>`,
    /// `Issued At: <issued_at>`.
    pub signature: String,
    /// The connected account's country (two capital letters), if known.
    pub country: Option<String>,
    /// The creator's e-mail, prefilled in Stripe's onboarding.
    pub email: Option<String>,
}

/// A wallet linked to its connected account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LinkedView {
    /// The wallet (EIP-55).
    pub wallet: String,
    /// The Express connected account (`acct_…`).
    pub stripe_account: String,
    /// Stripe's hosted onboarding: send the creator there (single use).
    pub onboarding_url: String,
    /// When that link expires (Unix seconds); sign again for a new one.
    pub expires_at: i64,
    /// Whether Stripe already pays out to the account (KYC done).
    pub payouts_enabled: bool,
}

/// Links the signing wallet to a Stripe Express connected account (created
/// once per wallet) and answers a fresh onboarding link. KYC status follows
/// from Stripe's `account.updated` webhooks.
#[utoipa::path(
    post,
    path = "/creators",
    request_body = LinkBody,
    responses(
        (status = 200, description = "linked; onboarding link opened", body = LinkedView),
        (status = 400, description = "malformed wallet, nonce, signature, country or e-mail (`invalid_wallet`, `bad_request`), or a stale or future issued_at (`stale_signature`)", body = ErrorBody),
        (status = 401, description = "the signature is not the wallet's (`bad_signature`)", body = ErrorBody),
        (status = 409, description = "the nonce was used before (`replayed_nonce`)", body = ErrorBody),
        (status = 502, description = "Stripe failed or refused", body = ErrorBody),
        (status = 503, description = "payouts are not configured (no Stripe key) or the database is unreachable", body = ErrorBody)
    )
)]
async fn link_creator(
    State(state): State<AppState>,
    body: Result<Json<LinkBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<LinkedView> {
    let Json(body) =
        body.map_err(|error| ApiError::BadRequest("bad_request", error.body_text()))?;
    let Some(connect) = state.connect.clone() else {
        return Err(ApiError::Status(
            StatusCode::SERVICE_UNAVAILABLE,
            "payouts_unavailable",
            "this relayer has no Stripe secret key: payouts are off".into(),
        ));
    };
    let request = LinkRequest {
        wallet: body.wallet,
        nonce: body.nonce,
        issued_at: body.issued_at,
        signature: body.signature,
        country: body.country,
        email: body.email,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs() as i64)
        .unwrap_or_default();
    let (stripe, settings) = (&connect.0, &connect.1);
    let linked = creators::link(&state.pool, stripe, settings, &request, now)
        .await
        .map_err(|error| {
            let message = error.to_string();
            tracing::warn!(wallet = %request.wallet, reason = %message, "creator link refused");
            match error {
                LinkError::InvalidWallet(_) => ApiError::BadRequest("invalid_wallet", message),
                LinkError::Invalid(_) => ApiError::BadRequest("bad_request", message),
                LinkError::BadSignature(_) => {
                    ApiError::Status(StatusCode::UNAUTHORIZED, "bad_signature", message)
                }
                LinkError::Stale(_) => ApiError::BadRequest("stale_signature", message),
                LinkError::Replay(_) => {
                    ApiError::Status(StatusCode::CONFLICT, "replayed_nonce", message)
                }
                LinkError::Stripe(crate::stripe::StripeError::Unavailable(_)) => {
                    ApiError::Status(StatusCode::BAD_GATEWAY, "stripe_unavailable", message)
                }
                LinkError::Stripe(_) => {
                    ApiError::Status(StatusCode::BAD_GATEWAY, "stripe_refused", message)
                }
                LinkError::Db(error) => error.into(),
            }
        })?;
    tracing::info!(wallet = %linked.wallet, account = %linked.stripe_account, "creator linked");
    Ok(Json(LinkedView {
        wallet: linked.wallet.to_checksum(None),
        stripe_account: linked.stripe_account,
        onboarding_url: linked.onboarding_url,
        expires_at: linked.expires_at,
        payouts_enabled: linked.payouts_enabled,
    }))
}

/// A creator's link and payouts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatorView {
    /// The wallet (EIP-55).
    pub wallet: String,
    /// `acct_…`, once created.
    pub stripe_account: Option<String>,
    /// Stripe pays out to the account (from `account.updated`).
    pub payouts_enabled: bool,
    /// The onboarding form is done (from `account.updated`).
    pub details_submitted: bool,
    /// Cents booked from CREDITS releases and in no transfer yet (decimal).
    pub owed: String,
    /// Cents in transfers not yet made.
    pub in_transfer: i64,
    /// Cents in transfers Stripe holds.
    pub paid: i64,
}

/// A creator's payout status.
#[utoipa::path(
    get,
    path = "/creators/{wallet}",
    params(("wallet" = String, Path, description = "the creator's wallet")),
    responses(
        (status = 200, body = CreatorView),
        (status = 400, body = ErrorBody),
        (status = 404, description = "no creator links this wallet", body = ErrorBody)
    )
)]
async fn get_creator(
    State(state): State<AppState>,
    wallet: Result<Path<String>, PathRejection>,
) -> ApiResult<CreatorView> {
    let Path(wallet) =
        wallet.map_err(|_| ApiError::BadRequest("bad_request", "malformed wallet".into()))?;
    let wallet = creators::parse_wallet(&wallet)
        .map_err(|error| ApiError::BadRequest("invalid_wallet", error.to_string()))?;
    let creator = creators::creator(&state.pool, wallet)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no creator links {wallet}")))?;
    Ok(Json(CreatorView {
        wallet: creator.wallet.to_checksum(None),
        stripe_account: creator.stripe_account,
        payouts_enabled: creator.payouts_enabled,
        details_submitted: creator.details_submitted,
        owed: creator.owed,
        in_transfer: creator.in_transfer,
        paid: creator.paid,
    }))
}

// ---------------------------------------------------------------------- payouts

/// A transfer to a creator.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferView {
    /// Our id: Stripe's Idempotency-Key is `tributary-transfer-{id}`, its
    /// transfer_group `tributary-payout-{id}`.
    pub id: i64,
    /// Its batch.
    pub batch_id: i64,
    /// The creator.
    pub wallet: String,
    /// `acct_…`.
    pub stripe_account: String,
    /// Cents.
    pub amount: i64,
    /// `pending`, `sending`, `paid` or `failed`.
    pub status: String,
    /// Claims so far.
    pub attempts: i32,
    /// Calls to Stripe begun.
    pub calls: i32,
    /// `tr_…` once paid.
    pub stripe_transfer_id: Option<String>,
    /// `balance` while the platform balance is too low.
    pub waiting_for: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
}

impl From<payouts::TransferRecord> for TransferView {
    fn from(transfer: payouts::TransferRecord) -> Self {
        Self {
            id: transfer.id,
            batch_id: transfer.batch_id,
            wallet: transfer.wallet.to_checksum(None),
            stripe_account: transfer.stripe_account,
            amount: transfer.amount,
            status: transfer.status,
            attempts: transfer.attempts,
            calls: transfer.calls,
            stripe_transfer_id: transfer.stripe_transfer_id,
            waiting_for: transfer.waiting_for,
            last_error: transfer.last_error,
        }
    }
}

/// The payouts at a glance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PayoutsView {
    /// Cents of every CREDITS release booked (decimal).
    pub booked: String,
    /// Booked and in no transfer yet (decimal).
    pub owed: String,
    /// In transfers not yet made.
    pub in_transfer: i64,
    /// In transfers Stripe holds.
    pub paid: i64,
    /// The next block the ledger reads.
    pub ledger_next_block: Option<i64>,
    /// Why the ledger stopped (a reorg deeper than the confirmations), if it did.
    pub ledger_halted: Option<String>,
    /// Every transfer not paid yet (at most 500), by id.
    pub unpaid: Vec<TransferView>,
}

/// Ledger totals and the transfers not yet paid (a stuck batch shows here).
#[utoipa::path(get, path = "/payouts", responses((status = 200, body = PayoutsView)))]
async fn payouts_summary(State(state): State<AppState>) -> ApiResult<PayoutsView> {
    let summary = payouts::summary(&state.pool).await?;
    Ok(Json(PayoutsView {
        booked: summary.booked,
        owed: summary.owed,
        in_transfer: summary.in_transfer,
        paid: summary.paid,
        ledger_next_block: summary.next_block,
        ledger_halted: summary.halted,
        unpaid: summary.unpaid.into_iter().map(TransferView::from).collect(),
    }))
}

/// Puts a parked (`failed`) transfer back in the queue, after its cause was
/// fixed (e.g. the account's capability). The same id, so the same
/// idempotency key and group: never a second payout.
#[utoipa::path(
    post,
    path = "/payouts/transfers/{id}/retry",
    params(("id" = i64, Path, description = "the transfer")),
    responses(
        (status = 200, body = PayoutsView),
        (status = 404, description = "no failed transfer has this id", body = ErrorBody)
    )
)]
async fn retry_transfer(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<PayoutsView> {
    let Path(id) =
        id.map_err(|_| ApiError::BadRequest("bad_request", "malformed transfer id".into()))?;
    if !payouts::requeue(&state.pool, id).await? {
        return Err(ApiError::NotFound(format!("no failed transfer {id}")));
    }
    tracing::info!(transfer = id, "failed transfer put back in the queue");
    payouts_summary(State(state)).await
}
