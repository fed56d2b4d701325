//! The fixed header in front of every encrypted stream.
//!
//! ```text
//! offset  size  field
//!      0     6  magic "TRBENC"
//!      6     1  format version (1)
//!      7     1  algorithm (1 = XChaCha20-Poly1305, STREAM BE32, 64 KiB chunks)
//!      8    19  nonce prefix, random per stream
//! ```
//!
//! The whole header is the associated data of every chunk, so changing any
//! header byte makes the first chunk fail authentication even where the parser
//! would accept the new value.

use crate::{Error, Result};

use super::keys::random;

/// Magic bytes that open every encrypted stream.
const MAGIC: &[u8; 6] = b"TRBENC";
/// The only format version this code writes and reads.
const VERSION: u8 = 1;
/// Algorithm id of XChaCha20-Poly1305 under STREAM (BE32 counter) with
/// [`CHUNK_SIZE`] plaintext chunks.
const ALG_XCHACHA20POLY1305_STREAM_BE32: u8 = 1;
/// Plaintext bytes per chunk; only the final chunk is shorter.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Poly1305 tag bytes appended to every chunk.
pub const TAG_SIZE: usize = 16;
/// Bytes of the nonce prefix: XChaCha20's 24-byte nonce minus STREAM's 4-byte
/// counter and 1-byte last-chunk flag.
pub(crate) const NONCE_PREFIX_SIZE: usize = 19;
/// Total header length.
pub const HEADER_SIZE: usize = MAGIC.len() + 2 + NONCE_PREFIX_SIZE;

/// A parsed (or freshly made) stream header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) nonce_prefix: [u8; NONCE_PREFIX_SIZE],
}

impl Header {
    /// A header with a fresh random nonce prefix.
    ///
    /// 152 random bits per stream make a prefix collision under one data key
    /// negligible however many files that key encrypts, which is why the
    /// extended-nonce XChaCha variant is used rather than ChaCha20-Poly1305.
    pub(crate) fn generate() -> Result<Self> {
        let mut nonce_prefix = [0; NONCE_PREFIX_SIZE];
        random(&mut nonce_prefix)?;
        Ok(Self { nonce_prefix })
    }

    pub(crate) fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut out = [0; HEADER_SIZE];
        out[..6].copy_from_slice(MAGIC);
        out[6] = VERSION;
        out[7] = ALG_XCHACHA20POLY1305_STREAM_BE32;
        out[8..].copy_from_slice(&self.nonce_prefix);
        out
    }

    pub(crate) fn parse(bytes: &[u8; HEADER_SIZE]) -> Result<Self> {
        if &bytes[..6] != MAGIC {
            return Err(Error::BadHeader("wrong magic bytes"));
        }
        if bytes[6] != VERSION {
            return Err(Error::BadHeader("unsupported format version"));
        }
        if bytes[7] != ALG_XCHACHA20POLY1305_STREAM_BE32 {
            return Err(Error::BadHeader("unsupported algorithm"));
        }
        let mut nonce_prefix = [0; NONCE_PREFIX_SIZE];
        nonce_prefix.copy_from_slice(&bytes[8..]);
        Ok(Self { nonce_prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_each_field() {
        let header = Header::generate().expect("csprng");
        let bytes = header.to_bytes();
        assert_eq!(Header::parse(&bytes).expect("valid"), header);
        for (at, what) in [(0, "magic"), (6, "version"), (7, "algorithm")] {
            let mut bad = bytes;
            bad[at] ^= 0xff;
            let err = Header::parse(&bad).expect_err(what).to_string();
            assert!(err.contains(what), "{what}: {err}");
        }
    }
}
