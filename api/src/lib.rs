//! Tributary's product HTTP API: the endpoints a creator's or buyer's app calls to publish a
//! dataset, buy a licence and report usage, served on the indexer's port beside its reads
//! (`GET /datasets`, `GET /datasets/{id}`, licences, payments, ...), with one OpenAPI document.
//!
//! Writes never hold a user's key. Each endpoint checks the request against the mirror and the
//! chain and answers with what the user's wallet must sign or send: EIP-712 typed data for a
//! gasless registration, or unsigned transactions (`to`, `data`, `value`) in the order to send
//! them. Conventions are the indexer's (docs/api.md): uint256 values are decimal strings,
//! addresses EIP-55 hex, errors `{"error": {"code", "message"}}`.

mod body;
mod offers;
pub mod purchase;
pub mod registration;
mod transaction;
pub mod usage;

use std::sync::Arc;

use anyhow::Context;
use axum::{Router, routing::post};
use sqlx::PgPool;
use tributary_core::{
    chain::{Client, Config, Tributary},
    storage::BlobStore,
};
use tributary_indexer::{
    api::{ErrorBody, ErrorDetail},
    service::{Extension, ServiceContext},
};
use utoipa::OpenApi;

pub use self::{
    offers::OfferInput,
    purchase::{PaymentMethod, PurchasePlan, PurchaseRequest},
    registration::{PayeeInput, PreparedRegistration, RegistrationRequest},
    transaction::UnsignedTx,
    usage::{UsagePlan, UsageRequest},
};

/// What the product handlers share.
#[derive(Debug, Clone)]
pub struct ProductState {
    pool: PgPool,
    tributary: Tributary,
    manifest_store: Option<Arc<dyn BlobStore>>,
}

impl ProductState {
    /// Handlers reading the mirror in `pool` and the chain through `tributary` (a client without
    /// a key: views only), storing manifests in `manifest_store` when there is one.
    pub fn new(
        pool: PgPool,
        tributary: Tributary,
        manifest_store: Option<Arc<dyn BlobStore>>,
    ) -> Self {
        Self {
            pool,
            tributary,
            manifest_store,
        }
    }
}

/// The OpenAPI document of the product endpoints (merged with the indexer's at `/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    paths(registration::prepare, purchase::purchase, usage::report_usage),
    components(schemas(
        RegistrationRequest,
        PayeeInput,
        OfferInput,
        PreparedRegistration,
        PurchaseRequest,
        PaymentMethod,
        PurchasePlan,
        UsageRequest,
        UsagePlan,
        UnsignedTx,
        ErrorBody,
        ErrorDetail
    ))
)]
pub struct ProductDoc;

/// The product endpoints, state applied.
pub fn routes(state: ProductState) -> Router {
    Router::new()
        .route("/datasets", post(registration::prepare))
        .route("/datasets/{id}/purchase", post(purchase::purchase))
        .route("/datasets/{id}/report-usage", post(usage::report_usage))
        .with_state(state)
}

/// The product endpoints as an extension of the indexer service: same process, same port,
/// same database.
pub fn extension() -> Extension {
    Box::new(|context: ServiceContext| {
        Box::pin(async move {
            let client = Client::connect(
                &context.rpc_url,
                None,
                Config::default().with_chain_id(context.meta.chain_id),
            )
            .await
            .context("connecting to the node for the product API")?;
            let state = ProductState::new(
                context.pool,
                client.tributary(context.meta.contract),
                context.manifest_store,
            );
            Ok((routes(state), ProductDoc::openapi()))
        })
    })
}
