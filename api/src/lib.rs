//! Tributary's product HTTP API: the endpoints a creator's or buyer's app calls to publish a
//! dataset, buy a licence and report usage, served on the indexer's port beside its reads
//! (`GET /datasets`, `GET /datasets/{id}`, licences, payments, ...), with one OpenAPI document.
//!
//! Writes never hold a user's key. Each endpoint checks the request against the mirror and the
//! chain and answers with what the user's wallet must sign or send: EIP-712 typed data for a
//! gasless registration, or unsigned transactions (`to`, `data`, `value`) in the order to send
//! them. Conventions are the indexer's (docs/api.md): uint256 values are decimal strings,
//! addresses EIP-55 hex, errors `{"error": {"code", "message"}}`.

pub mod access;
pub mod auth;
mod body;
mod db;
mod offers;
pub mod purchase;
pub mod registration;
pub mod streams;
mod transaction;
pub mod usage;

use std::sync::Arc;

use anyhow::Context;
use axum::{
    Router,
    routing::{get, post, put},
};
use sqlx::PgPool;
use tributary_core::{
    chain::{Client, Config, Streams, Tributary},
    storage::BlobStore,
};
use tributary_indexer::{
    api::{ErrorBody, ErrorDetail},
    service::{Extension, ServiceContext},
};
use utoipa::OpenApi;

pub use self::{
    access::{AccessConfig, AccessGrant, FileInfo, FileList, FileQuery, GrantAnswer},
    auth::{LoginRequest, NonceAnswer, Session},
    offers::OfferInput,
    purchase::{
        CardCheckout, CardPayments, PaymentMethod, PurchaseAnswer, PurchasePlan, PurchaseRequest,
    },
    registration::{PayeeInput, PreparedRegistration, RegistrationRequest},
    streams::{StreamStartPlan, StreamStartRequest},
    transaction::UnsignedTx,
    usage::{UsagePlan, UsageRequest},
};

/// What the product handlers share.
#[derive(Debug, Clone)]
pub struct ProductState {
    pool: PgPool,
    tributary: Tributary,
    manifest_store: Option<Arc<dyn BlobStore>>,
    access: Arc<AccessConfig>,
    card: Option<Arc<CardPayments>>,
    streams: Option<Streams>,
}

impl ProductState {
    /// Handlers reading the mirror in `pool` and the chain through `tributary` (a client without
    /// a key: views only), storing manifests in (and serving files from) `manifest_store` when
    /// there is one, keeping data keys and sessions as `access` says.
    pub fn new(
        pool: PgPool,
        tributary: Tributary,
        manifest_store: Option<Arc<dyn BlobStore>>,
        access: Arc<AccessConfig>,
    ) -> Self {
        Self {
            pool,
            tributary,
            manifest_store,
            access,
            card: None,
            streams: None,
        }
    }

    /// These handlers, planning Superfluid subscriptions through `streams` (`TributaryStreams`).
    pub fn with_streams(mut self, streams: Streams) -> Self {
        self.streams = Some(streams);
        self
    }

    /// These handlers, selling licences priced in fiat credits by card through `card`.
    pub fn with_card_payments(mut self, card: CardPayments) -> Self {
        self.card = Some(Arc::new(card));
        self
    }

    fn chain_id(&self) -> u64 {
        self.tributary.client().chain_id()
    }
}

/// The OpenAPI document of the product endpoints (merged with the indexer's at `/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    paths(
        registration::prepare,
        purchase::purchase,
        usage::report_usage,
        streams::stream_start,
        auth::nonce,
        auth::login,
        access::grant,
        access::revoke,
        access::list_files,
        access::download
    ),
    modifiers(&SessionScheme),
    components(schemas(
        NonceAnswer,
        LoginRequest,
        Session,
        AccessGrant,
        GrantAnswer,
        FileList,
        FileInfo,
        RegistrationRequest,
        PayeeInput,
        OfferInput,
        PreparedRegistration,
        PurchaseRequest,
        PaymentMethod,
        PurchasePlan,
        PurchaseAnswer,
        CardCheckout,
        UsageRequest,
        UsagePlan,
        StreamStartRequest,
        StreamStartPlan,
        UnsignedTx,
        ErrorBody,
        ErrorDetail
    ))
)]
pub struct ProductDoc;

/// The `session` security scheme: the bearer token of `POST /auth/login`.
struct SessionScheme;

impl utoipa::Modify for SessionScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The product endpoints, state applied.
pub fn routes(state: ProductState) -> Router {
    Router::new()
        .route("/datasets", post(registration::prepare))
        .route("/datasets/{id}/purchase", post(purchase::purchase))
        .route("/datasets/{id}/report-usage", post(usage::report_usage))
        .route("/datasets/{id}/stream-start", post(streams::stream_start))
        .route("/auth/nonce", post(auth::nonce))
        .route("/auth/login", post(auth::login))
        .route(
            "/datasets/{id}/versions/{version}/access",
            put(access::grant).delete(access::revoke),
        )
        .route("/datasets/{id}/files", get(access::list_files))
        .route("/datasets/{id}/files/{*path}", get(access::download))
        .with_state(state)
}

/// The product endpoints as an extension of the indexer service: same process, same port,
/// same database (the API's tables migrated beside the indexer's). Card purchases are served
/// when `card` is given, Superfluid subscriptions when the indexer follows `TributaryStreams`
/// (the deployment file's `streams`, or `--streams-contract`).
pub fn extension(access: AccessConfig, card: Option<CardPayments>) -> Extension {
    Box::new(move |context: ServiceContext| {
        Box::pin(async move {
            db::migrate(&context.pool)
                .await
                .context("migrating the product API's tables")?;
            let client = Client::connect(
                &context.rpc_url,
                None,
                Config::default().with_chain_id(context.meta.chain_id),
            )
            .await
            .context("connecting to the node for the product API")?;
            let mut state = ProductState::new(
                context.pool,
                client.tributary(context.meta.contract),
                context.manifest_store,
                Arc::new(access),
            );
            if let Some(card) = card {
                state = state.with_card_payments(card);
            }
            if let Some(address) = context.meta.streams {
                let streams = client
                    .streams(address)
                    .await
                    .context("reading TributaryStreams' GDA forwarder")?;
                tracing::info!(%address, "Superfluid subscriptions through TributaryStreams");
                state = state.with_streams(streams);
            }
            Ok((routes(state), ProductDoc::openapi()))
        })
    })
}
