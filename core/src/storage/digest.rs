//! Hashing bytes on their way through a store: SHA-256 and CIDs while
//! storing, SHA-256 alone (the identity) while fetching.

use std::io;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{BlobRef, ImportSettings, StoredBlob};
use crate::{Error, Result, cid::CidBuilder, hash::Sha256Digest};

/// Bytes moved per read while copying. Larger than `hash::BUFFER_SIZE`
/// because each async file read is a hop to tokio's blocking pool, and fewer
/// hops matter more here than cache locality.
pub(crate) const COPY_BUFFER: usize = 256 * 1024;

/// SHA-256, CIDs and size of everything fed so far.
pub(crate) struct Digests {
    sha256: Sha256,
    cids: CidBuilder,
    size: u64,
}

impl Digests {
    pub(crate) fn new() -> Self {
        Self {
            sha256: Sha256::new(),
            cids: CidBuilder::new(),
            size: 0,
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        self.cids.update(data);
        self.size += data.len() as u64;
    }

    /// The blob's identity, and its CID as `import` computes it.
    pub(crate) fn finish(self, import: ImportSettings) -> StoredBlob {
        let cids = self.cids.finish();
        StoredBlob {
            blob: BlobRef {
                sha256: Sha256Digest::new(self.sha256.finalize().into()),
                cid: import.pick(&cids),
            },
            size: self.size,
            import,
        }
    }
}

/// Reads a caller's stream in pieces of at most [`COPY_BUFFER`] bytes, all
/// in one reused buffer.
pub(crate) struct Pieces<'r> {
    reader: &'r mut (dyn AsyncRead + Unpin + Send),
    buf: Vec<u8>,
}

impl<'r> Pieces<'r> {
    pub(crate) fn new(reader: &'r mut (dyn AsyncRead + Unpin + Send)) -> Self {
        Self {
            reader,
            buf: vec![0; COPY_BUFFER],
        }
    }

    /// The next piece, or `None` at the end of the stream.
    pub(crate) async fn next(&mut self) -> Result<Option<&[u8]>> {
        let n = self
            .reader
            .read(&mut self.buf)
            .await
            .map_err(Error::Stream)?;
        Ok((n > 0).then(|| &self.buf[..n]))
    }
}

/// Writes fetched pieces to a caller's writer while hashing them, and checks
/// the result against the SHA-256 asked for.
pub(crate) struct Verifier<'w> {
    writer: &'w mut (dyn AsyncWrite + Unpin + Send),
    sha256: Sha256,
    size: u64,
}

impl<'w> Verifier<'w> {
    pub(crate) fn new(writer: &'w mut (dyn AsyncWrite + Unpin + Send)) -> Self {
        Self {
            writer,
            sha256: Sha256::new(),
            size: 0,
        }
    }

    pub(crate) async fn write(&mut self, piece: &[u8]) -> Result<()> {
        self.sha256.update(piece);
        self.size += piece.len() as u64;
        self.writer.write_all(piece).await.map_err(Error::Stream)
    }

    /// Copies all of `reader` through [`write`](Self::write); read errors
    /// are turned into this crate's errors by `read_error`.
    pub(crate) async fn copy_from(
        &mut self,
        reader: &mut (impl AsyncRead + Unpin),
        read_error: impl Fn(io::Error) -> Error,
    ) -> Result<()> {
        let mut buf = vec![0; COPY_BUFFER];
        loop {
            let n = reader.read(&mut buf).await.map_err(&read_error)?;
            if n == 0 {
                return Ok(());
            }
            self.write(&buf[..n]).await?;
        }
    }

    /// Flushes the writer and returns the byte count, or [`Error::Corrupt`]
    /// when the bytes were not the blob asked for.
    pub(crate) async fn finish(
        self,
        expected: &Sha256Digest,
        store: &(dyn std::fmt::Display + Sync),
    ) -> Result<u64> {
        self.writer.flush().await.map_err(Error::Stream)?;
        let actual = Sha256Digest::new(self.sha256.finalize().into());
        if actual != *expected {
            return Err(Error::Corrupt {
                expected: *expected,
                actual,
                store: store.to_string(),
            });
        }
        Ok(self.size)
    }
}
