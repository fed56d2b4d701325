//! Envelope encryption for crypto-shredding.
//!
//! A random 256-bit [`DataKey`] per dataset version encrypts that version's
//! files ([`encrypt`], [`encrypt_file`]); the data key is stored only as a
//! [`WrappedKey`], encrypted under the creator's key-encryption key ([`Kek`]),
//! which a [`KekStore`] keeps. [`KekStore::destroy`] erases the KEK: from then
//! on no wrapped data key opens, so every copy of the ciphertext, in IPFS or
//! anywhere else, is unreadable.
//!
//! Everything is XChaCha20-Poly1305 (`chacha20poly1305`). Files are encrypted
//! in 64 KiB chunks under the STREAM construction (`aead-stream`), so memory
//! stays bounded and any edit, truncation, reordering or duplication of chunks
//! is detected. Key bytes are wiped when dropped and never printed.
//!
//! An encrypted file is a 27-byte header (magic `TRBENC`, version 1,
//! algorithm 1, a random 19-byte nonce prefix) and then chunks of 64 KiB of
//! plaintext plus a 16-byte tag; the final chunk is always shorter than 64 KiB
//! (empty when the size is a multiple of it). Chunk *i*'s nonce is
//! `prefix || i (u32, big-endian) || last flag`, and the header is every
//! chunk's associated data. `docs/encryption.md` describes this and the
//! wrapped-key and key-file formats in full.
//!
//! ```
//! use tributary_core::crypto::{self, DataKey, KekStore, KeyId};
//!
//! let dir = tempfile::tempdir()?;
//! let keys = KekStore::open(dir.path().join("keys"))?;
//! let creator = KeyId::new("creator-1")?;
//! keys.create(&creator)?;
//!
//! let data_key = DataKey::generate()?;
//! let wrapped = keys.wrap(&creator, &data_key)?;
//! let mut sealed = Vec::new();
//! crypto::encrypt(&data_key, &b"training data"[..], &mut sealed)?;
//!
//! let mut opened = Vec::new();
//! crypto::decrypt(&keys.unwrap(&wrapped)?, &sealed[..], &mut opened)?;
//! assert_eq!(opened, b"training data");
//!
//! keys.destroy(&creator)?; // crypto-shredding
//! assert!(keys.unwrap(&wrapped).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod files;
mod header;
mod kek_store;
mod key_id;
mod keys;
mod stream;
mod wrap;

pub use files::{decrypt_file, encrypt_file};
pub use header::{CHUNK_SIZE, HEADER_SIZE, TAG_SIZE};
pub use kek_store::KekStore;
pub use key_id::{KeyId, MAX_KEY_ID_LEN};
pub use keys::{DataKey, KEY_LEN, Kek};
pub use stream::{decrypt, encrypt};
pub use wrap::WrappedKey;
