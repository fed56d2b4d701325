//! IPFS CIDs of files, computed locally the way Kubo's `ipfs add` does,
//! without a daemon.
//!
//! Kubo's default import: 256 KiB fixed-size chunks ([`CHUNK_SIZE`]), balanced
//! layout with at most 174 links per node ([`MAX_LINKS`]), sha2-256. On top of
//! that it has two flavours, and [`CidBuilder`] computes both in one pass:
//!
//! | field | `ipfs add` flags | leaves | CID | looks like |
//! |---|---|---|---|---|
//! | [`FileCids::v0`] | none (the default) | dag-pb + UnixFS | v0 | `Qm…` |
//! | [`FileCids::v1`] | `--cid-version=1` (implies `--raw-leaves`) | raw | v1 | `bafk…` (one chunk) or `bafy…` |
//!
//! Debian's `ipfs_cid` tool, used to cross-check this module, prints the first
//! flavour twice: as `Qm…` and as the same multihash in CIDv1 form (`bafy…`,
//! dag-pb, base32), i.e. `FileCids::v0.into_v1()`, which is *not* what
//! `ipfs add --cid-version=1` prints.
//!
//! Memory stays bounded: one pending chunk plus up to 174 links per tree level.

mod balanced;
mod dag_pb;

use std::{fs::File, io, path::Path};

pub use cid::Cid;

use sha2::{Digest, Sha256};

use crate::{
    Error, Result,
    hash::{ChunkReader, FileDigest, Progress, Sha256Digest},
};
use balanced::{Balanced, Leaves};

/// Kubo's default chunk size (`size-262144`).
pub const CHUNK_SIZE: usize = 256 * 1024;
/// Kubo's default maximum number of links in one node of a balanced DAG.
pub const MAX_LINKS: usize = 174;

/// Multicodec of dag-pb blocks.
pub const DAG_PB: u64 = 0x70;
/// Multicodec of raw blocks.
pub const RAW: u64 = 0x55;
/// Multihash code of sha2-256.
pub const SHA2_256: u64 = 0x12;

/// Both of Kubo's CIDs for one file (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileCids {
    /// `ipfs add FILE`: dag-pb leaves, CIDv0 (`Qm…`).
    pub v0: Cid,
    /// `ipfs add --cid-version=1 FILE`: raw leaves, CIDv1 (`bafk…`/`bafy…`).
    pub v1: Cid,
}

/// Computes a file's [`FileCids`] from its bytes, fed in any slicing.
pub struct CidBuilder {
    /// Bytes of the next chunk, always fewer than [`CHUNK_SIZE`] between calls.
    pending: Vec<u8>,
    v0: Balanced,
    v1: Balanced,
}

impl Default for CidBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CidBuilder {
    /// A builder for an empty file.
    pub fn new() -> Self {
        Self {
            pending: Vec::with_capacity(CHUNK_SIZE),
            v0: Balanced::new(Leaves::DagPbV0),
            v1: Balanced::new(Leaves::RawV1),
        }
    }

    /// Appends `data` to the file.
    pub fn update(&mut self, mut data: &[u8]) {
        if !self.pending.is_empty() {
            let take = data.len().min(CHUNK_SIZE - self.pending.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < CHUNK_SIZE {
                return;
            }
            let chunk = std::mem::take(&mut self.pending);
            self.push_chunk(&chunk);
            self.pending = chunk;
            self.pending.clear();
        }
        // Whole chunks straight from the caller's buffer, without a copy.
        let mut chunks = data.chunks_exact(CHUNK_SIZE);
        for chunk in &mut chunks {
            self.push_chunk(chunk);
        }
        self.pending.extend_from_slice(chunks.remainder());
    }

    /// The CIDs of everything appended so far.
    pub fn finish(mut self) -> FileCids {
        // Kubo's chunker never emits an empty trailing chunk: a file whose
        // size is a multiple of the chunk size ends on a full chunk.
        if !self.pending.is_empty() {
            let chunk = std::mem::take(&mut self.pending);
            self.push_chunk(&chunk);
        }
        FileCids {
            v0: self.v0.finish(),
            v1: self.v1.finish(),
        }
    }

    fn push_chunk(&mut self, chunk: &[u8]) {
        self.v0.push_chunk(chunk);
        self.v1.push_chunk(chunk);
    }
}

impl io::Write for CidBuilder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The CIDs of everything `reader` yields.
pub fn reader_cids(reader: impl io::Read, progress: &dyn Progress) -> io::Result<FileCids> {
    let mut builder = CidBuilder::new();
    ChunkReader::new().read_from(reader, progress, |chunk| builder.update(chunk))?;
    Ok(builder.finish())
}

/// A file's size and SHA-256 (its identity) and its CIDs (its locators), from one read.
pub fn file_identity(path: &Path, progress: &dyn Progress) -> Result<(FileDigest, FileCids)> {
    let mut sha256 = Sha256::new();
    let mut cids = CidBuilder::new();
    let size = ChunkReader::new().read_file(path, progress, |chunk| {
        sha256.update(chunk);
        cids.update(chunk);
    })?;
    let digest = FileDigest {
        size,
        sha256: Sha256Digest::new(sha256.finalize().into()),
    };
    Ok((digest, cids.finish()))
}

/// The CIDs of one file.
pub fn file_cids(path: &Path, progress: &dyn Progress) -> Result<FileCids> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    reader_cids(file, progress).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::NO_PROGRESS;

    fn cids(data: &[u8]) -> FileCids {
        reader_cids(data, NO_PROGRESS).expect("in memory")
    }

    #[test]
    fn empty_file() {
        let cids = cids(b"");
        assert_eq!(
            cids.v0.to_string(),
            "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
        );
        // The raw block of no bytes.
        assert_eq!(
            cids.v1.to_string(),
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
        );
    }

    #[test]
    fn one_chunk_raw_leaf_is_the_file_itself() {
        let data = b"hello tributary";
        let cid = cids(data).v1;
        assert_eq!(cid.codec(), RAW);
        assert_eq!(
            cid.hash().digest(),
            crate::hash::Sha256Digest::of(data).as_bytes()
        );
    }

    #[test]
    fn slicing_does_not_change_the_result() {
        let data: Vec<u8> = (0..CHUNK_SIZE * 3 + 5)
            .map(|i| (i * 7 % 256) as u8)
            .collect();
        let whole = cids(&data);
        let mut builder = CidBuilder::new();
        for piece in data.chunks(100_003) {
            builder.update(piece);
        }
        assert_eq!(builder.finish(), whole);
        let mut bytewise = CidBuilder::new();
        for piece in data[..CHUNK_SIZE + 2].chunks(1) {
            bytewise.update(piece);
        }
        assert_eq!(bytewise.finish(), cids(&data[..CHUNK_SIZE + 2]));
    }
}
