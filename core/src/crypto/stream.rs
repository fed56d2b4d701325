//! Chunked, streaming authenticated encryption of one file (STREAM).
//!
//! After the [header](super::header) come the chunks. Each is the
//! XChaCha20-Poly1305 encryption of [`CHUNK_SIZE`] plaintext bytes followed by
//! its 16-byte tag, except the final chunk, which holds fewer than
//! [`CHUNK_SIZE`] bytes (possibly none). The nonce of chunk *i* is
//! `nonce_prefix (19 bytes) || i as u32 big-endian || last flag (1 byte)`:
//! the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, as
//! `aead-stream`'s `StreamBE32` implements it.
//!
//! Why this detects every edit of the ciphertext:
//! - a flipped bit anywhere in a chunk fails that chunk's tag;
//! - chunks moved, duplicated or dropped are decrypted under the wrong
//!   counter and fail;
//! - cutting the stream at a chunk boundary leaves a full-size chunk last,
//!   which the format never writes ([`Error::Truncated`]); cutting it inside a
//!   chunk makes that chunk the "last" one, whose flag then does not match;
//! - the header is every chunk's associated data, so it cannot change either.
//!
//! Memory is one chunk buffer whatever the stream's length. A stream holds at
//! most 2³² − 1 chunks (256 TiB of plaintext).

use std::io::{self, Read, Write};

use aead_stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::XChaCha20Poly1305;

use super::{
    header::{CHUNK_SIZE, HEADER_SIZE, Header, TAG_SIZE},
    keys::DataKey,
};
use crate::{Error, Result};

/// Encrypts everything `reader` yields under `key` and writes the encrypted
/// stream to `writer`. Returns the number of plaintext bytes.
pub fn encrypt(key: &DataKey, mut reader: impl Read, mut writer: impl Write) -> Result<u64> {
    let header = Header::generate()?;
    let aad = header.to_bytes();
    writer.write_all(&aad).map_err(Error::Stream)?;

    let mut stream =
        EncryptorBE32::<XChaCha20Poly1305>::from_aead(key.cipher(), (&header.nonce_prefix).into());
    let mut buf = Vec::with_capacity(CHUNK_SIZE + TAG_SIZE);
    let mut total = 0u64;
    loop {
        buf.resize(CHUNK_SIZE, 0);
        let n = read_full(&mut reader, &mut buf).map_err(Error::Stream)?;
        buf.truncate(n);
        total += n as u64;
        if n == CHUNK_SIZE {
            // The only failure left for a 64 KiB chunk is counter exhaustion.
            stream
                .encrypt_next_in_place(&aad, &mut buf)
                .map_err(|_| Error::TooLong)?;
            writer.write_all(&buf).map_err(Error::Stream)?;
        } else {
            // A short read means end of input: this is the final chunk, even
            // when empty, so a full-size chunk is never last.
            stream
                .encrypt_last_in_place(&aad, &mut buf)
                .map_err(|_| Error::TooLong)?;
            writer.write_all(&buf).map_err(Error::Stream)?;
            writer.flush().map_err(Error::Stream)?;
            return Ok(total);
        }
    }
}

/// Decrypts an encrypted stream from `reader` under `key`, writing plaintext
/// to `writer`. Returns the number of plaintext bytes.
///
/// Each chunk is authenticated before any of it is written, but a failure in
/// a later chunk comes after earlier chunks were written: on error the caller
/// must discard what `writer` received. [`decrypt_file`](super::decrypt_file)
/// does that for files.
pub fn decrypt(key: &DataKey, mut reader: impl Read, mut writer: impl Write) -> Result<u64> {
    let mut aad = [0; HEADER_SIZE];
    if read_full(&mut reader, &mut aad).map_err(Error::Stream)? < HEADER_SIZE {
        return Err(Error::BadHeader("shorter than a header"));
    }
    let header = Header::parse(&aad)?;

    let mut stream =
        DecryptorBE32::<XChaCha20Poly1305>::from_aead(key.cipher(), (&header.nonce_prefix).into());
    let mut buf = Vec::with_capacity(CHUNK_SIZE + TAG_SIZE);
    let mut chunk = 0u64;
    let mut total = 0u64;
    loop {
        buf.resize(CHUNK_SIZE + TAG_SIZE, 0);
        let n = read_full(&mut reader, &mut buf).map_err(Error::Stream)?;
        buf.truncate(n);
        if n < CHUNK_SIZE + TAG_SIZE {
            break;
        }
        stream
            .decrypt_next_in_place(&aad, &mut buf)
            .map_err(|_| Error::Decrypt { chunk })?;
        writer.write_all(&buf).map_err(Error::Stream)?;
        total += buf.len() as u64;
        chunk += 1;
    }
    // A short read ended the input: `buf` holds what must be the final chunk.
    if buf.len() < TAG_SIZE {
        // Not even a tag: the final chunk is missing or cut short.
        return Err(Error::Truncated { chunks: chunk });
    }
    stream
        .decrypt_last_in_place(&aad, &mut buf)
        .map_err(|_| Error::Decrypt { chunk })?;
    writer.write_all(&buf).map_err(Error::Stream)?;
    writer.flush().map_err(Error::Stream)?;
    Ok(total + buf.len() as u64)
}

/// Reads until `buf` is full or the input ends; returns the bytes read. Only a
/// short count means end of input, whatever sizes the reader hands out.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
