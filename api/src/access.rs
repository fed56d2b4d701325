//! Licence-gated downloads. A creator hands this server the data key of a version they
//! published (`PUT /datasets/{id}/versions/{version}/access`); a signed-in buyer then downloads
//! that version's files decrypted (`GET /datasets/{id}/files/{path}`) for as long as the chain's
//! `isLicensed` holds for them. The creator can take the key back (`DELETE` of the same path):
//! the server forgets it and downloads stop.
//!
//! The data key is kept only wrapped under the server's own key (`--access-keys`, a
//! [`KekStore`]); the files stay encrypted in the blob store, and every download is decrypted,
//! authenticated chunk by chunk and checked against the manifest's sha256 before it is sent.

use std::{io::Read, sync::Arc};

use alloy::primitives::{B256, U256};
use axum::{
    Json,
    body::Body,
    extract::{
        Path, Query, State,
        rejection::{JsonRejection, PathRejection},
    },
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use tributary_core::{
    cid::Cid,
    crypto::{self, DataKey, HEADER_SIZE, KEY_LEN, KekStore, KeyId, TAG_SIZE, WrappedKey},
    hash::Sha256Digest,
    publication::{self, Envelope},
    storage::{BlobRef, BlobStore},
};
use tributary_indexer::api::{ApiError, DatasetDetail, ErrorBody, dataset_detail};
use utoipa::{IntoParams, ToSchema};

use crate::{ProductState, auth::SignedIn, body, db};

/// The server's key store and sign-in settings.
#[derive(Debug)]
pub struct AccessConfig {
    keys: KekStore,
    key_id: KeyId,
    pub(crate) siwe_domain: String,
}

impl AccessConfig {
    /// Data keys wrapped under key `key_id` of `keys` (created there on first use); sign-in
    /// messages must name `siwe_domain` (host and port, as the browser shows it).
    pub fn open(
        keys: KekStore,
        key_id: KeyId,
        siwe_domain: String,
    ) -> tributary_core::Result<Self> {
        if !keys.contains(&key_id)? {
            keys.create(&key_id)?;
            tracing::info!(dir = %keys.dir().display(), key = %key_id.as_str(), "access key created");
        }
        Ok(Self {
            keys,
            key_id,
            siwe_domain,
        })
    }
}

/// A version's data key, handed to the server by its creator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessGrant {
    /// The envelope blob `tributary publish` stored for the version: its CID...
    pub envelope_cid: String,
    /// ...and its sha256, lowercase hex.
    pub envelope_sha256: String,
    /// The version's data key, 32 bytes, hex.
    pub data_key: String,
}

/// What a grant enabled.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GrantAnswer {
    /// The dataset.
    pub dataset_id: String,
    /// The version whose files licensed buyers may now download.
    pub version: u32,
    /// The version's manifest hash (the envelope's).
    pub manifest_hash: String,
    /// The files, by manifest path.
    pub files: Vec<String>,
}

/// Which version to download.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct FileQuery {
    /// The version (default: the newest one the creator enabled downloads of).
    pub version: Option<u32>,
}

/// Enable downloads of a version: hand the server its data key (creator only).
#[utoipa::path(put, path = "/datasets/{id}/versions/{version}/access", request_body = AccessGrant,
    params(
        ("id" = String, Path, description = "The dataset id (decimal)"),
        ("version" = u32, Path, description = "The version (from 1)"),
    ),
    security(("session" = [])),
    responses(
        (status = 200, description = "Downloads enabled", body = GrantAnswer),
        (status = 400, description = "A malformed grant, an envelope of another version, or a data key that does not open its files", body = ErrorBody),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "The session's account is not the dataset's creator", body = ErrorBody),
        (status = 404, description = "No such dataset, version or envelope", body = ErrorBody),
        (status = 503, description = "No blob store configured, or it cannot be reached", body = ErrorBody),
    ))]
pub(crate) async fn grant(
    State(state): State<ProductState>,
    SignedIn(account): SignedIn,
    path: Result<Path<(String, u32)>, PathRejection>,
    request: Result<Json<AccessGrant>, JsonRejection>,
) -> Result<Json<GrantAnswer>, ApiError> {
    let (dataset_id, version) = version_path(path)?;
    let request = body::json(request)?;
    let store = store(&state)?;
    let detail = creators_dataset(&state, dataset_id, account).await?;
    let manifest_hash = version_hash(&detail, version)?;

    let envelope_ref = BlobRef {
        sha256: request
            .envelope_sha256
            .parse()
            .map_err(|_| ApiError::BadRequest("envelope_sha256 must be 64 hex digits".into()))?,
        cid: request
            .envelope_cid
            .parse()
            .map_err(|_| ApiError::BadRequest("envelope_cid is not a CID".into()))?,
    };
    let envelope = publication::load_envelope(store.as_ref(), &envelope_ref)
        .await
        .map_err(|error| store_error("the envelope", &error))?;
    if envelope.manifest_sha256 != alloy::hex::encode(manifest_hash) {
        return Err(ApiError::BadRequest(format!(
            "the envelope seals manifest {}, version {version} anchors {manifest_hash}",
            envelope.manifest_sha256
        )));
    }
    let data_key = parse_key(&request.data_key)?;
    check_key(store.as_ref(), &envelope, &data_key).await?;
    let access = state.access.clone();
    let wrapped = access
        .keys
        .wrap(&access.key_id, &data_key)
        .map_err(|error| {
            tracing::error!(%error, "wrapping a data key under the access key failed");
            ApiError::Internal
        })?;
    sqlx::query(
        "INSERT INTO api_access_grants (dataset_id, version, manifest_hash, envelope_sha256,
                                        envelope_cid, wrapped_key, granted_by, granted_at)
         VALUES ($1::NUMERIC, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (dataset_id, version) DO UPDATE SET
             manifest_hash = EXCLUDED.manifest_hash, envelope_sha256 = EXCLUDED.envelope_sha256,
             envelope_cid = EXCLUDED.envelope_cid, wrapped_key = EXCLUDED.wrapped_key,
             granted_by = EXCLUDED.granted_by, granted_at = EXCLUDED.granted_at",
    )
    .bind(dataset_id.to_string())
    .bind(version as i32)
    .bind(manifest_hash.as_slice())
    .bind(envelope_ref.sha256.as_bytes().as_slice())
    .bind(envelope_ref.cid.to_string())
    .bind(wrapped.to_bytes())
    .bind(account.as_slice())
    .bind(db::now())
    .execute(&state.pool)
    .await?;
    tracing::info!(dataset = %dataset_id, version, "downloads enabled");
    Ok(Json(GrantAnswer {
        dataset_id: dataset_id.to_string(),
        version,
        manifest_hash: manifest_hash.to_string(),
        files: envelope
            .files
            .iter()
            .map(|file| file.path.clone())
            .collect(),
    }))
}

/// Stop downloads of a version: the server forgets its data key (creator only).
#[utoipa::path(delete, path = "/datasets/{id}/versions/{version}/access",
    params(
        ("id" = String, Path, description = "The dataset id (decimal)"),
        ("version" = u32, Path, description = "The version (from 1)"),
    ),
    security(("session" = [])),
    responses(
        (status = 204, description = "The key is forgotten (or was never given)"),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "The session's account is not the dataset's creator", body = ErrorBody),
        (status = 404, description = "No such dataset", body = ErrorBody),
    ))]
pub(crate) async fn revoke(
    State(state): State<ProductState>,
    SignedIn(account): SignedIn,
    path: Result<Path<(String, u32)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (dataset_id, version) = version_path(path)?;
    creators_dataset(&state, dataset_id, account).await?;
    sqlx::query("DELETE FROM api_access_grants WHERE dataset_id = $1::NUMERIC AND version = $2")
        .bind(dataset_id.to_string())
        .bind(version as i32)
        .execute(&state.pool)
        .await?;
    tracing::info!(dataset = %dataset_id, version, "downloads stopped");
    Ok(StatusCode::NO_CONTENT)
}

/// Download one file of a dataset, decrypted, while the chain says the session's account is
/// licensed for it.
#[utoipa::path(get, path = "/datasets/{id}/files/{path}",
    params(
        ("id" = String, Path, description = "The dataset id (decimal)"),
        ("path" = String, Path, description = "The file's path in the manifest"),
        FileQuery,
    ),
    security(("session" = [])),
    responses(
        (status = 200, description = "The file's bytes; `X-Tributary-Sha256` is the manifest's sha256 of them, checked before sending", content_type = "application/octet-stream"),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "The account holds no valid licence for the dataset now", body = ErrorBody),
        (status = 404, description = "No such file, or the creator has not enabled downloads of the version", body = ErrorBody),
        (status = 503, description = "The node or the blob store cannot be reached", body = ErrorBody),
    ))]
pub(crate) async fn download(
    State(state): State<ProductState>,
    SignedIn(account): SignedIn,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<FileQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((id, file_path)) = path.map_err(|_| ApiError::BadRequest("bad path".into()))?;
    let dataset_id = body::decimal("dataset id", &id)?;
    let query = body::query(query)?;
    // The chain decides, not the mirror: a licence that just expired or moved stops here.
    let licensed = state
        .tributary
        .is_licensed(account, dataset_id)
        .await
        .map_err(|error| body::view_error("checking the licence", &error))?;
    if !licensed {
        return Err(ApiError::Forbidden(format!(
            "{account} holds no valid licence for dataset {dataset_id} now"
        )));
    }
    let store = store(&state)?;
    let grant = GrantRow::find(&state, dataset_id, query.version).await?;
    let (envelope, manifest) = grant.load(store.as_ref()).await?;
    let Some((index, entry)) = manifest
        .files
        .iter()
        .enumerate()
        .find(|(_, entry)| entry.path == file_path)
    else {
        return Err(ApiError::NotFound(format!(
            "version {} of dataset {dataset_id} has no file {file_path:?}",
            grant.version
        )));
    };
    let sealed = envelope.files.get(index).filter(|sealed| sealed.path == entry.path).ok_or_else(|| {
        tracing::error!(dataset = %dataset_id, version = grant.version, "the envelope and the manifest disagree");
        ApiError::Internal
    })?;
    let wrapped = WrappedKey::from_bytes(&grant.wrapped_key).map_err(|error| {
        tracing::error!(%error, "a stored wrapped key does not parse");
        ApiError::Internal
    })?;
    let data_key = state.access.keys.unwrap(&wrapped).map_err(|error| {
        tracing::error!(%error, "the access key cannot open a stored data key");
        ApiError::Internal
    })?;

    // Ciphertext and plaintext go through a private temporary folder; the plaintext file is
    // opened before the folder is removed, so the answer streams from an unlinked file.
    let scratch = tempfile::tempdir().map_err(|error| {
        tracing::error!(%error, "no temporary folder");
        ApiError::Internal
    })?;
    let ciphertext = scratch.path().join("sealed");
    let plaintext = scratch.path().join("plain");
    let blob = BlobRef {
        sha256: sealed.sha256.parse().map_err(|_| ApiError::Internal)?,
        cid: sealed.cid.parse().map_err(|_| ApiError::Internal)?,
    };
    store
        .get_file(&blob, &ciphertext)
        .await
        .map_err(|error| store_error("the file", &error))?;
    let expected = entry.sha256.clone();
    let (size, file) = tokio::task::spawn_blocking(move || -> Result<(u64, std::fs::File), ApiError> {
        let size = crypto::decrypt_file(&data_key, &ciphertext, &plaintext).map_err(|error| {
            tracing::error!(%error, "a granted file does not decrypt");
            ApiError::Internal
        })?;
        let digest = tributary_core::hash::sha256_file(&plaintext, tributary_core::hash::NO_PROGRESS)
            .map_err(|_| ApiError::Internal)?;
        if digest.sha256.to_string() != expected {
            tracing::error!(path = %plaintext.display(), "a decrypted file does not match its manifest");
            return Err(ApiError::Internal);
        }
        let file = std::fs::File::open(&plaintext).map_err(|_| ApiError::Internal)?;
        Ok((size, file))
    })
    .await
    .map_err(|_| ApiError::Internal)??;
    drop(scratch);
    tracing::info!(dataset = %dataset_id, version = grant.version, path = %entry.path, %account, size, "download");

    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    let media_type = HeaderValue::from_str(&entry.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&entry.sha256) {
        headers.insert("x-tributary-sha256", value);
    }
    Ok(response)
}

/// The downloadable files of a version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileList {
    /// The dataset.
    pub dataset_id: String,
    /// The version the files are of.
    pub version: u32,
    /// Its manifest hash.
    pub manifest_hash: String,
    /// The manifest itself: a client hashes its canonical form (RFC 8785) and compares it with
    /// the hash anchored on-chain, so it trusts the list below without trusting this server.
    #[schema(value_type = Object)]
    pub manifest: serde_json::Value,
    /// The files, as the manifest lists them.
    pub files: Vec<FileInfo>,
}

/// One file of a manifest.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileInfo {
    /// Path in the dataset (what `GET /datasets/{id}/files/{path}` takes).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// sha256 of the plaintext, lowercase hex.
    pub sha256: String,
    /// Media type.
    pub media_type: String,
}

/// The files of the newest version (or `?version=`) whose downloads the creator enabled. The
/// list is public, as the manifest is; the files themselves need a licence.
#[utoipa::path(get, path = "/datasets/{id}/files",
    params(("id" = String, Path, description = "The dataset id (decimal)"), FileQuery),
    responses(
        (status = 200, description = "The files", body = FileList),
        (status = 404, description = "The creator has not enabled downloads of the dataset (version)", body = ErrorBody),
        (status = 503, description = "No blob store, or it cannot be reached", body = ErrorBody),
    ))]
pub(crate) async fn list_files(
    State(state): State<ProductState>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<FileQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<FileList>, ApiError> {
    let dataset_id = body::dataset_id(id)?;
    let query = body::query(query)?;
    let store = store(&state)?;
    let grant = GrantRow::find(&state, dataset_id, query.version).await?;
    let (_, manifest) = grant.load(store.as_ref()).await?;
    let manifest_json = serde_json::to_value(&manifest).map_err(|_| ApiError::Internal)?;
    Ok(Json(FileList {
        dataset_id: dataset_id.to_string(),
        version: grant.version as u32,
        manifest_hash: format!("0x{}", alloy::hex::encode(&grant.manifest_hash)),
        manifest: manifest_json,
        files: manifest
            .files
            .into_iter()
            .map(|file| FileInfo {
                path: file.path,
                size: file.size,
                sha256: file.sha256,
                media_type: file.media_type,
            })
            .collect(),
    }))
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    version: i32,
    manifest_hash: Vec<u8>,
    envelope_sha256: Vec<u8>,
    envelope_cid: String,
    wrapped_key: Vec<u8>,
}

impl GrantRow {
    /// The grant of `version` of the dataset, or of its newest granted version.
    async fn find(
        state: &ProductState,
        dataset_id: U256,
        version: Option<u32>,
    ) -> Result<Self, ApiError> {
        let grant: Option<Self> = sqlx::query_as(
            "SELECT version, manifest_hash, envelope_sha256, envelope_cid, wrapped_key
             FROM api_access_grants
             WHERE dataset_id = $1::NUMERIC AND ($2::INTEGER IS NULL OR version = $2)
             ORDER BY version DESC LIMIT 1",
        )
        .bind(dataset_id.to_string())
        .bind(version.map(|version| version as i32))
        .fetch_optional(&state.pool)
        .await?;
        grant.ok_or_else(|| {
            ApiError::NotFound(match version {
                Some(version) => format!(
                    "the creator has not enabled downloads of dataset {dataset_id} version {version}"
                ),
                None => format!("the creator has not enabled downloads of dataset {dataset_id}"),
            })
        })
    }

    /// The grant's envelope and manifest, from the store (the manifest checked against its hash).
    async fn load(
        &self,
        store: &dyn BlobStore,
    ) -> Result<(Envelope, tributary_core::manifest::Manifest), ApiError> {
        let digest = |bytes: &[u8]| {
            <[u8; 32]>::try_from(bytes)
                .map(Sha256Digest::new)
                .map_err(|_| ApiError::Internal)
        };
        let envelope_ref = BlobRef {
            sha256: digest(&self.envelope_sha256)?,
            cid: self.envelope_cid.parse().map_err(|_| ApiError::Internal)?,
        };
        let envelope = publication::load_envelope(store, &envelope_ref)
            .await
            .map_err(|error| store_error("the envelope", &error))?;
        let manifest_cid: Cid = envelope
            .manifest_cid
            .parse()
            .map_err(|_| ApiError::Internal)?;
        let manifest =
            publication::load_manifest(store, digest(&self.manifest_hash)?, manifest_cid)
                .await
                .map_err(|error| store_error("the manifest", &error))?;
        Ok((envelope, manifest))
    }
}

fn version_path(path: Result<Path<(String, u32)>, PathRejection>) -> Result<(U256, u32), ApiError> {
    let Path((id, version)) =
        path.map_err(|_| ApiError::BadRequest("bad dataset id or version".into()))?;
    Ok((body::decimal("dataset id", &id)?, version))
}

fn store(state: &ProductState) -> Result<Arc<dyn BlobStore>, ApiError> {
    state.manifest_store.clone().ok_or_else(|| {
        ApiError::NotReady("this server has no blob store (start it with --manifest-store)".into())
    })
}

/// The dataset, from the mirror, if `account` created it.
async fn creators_dataset(
    state: &ProductState,
    dataset_id: U256,
    account: alloy::primitives::Address,
) -> Result<DatasetDetail, ApiError> {
    let detail = dataset_detail(&state.pool, dataset_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no dataset {dataset_id} (in the mirror)")))?;
    if !detail
        .dataset
        .creator
        .eq_ignore_ascii_case(&account.to_string())
    {
        return Err(ApiError::Forbidden(format!(
            "only the creator of dataset {dataset_id} ({}) manages its downloads",
            detail.dataset.creator
        )));
    }
    Ok(detail)
}

fn version_hash(detail: &DatasetDetail, version: u32) -> Result<B256, ApiError> {
    let found = detail
        .versions
        .iter()
        .find(|known| known.version == version)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "dataset {} has no version {version} (in the mirror)",
                detail.dataset.id
            ))
        })?;
    found.manifest_hash.parse().map_err(|_| ApiError::Internal)
}

fn parse_key(hex: &str) -> Result<DataKey, ApiError> {
    let bytes = alloy::hex::decode(hex)
        .ok()
        .and_then(|bytes| <[u8; KEY_LEN]>::try_from(bytes).ok())
        .ok_or_else(|| ApiError::BadRequest(format!("data_key must be {KEY_LEN} bytes, hex")))?;
    Ok(DataKey::from_bytes(bytes))
}

/// Refuses a data key that does not open the version: the first chunk of its first file must
/// authenticate (a cut-short stream here only means the file is longer than one chunk).
async fn check_key(
    store: &dyn BlobStore,
    envelope: &Envelope,
    key: &DataKey,
) -> Result<(), ApiError> {
    let Some(first) = envelope.files.first() else {
        return Ok(());
    };
    let blob = BlobRef {
        sha256: first
            .sha256
            .parse()
            .map_err(|_| ApiError::BadRequest("the envelope names a bad sha256".into()))?,
        cid: first
            .cid
            .parse()
            .map_err(|_| ApiError::BadRequest("the envelope names a bad CID".into()))?,
    };
    let scratch = tempfile::tempdir().map_err(|_| ApiError::Internal)?;
    let ciphertext = scratch.path().join("sealed");
    store
        .get_file(&blob, &ciphertext)
        .await
        .map_err(|error| store_error("the first file", &error))?;
    let first_chunk = (HEADER_SIZE + crypto::CHUNK_SIZE + TAG_SIZE) as u64;
    let file = std::fs::File::open(&ciphertext).map_err(|_| ApiError::Internal)?;
    match crypto::decrypt(key, file.take(first_chunk), std::io::sink()) {
        Ok(_) | Err(tributary_core::Error::Truncated { .. }) => Ok(()),
        Err(_) => Err(ApiError::BadRequest(
            "data_key does not open the version's files".into(),
        )),
    }
}

fn store_error(what: &str, error: &tributary_core::Error) -> ApiError {
    if matches!(error, tributary_core::Error::NotFound { .. }) {
        return ApiError::NotFound(format!("{what} is not in the blob store"));
    }
    tracing::error!(%error, "reading {what} from the blob store");
    ApiError::NotReady(format!(
        "reading {what} from the blob store failed; try again later"
    ))
}
