//! Data keys wrapped (encrypted) under a creator's key-encryption key.

use chacha20poly1305::AeadInOut;
use zeroize::Zeroize;

use super::{
    key_id::{KeyId, MAX_KEY_ID_LEN},
    keys::{DataKey, KEY_LEN, Kek, random},
};
use crate::{Error, Result};

const MAGIC: &[u8; 4] = b"TRBK";
const VERSION: u8 = 1;
const ALG_XCHACHA20POLY1305: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// A [`DataKey`] encrypted under the [`Kek`] named by [`key_id`](Self::key_id).
///
/// Safe to store anywhere (database, manifest side-car, next to the
/// ciphertext): without the KEK it reveals nothing, and once the KEK is
/// destroyed it can never be opened again. Its binary form:
///
/// ```text
/// offset  size  field
///      0     4  magic "TRBK"
///      4     1  format version (1)
///      5     1  algorithm (1 = XChaCha20-Poly1305)
///      6     1  key id length L (1..=64)
///      7     L  key id of the KEK, ASCII
///    7+L    24  nonce, random
///   31+L    32  encrypted data key
///   63+L    16  Poly1305 tag
/// ```
///
/// Bytes 0..7+L are the associated data, so relabelling a wrapped key with
/// another KEK's id, or changing its version or algorithm, fails the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    key_id: KeyId,
    nonce: [u8; NONCE_LEN],
    sealed: [u8; KEY_LEN],
    tag: [u8; TAG_LEN],
}

impl WrappedKey {
    /// Wraps `data_key` under `kek`, recording `key_id` as the KEK's name.
    pub fn wrap(key_id: &KeyId, kek: &Kek, data_key: &DataKey) -> Result<Self> {
        let mut nonce = [0; NONCE_LEN];
        random(&mut nonce)?;
        let mut sealed = *data_key.expose_secret();
        let aad = associated_data(key_id);
        // Encrypts in place: `sealed` holds the plaintext key only until this
        // call returns, and it is a stack array that becomes the ciphertext.
        let tag = kek
            .cipher()
            .encrypt_inout_detached((&nonce).into(), &aad, (&mut sealed[..]).into())
            .map_err(|_| {
                // Unreachable for a 32-byte message, but never leave the
                // plaintext key behind.
                sealed.zeroize();
                Error::BadWrappedKey("data key could not be encrypted")
            })?;
        Ok(Self {
            key_id: key_id.clone(),
            nonce,
            sealed,
            tag: tag.into(),
        })
    }

    /// Opens the wrapped key with `kek`. Fails with [`Error::Unwrap`] when
    /// `kek` is not the key that wrapped it or any byte was altered.
    pub fn unwrap_with(&self, kek: &Kek) -> Result<DataKey> {
        let aad = associated_data(&self.key_id);
        DataKey::filled(|key| {
            // Decrypted straight into the new key's buffer; on failure that
            // buffer is wiped when the half-made key is dropped.
            key.copy_from_slice(&self.sealed);
            kek.cipher()
                .decrypt_inout_detached(
                    (&self.nonce).into(),
                    &aad,
                    (&mut key[..]).into(),
                    (&self.tag).into(),
                )
                .map_err(|_| Error::Unwrap {
                    key_id: self.key_id.to_string(),
                })
        })
    }

    /// The name of the KEK that wrapped this key.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The binary form described [above](Self).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = associated_data(&self.key_id);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.sealed);
        out.extend_from_slice(&self.tag);
        out
    }

    /// Parses the binary form. Checks the layout only: whether the bytes are
    /// authentic is known when [`unwrap_with`](Self::unwrap_with) runs.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or(Error::BadWrappedKey("wrong magic bytes"))?;
        let (&[version, alg, id_len], rest) = rest
            .split_first_chunk::<3>()
            .ok_or(Error::BadWrappedKey("truncated"))?;
        if version != VERSION {
            return Err(Error::BadWrappedKey("unsupported format version"));
        }
        if alg != ALG_XCHACHA20POLY1305 {
            return Err(Error::BadWrappedKey("unsupported algorithm"));
        }
        let id_len = usize::from(id_len);
        if id_len == 0 || id_len > MAX_KEY_ID_LEN {
            return Err(Error::BadWrappedKey("key id length out of range"));
        }
        if rest.len() != id_len + NONCE_LEN + KEY_LEN + TAG_LEN {
            return Err(Error::BadWrappedKey("wrong length"));
        }
        let (id, rest) = rest.split_at(id_len);
        let id = std::str::from_utf8(id).map_err(|_| Error::BadWrappedKey("key id is not text"))?;
        let key_id = KeyId::new(id).map_err(|_| Error::BadWrappedKey("invalid key id"))?;
        // The length check above makes each split succeed.
        let short = || Error::BadWrappedKey("wrong length");
        let (nonce, rest) = rest.split_first_chunk::<NONCE_LEN>().ok_or_else(short)?;
        let (sealed, rest) = rest.split_first_chunk::<KEY_LEN>().ok_or_else(short)?;
        let tag = rest.first_chunk::<TAG_LEN>().ok_or_else(short)?;
        Ok(Self {
            key_id,
            nonce: *nonce,
            sealed: *sealed,
            tag: *tag,
        })
    }
}

/// Magic, version, algorithm, key id length and key id.
fn associated_data(key_id: &KeyId) -> Vec<u8> {
    let id = key_id.as_str().as_bytes();
    let mut out = Vec::with_capacity(7 + id.len() + NONCE_LEN + KEY_LEN + TAG_LEN);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.push(ALG_XCHACHA20POLY1305);
    // KeyId guarantees 1..=64 bytes, so the length fits in one byte.
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    out
}
