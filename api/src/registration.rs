//! `POST /datasets`: a creator's manifest becomes a registration to sign (EIP-712), then, with
//! the signature, a `registerWithSig` transaction anyone may send (the creator's wallet, or a
//! relayer paying the gas).

use std::time::{SystemTime, UNIX_EPOCH};

use alloy::{
    dyn_abi::TypedData,
    primitives::{Address, B256, Bytes, Signature, U256},
    sol_types::SolCall,
};
use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
};
use serde::{Deserialize, Serialize};
use tributary_core::{
    chain::{ITributary, Split},
    cid::CidBuilder,
    hash::Sha256Digest,
    manifest::Manifest,
    signing::{self, Register},
};
use tributary_indexer::api::{ApiError, ErrorBody};
use utoipa::ToSchema;

use crate::{ProductState, body, offers::OfferInput, transaction::UnsignedTx};

/// How long a prepared registration's signature stays valid by default.
const DEFAULT_LIFETIME_SECS: u64 = 3600;
/// The registry's `MAX_OFFERS` and `MAX_PAYEES` (contracts/modules/Registry.sol): checked here
/// so a request the contract would refuse fails before anyone signs it.
const MAX_OFFERS: usize = 16;
const MAX_PAYEES: usize = 256;

/// A dataset to register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// The creator's wallet: the signer of the registration and the dataset's owner.
    #[schema(value_type = String)]
    pub creator: Address,
    /// The dataset's manifest (docs/manifest.md; checked against every rule). Its
    /// `creator.wallet` must be `creator`.
    #[schema(value_type = Object)]
    pub manifest: serde_json::Value,
    /// The royalty split. Default: the creator alone, 1 share.
    #[serde(default)]
    pub payees: Vec<PayeeInput>,
    /// The licence offers (1 to 16).
    pub offers: Vec<OfferInput>,
    /// Unix seconds until which the signature is valid. Default: one hour from now.
    #[serde(default)]
    pub deadline: Option<u64>,
    /// The creator's EIP-712 signature of `typed_data` (as a first call to this endpoint
    /// returned it), `0x` hex. With it, the answer holds the transaction to send.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub signature: Option<Bytes>,
}

/// One payee of a split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayeeInput {
    /// The payee's address.
    #[schema(value_type = String)]
    pub account: Address,
    /// Their shares (positive).
    pub shares: u32,
}

/// A registration ready to sign, or signed and ready to send.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreparedRegistration {
    /// sha256 of the manifest's canonical JSON (RFC 8785): what is anchored on-chain.
    pub manifest_hash: String,
    /// CIDv1 (raw leaves) of the canonical JSON: where IPFS finds it.
    pub manifest_cid: String,
    /// The URI registered on-chain, `ipfs://<manifest_cid>`.
    pub uri: String,
    /// Whether this server stored the manifest (in its manifest store) under that CID; if not,
    /// the creator must put the canonical JSON there.
    pub stored: bool,
    /// The split's hash, as `hashSplit` computes it.
    pub split_hash: String,
    /// The terms' hash, as `hashTerms` computes it.
    pub terms_hash: String,
    /// The creator's nonce the signature uses (`nonces(creator)` now).
    pub nonce: String,
    /// Unix seconds until which the signature is valid.
    pub deadline: String,
    /// What the creator signs: `eth_signTypedData_v4` input.
    #[schema(value_type = Object)]
    pub typed_data: serde_json::Value,
    /// With a valid signature: the `registerWithSig` call, sendable by anyone.
    pub transaction: Option<UnsignedTx>,
}

/// Prepare a dataset's registration: hash the manifest, store it, and answer what the creator
/// signs; with the signature, also the transaction that registers it.
#[utoipa::path(post, path = "/datasets", request_body = RegistrationRequest,
    responses(
        (status = 200, description = "The registration to sign or send", body = PreparedRegistration),
        (status = 400, description = "A malformed request, manifest, split, offer or signature", body = ErrorBody),
        (status = 503, description = "The node or the manifest store cannot be reached", body = ErrorBody),
    ))]
pub(crate) async fn prepare(
    State(state): State<ProductState>,
    request: Result<Json<RegistrationRequest>, JsonRejection>,
) -> Result<Json<PreparedRegistration>, ApiError> {
    let request = body::json(request)?;
    let manifest = read_manifest(&request)?;
    let split = split(&request)?;
    if request.offers.is_empty() || request.offers.len() > MAX_OFFERS {
        return Err(ApiError::BadRequest(format!(
            "offers must hold 1 to {MAX_OFFERS} offers"
        )));
    }
    let offers = request
        .offers
        .iter()
        .enumerate()
        .map(|(index, offer)| offer.to_offer(index))
        .collect::<Result<Vec<_>, _>>()?;

    let canonical = manifest
        .canonical_json()
        .map_err(|error| ApiError::BadRequest(format!("manifest: {error}")))?;
    let manifest_hash = B256::from(*Sha256Digest::of(canonical.as_bytes()).as_bytes());
    let mut cid = CidBuilder::new();
    cid.update(canonical.as_bytes());
    let manifest_cid = cid.finish().v1;
    let stored = match &state.manifest_store {
        Some(store) => {
            let blob = store
                .put(&mut canonical.as_bytes())
                .await
                .map_err(|error| {
                    tracing::error!(%error, "storing a manifest failed");
                    ApiError::NotReady(
                        "the manifest store cannot be reached; try again later".into(),
                    )
                })?;
            if blob.blob.cid != manifest_cid {
                tracing::error!(stored = %blob.blob.cid, computed = %manifest_cid, "the manifest store names the manifest by another CID");
                return Err(ApiError::Internal);
            }
            true
        }
        None => false,
    };
    let uri = format!("ipfs://{manifest_cid}");

    let tributary = &state.tributary;
    let nonce = tributary
        .nonce(request.creator)
        .await
        .map_err(|error| body::view_error("reading the creator's nonce", &error))?;
    let deadline = U256::from(
        request
            .deadline
            .unwrap_or_else(|| now() + DEFAULT_LIFETIME_SECS),
    );
    let message = Register::new(
        request.creator,
        manifest_hash,
        uri.clone(),
        &split,
        &offers,
        nonce,
        deadline,
    );
    let domain = tributary.domain();
    let typed_data = serde_json::to_value(TypedData::from_struct(&message, Some(domain.clone())))
        .map_err(|error| {
        tracing::error!(%error, "typed data does not serialize");
        ApiError::Internal
    })?;

    let transaction = match &request.signature {
        None => None,
        Some(signature) => {
            let parsed = Signature::try_from(signature.as_ref()).map_err(|_| {
                ApiError::BadRequest("signature must be 65 bytes (r, s, v), 0x hex".into())
            })?;
            let signer = signing::recover_signer(&message, &domain, &parsed)
                .map_err(|error| ApiError::BadRequest(format!("signature: {error}")))?;
            if signer != request.creator {
                return Err(ApiError::BadRequest(format!(
                    "the signature is not the creator's over this registration (nonce {nonce}, \
                     deadline {deadline}): it recovers {signer}; sign the typed_data of this \
                     answer, with the same deadline"
                )));
            }
            let data = ITributary::registerWithSigCall {
                creator: request.creator,
                manifestHash: manifest_hash,
                uri: uri.clone(),
                split: split.clone(),
                offers: offers.clone(),
                deadline,
                signature: signature.clone(),
            }
            .abi_encode();
            Some(UnsignedTx::new(
                format!("register dataset {manifest_hash} for {}", request.creator),
                tributary.client().chain_id(),
                request.creator,
                tributary.address(),
                data,
                U256::ZERO,
            ))
        }
    };

    Ok(Json(PreparedRegistration {
        manifest_hash: manifest_hash.to_string(),
        manifest_cid: manifest_cid.to_string(),
        uri,
        stored,
        split_hash: split.hash().to_string(),
        terms_hash: message.termsHash.to_string(),
        nonce: nonce.to_string(),
        deadline: deadline.to_string(),
        typed_data,
        transaction,
    }))
}

fn read_manifest(request: &RegistrationRequest) -> Result<Manifest, ApiError> {
    let manifest = Manifest::from_json(&request.manifest.to_string())
        .map_err(|error| ApiError::BadRequest(format!("manifest: {error}")))?;
    let wallet =
        manifest.creator.wallet.parse::<Address>().map_err(|_| {
            ApiError::BadRequest("manifest: creator.wallet is not an address".into())
        })?;
    if wallet != request.creator {
        return Err(ApiError::BadRequest(format!(
            "manifest: creator.wallet is {wallet}, not the creator {}",
            request.creator
        )));
    }
    Ok(manifest)
}

fn split(request: &RegistrationRequest) -> Result<Split, ApiError> {
    if request.payees.is_empty() {
        return Ok(Split::from_shares([(request.creator, 1)]));
    }
    if request.payees.len() > MAX_PAYEES {
        return Err(ApiError::BadRequest(format!(
            "payees: at most {MAX_PAYEES}"
        )));
    }
    if let Some(index) = request.payees.iter().position(|payee| payee.shares == 0) {
        return Err(ApiError::BadRequest(format!(
            "payees[{index}].shares must be positive"
        )));
    }
    let split = Split::from_shares(request.payees.iter().map(|p| (p.account, p.shares)));
    if let Some(pair) = split.payees.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(ApiError::BadRequest(format!(
            "payees: {} appears twice",
            pair[0]
        )));
    }
    Ok(split)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
