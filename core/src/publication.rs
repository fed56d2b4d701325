//! Sealing a dataset version into a blob store, and opening it again.
//!
//! Publishing a version stores three kinds of blob:
//! - every file, encrypted under a fresh per-version [`DataKey`]
//!   ([`crate::crypto`]), so the store (IPFS, a bucket) never holds plaintext;
//! - the manifest, as its canonical JSON: the blob's sha256 *is* the manifest
//!   hash anchored on-chain, so anyone holding the hash can fetch and check it;
//! - the [`Envelope`]: the data key wrapped under the creator's key, and where
//!   each file's ciphertext is. Destroying the creator's key
//!   ([`KekStore::destroy`]) leaves every ciphertext unreadable.
//!
//! Files are read once while being encrypted and hashed on the way, so a file
//! that changed after its manifest was made is refused rather than sealed
//! under a manifest that no longer describes it.

use std::{
    fs::{self, File},
    io::{self, Read},
    path::{Component, Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    Error, Result,
    cid::Cid,
    crypto::{self, DataKey, KekStore, KeyId, WrappedKey},
    hash::{Progress, Sha256Digest},
    manifest::Manifest,
    storage::{BlobRef, BlobStore, StoredBlob},
};

/// The version of the [`Envelope`] format.
pub const ENVELOPE_FORMAT: u32 = 1;

/// Where a sealed version's pieces are, and the key that opens them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Always [`ENVELOPE_FORMAT`].
    pub format: u32,
    /// The manifest hash of the version (sha256 of its canonical JSON).
    pub manifest_sha256: String,
    /// The manifest blob's CID (CIDv1, raw leaves).
    pub manifest_cid: String,
    /// The version's data key wrapped under the creator's key, lowercase hex
    /// (the format is in `docs/encryption.md`).
    pub wrapped_key: String,
    /// One entry per manifest file, in the manifest's order.
    pub files: Vec<SealedFile>,
}

/// One encrypted file of a sealed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedFile {
    /// The file's path in the manifest.
    pub path: String,
    /// The ciphertext blob's sha256, lowercase hex.
    pub sha256: String,
    /// The ciphertext blob's CID.
    pub cid: String,
    /// The ciphertext's size in bytes.
    pub size: u64,
}

/// What [`seal`] stored.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Sealed {
    /// The envelope.
    pub envelope: Envelope,
    /// The envelope's own blob: keep this reference to open the version later.
    pub envelope_blob: StoredBlob,
    /// The manifest's blob (its sha256 is the manifest hash).
    pub manifest_blob: StoredBlob,
}

/// Encrypts every file of `manifest` (read from `folder`) under a new data
/// key wrapped by the key `key_id` in `keys`, and stores the ciphertexts, the
/// manifest and the envelope in `store`. `progress` counts plaintext bytes.
pub async fn seal(
    manifest: &Manifest,
    folder: &Path,
    store: &dyn BlobStore,
    keys: &KekStore,
    key_id: &KeyId,
    progress: &dyn Progress,
) -> Result<Sealed> {
    let data_key = DataKey::generate()?;
    let wrapped = keys.wrap(key_id, &data_key)?;
    let scratch = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut files = Vec::with_capacity(manifest.files.len());
    for entry in &manifest.files {
        let source = within(folder, &entry.path)?;
        let sealed_path = scratch.path().join("sealed");
        let digest = encrypt_hashing(&data_key, &source, &sealed_path, progress)?;
        if digest.to_string() != entry.sha256 {
            return Err(Error::ChangedSinceManifest(source));
        }
        let stored = store.put_file(&sealed_path).await?;
        files.push(SealedFile {
            path: entry.path.clone(),
            sha256: stored.blob.sha256.to_string(),
            cid: stored.blob.cid.to_string(),
            size: stored.size,
        });
    }
    let canonical = manifest.canonical_json()?;
    let manifest_blob = store.put(&mut canonical.as_bytes()).await?;
    let envelope = Envelope {
        format: ENVELOPE_FORMAT,
        manifest_sha256: manifest_blob.blob.sha256.to_string(),
        manifest_cid: manifest_blob.blob.cid.to_string(),
        wrapped_key: alloy::hex::encode(wrapped.to_bytes()),
        files,
    };
    let envelope_json = serde_json::to_vec(&envelope)?;
    let envelope_blob = store.put(&mut envelope_json.as_slice()).await?;
    Ok(Sealed {
        envelope,
        envelope_blob,
        manifest_blob,
    })
}

/// Fetches the envelope stored as `envelope_blob`.
pub async fn load_envelope(store: &dyn BlobStore, envelope_blob: &BlobRef) -> Result<Envelope> {
    let mut bytes = Vec::new();
    store.get(envelope_blob, &mut bytes).await?;
    let envelope: Envelope = serde_json::from_slice(&bytes)?;
    if envelope.format != ENVELOPE_FORMAT {
        return Err(Error::Unexpected(format!(
            "envelope format {} (this build reads {ENVELOPE_FORMAT})",
            envelope.format
        )));
    }
    Ok(envelope)
}

/// Fetches the manifest whose hash is `manifest_hash` (at `cid`) and checks
/// it: the stored bytes hash to `manifest_hash`, parse, and are canonical.
pub async fn load_manifest(
    store: &dyn BlobStore,
    manifest_hash: Sha256Digest,
    cid: Cid,
) -> Result<Manifest> {
    let mut bytes = Vec::new();
    store
        .get(
            &BlobRef {
                sha256: manifest_hash,
                cid,
            },
            &mut bytes,
        )
        .await?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Unexpected("the stored manifest is not UTF-8".into()))?;
    Manifest::from_json(&text)
}

/// Decrypts every file of `envelope` into `out` (created if missing) with the
/// data key unwrapped from `keys`, and checks each against `manifest`.
/// Returns the plaintext bytes written. A file appears under its name only
/// once it decrypted, authenticated and hashed to the manifest's sha256.
pub async fn open(
    envelope: &Envelope,
    manifest: &Manifest,
    store: &dyn BlobStore,
    keys: &KekStore,
    out: &Path,
    progress: &dyn Progress,
) -> Result<u64> {
    if manifest.manifest_hash()?.to_string() != envelope.manifest_sha256 {
        return Err(Error::Unexpected(
            "the envelope belongs to another manifest".into(),
        ));
    }
    let wrapped = WrappedKey::from_bytes(&decode_hex(&envelope.wrapped_key)?)?;
    let data_key = keys.unwrap(&wrapped)?;
    fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let scratch = tempfile::tempdir_in(out).map_err(|e| Error::io(out, e))?;
    let mut total = 0;
    for (entry, sealed) in manifest.files.iter().zip(&envelope.files) {
        if entry.path != sealed.path {
            return Err(Error::Unexpected(format!(
                "the envelope lists {} where the manifest lists {}",
                sealed.path, entry.path
            )));
        }
        let target = within(out, &entry.path)?;
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let ciphertext = scratch.path().join("sealed");
        let blob = BlobRef {
            sha256: parse(&sealed.sha256, "ciphertext sha256")?,
            cid: sealed.cid.parse().map_err(|_| {
                Error::Unexpected(format!("bad CID in the envelope: {}", sealed.cid))
            })?,
        };
        store.get_file(&blob, &ciphertext).await?;
        let size = crypto::decrypt_file(&data_key, &ciphertext, &target)?;
        let digest = crate::hash::sha256_file(&target, progress)?;
        if digest.sha256.to_string() != entry.sha256 {
            // Unreachable unless the manifest and envelope were mixed up after
            // sealing: authenticated decryption gives back what was sealed.
            let _ = fs::remove_file(&target);
            return Err(Error::ChangedSinceManifest(target));
        }
        total += size;
    }
    if manifest.files.len() != envelope.files.len() {
        return Err(Error::Unexpected(format!(
            "the envelope seals {} files, the manifest lists {}",
            envelope.files.len(),
            manifest.files.len()
        )));
    }
    Ok(total)
}

/// `root/relative` for a manifest path, refusing anything that would leave
/// `root` (the manifest rules already forbid it; this is defence in depth).
fn within(root: &Path, relative: &str) -> Result<PathBuf> {
    let path = Path::new(relative);
    if relative.is_empty()
        || path
            .components()
            .any(|part| !matches!(part, Component::Normal(_)))
    {
        return Err(Error::Unexpected(format!(
            "unsafe file path in a manifest: {relative:?}"
        )));
    }
    Ok(root.join(path))
}

fn encrypt_hashing(
    key: &DataKey,
    source: &Path,
    sealed: &Path,
    progress: &dyn Progress,
) -> Result<Sha256Digest> {
    let input = File::open(source).map_err(|e| Error::io(source, e))?;
    let output = File::create(sealed).map_err(|e| Error::io(sealed, e))?;
    let mut reader = Hashing {
        inner: io::BufReader::new(input),
        sha256: Sha256::new(),
        progress,
    };
    let mut writer = io::BufWriter::new(output);
    crypto::encrypt(key, &mut reader, &mut writer)?;
    io::Write::flush(&mut writer).map_err(|e| Error::io(sealed, e))?;
    Ok(Sha256Digest::new(reader.sha256.finalize().into()))
}

/// A reader that hashes what passes through and reports its progress.
struct Hashing<'a, R> {
    inner: R,
    sha256: Sha256,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha256.update(&buf[..n]);
        self.progress.advance(n as u64);
        Ok(n)
    }
}

fn parse(hex: &str, what: &str) -> Result<Sha256Digest> {
    hex.parse()
        .map_err(|_| Error::Unexpected(format!("bad {what} in the envelope: {hex}")))
}

fn decode_hex(hex: &str) -> Result<Vec<u8>> {
    alloy::hex::decode(hex)
        .map_err(|_| Error::Unexpected("the envelope's wrapped key is not hex".into()))
}
