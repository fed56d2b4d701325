//! Streaming SHA-256 of files and of folder trees.
//!
//! Memory stays bounded whatever the file sizes: each reading thread owns one
//! [`BUFFER_SIZE`] buffer, and a tree is hashed on a bounded number of threads,
//! one file per thread at a time. SHA-256 comes from the `sha2` crate, which
//! picks the x86 SHA-NI (or ARMv8 SHA2) instructions at run time when the CPU
//! has them.

use std::{
    fmt,
    fs::File,
    io::{self, Read},
    num::NonZeroUsize,
    path::{Path, PathBuf},
    str::FromStr,
};

use sha2::{Digest, Sha256};

use crate::{Error, Result, parallel, walk};

/// Size of the read buffer each thread uses.
///
/// Small on purpose: each `read` copies the page cache into this buffer and
/// SHA-256 then reads it back, so the buffer should still be in the core's
/// private caches when hashing starts. Measured with `bench/hash/run.sh` on a
/// 1 GiB cached file (AMD EPYC, SHA-NI): 32 KiB ≈ 1,150 MiB/s, 64 KiB ≈
/// 1,230 MiB/s, 128 KiB to 1 MiB ≈ 800–860 MiB/s, against `openssl dgst`'s
/// ≈ 1,110 MiB/s.
pub const BUFFER_SIZE: usize = 64 * 1024;

/// A SHA-256 digest. Displays and parses as 64 lowercase hex digits, the form
/// manifests use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// Wraps raw digest bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Hashes a byte slice held in memory.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&alloy_primitives::hex::encode(self.0))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

/// Why a string is not a [`Sha256Digest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected 64 lowercase hex digits")]
pub struct ParseDigestError;

impl FromStr for Sha256Digest {
    type Err = ParseDigestError;

    /// Accepts exactly 64 lowercase hex digits and nothing else (no `0x`, no
    /// upper case), so each digest has one spelling and manifests that mean
    /// the same thing hash the same.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower_hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        if s.len() != 64 || !s.bytes().all(|b| lower_hex(&b)) {
            return Err(ParseDigestError);
        }
        alloy_primitives::hex::decode_to_array(s)
            .map(Self)
            .map_err(|_| ParseDigestError)
    }
}

/// Receives progress while files are read: `advance` is called with the number
/// of bytes just read, possibly from several threads at once.
pub trait Progress: Sync {
    /// `bytes` more bytes have been read.
    fn advance(&self, bytes: u64);
}

impl<F: Fn(u64) + Sync> Progress for F {
    fn advance(&self, bytes: u64) {
        self(bytes);
    }
}

/// Progress that goes nowhere, for callers that show none.
pub const NO_PROGRESS: &dyn Progress = &|_: u64| {};

/// The size and SHA-256 of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigest {
    /// Bytes read.
    pub size: u64,
    /// SHA-256 of those bytes.
    pub sha256: Sha256Digest,
}

/// One file of a hashed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path relative to the tree's root, segments joined by `/`.
    pub path: String,
    /// The file's size and SHA-256.
    pub digest: FileDigest,
}

/// Reads a stream in [`BUFFER_SIZE`] pieces into one reusable buffer.
pub(crate) struct ChunkReader {
    buf: Box<[u8]>,
}

impl ChunkReader {
    pub(crate) fn new() -> Self {
        Self {
            buf: vec![0; BUFFER_SIZE].into_boxed_slice(),
        }
    }

    /// Feeds every byte of `reader` to `sink`, in order, and returns the count.
    pub(crate) fn read_from(
        &mut self,
        mut reader: impl Read,
        progress: &dyn Progress,
        mut sink: impl FnMut(&[u8]),
    ) -> io::Result<u64> {
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut self.buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            sink(&self.buf[..n]);
            total += n as u64;
            progress.advance(n as u64);
        }
    }

    /// [`read_from`](Self::read_from) for a file, with its path in errors.
    pub(crate) fn read_file(
        &mut self,
        path: &Path,
        progress: &dyn Progress,
        sink: impl FnMut(&[u8]),
    ) -> Result<u64> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        self.read_from(file, progress, sink)
            .map_err(|e| Error::io(path, e))
    }

    fn sha256_file(&mut self, path: &Path, progress: &dyn Progress) -> Result<FileDigest> {
        let mut hasher = Sha256::new();
        let size = self.read_file(path, progress, |chunk| hasher.update(chunk))?;
        Ok(FileDigest {
            size,
            sha256: Sha256Digest(hasher.finalize().into()),
        })
    }
}

/// Hashes everything `reader` yields.
pub fn sha256_reader(reader: impl Read, progress: &dyn Progress) -> io::Result<FileDigest> {
    let mut hasher = Sha256::new();
    let size = ChunkReader::new().read_from(reader, progress, |chunk| hasher.update(chunk))?;
    Ok(FileDigest {
        size,
        sha256: Sha256Digest(hasher.finalize().into()),
    })
}

/// Hashes one file.
pub fn sha256_file(path: &Path, progress: &dyn Progress) -> Result<FileDigest> {
    ChunkReader::new().sha256_file(path, progress)
}

/// Hashes many files on at most `threads` threads (one file per thread at a
/// time) and returns their digests in the order of `paths`.
pub fn sha256_files(
    paths: &[PathBuf],
    threads: NonZeroUsize,
    progress: &dyn Progress,
) -> Result<Vec<FileDigest>> {
    parallel::map(paths, threads, ChunkReader::new, |reader, path| {
        reader.sha256_file(path, progress)
    })
}

/// Hashes every regular file under `root` on at most `threads` threads.
///
/// Entries come back sorted by their `/`-joined relative path. Symbolic links
/// and special files are an error rather than silently left out.
pub fn sha256_tree(
    root: &Path,
    threads: NonZeroUsize,
    progress: &dyn Progress,
) -> Result<Vec<TreeEntry>> {
    let files = walk::files(root)?;
    parallel::map(&files, threads, ChunkReader::new, |reader, found| {
        let digest = reader.sha256_file(&found.absolute, progress)?;
        Ok(TreeEntry {
            path: found.relative.clone(),
            digest,
        })
    })
}

/// One thread per core this process may use: the default for tree hashing.
pub fn default_threads() -> NonZeroUsize {
    parallel::default_threads()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // FIPS 180-2 examples.
        assert_eq!(
            Sha256Digest::of(b"").to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let abc = sha256_reader(&b"abc"[..], NO_PROGRESS).expect("in memory");
        assert_eq!(abc.size, 3);
        assert_eq!(
            abc.sha256.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn digest_spelling_is_strict() {
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            hex.parse::<Sha256Digest>().map(|d| d.to_string()),
            Ok(hex.to_owned())
        );
        assert!(hex.to_uppercase().parse::<Sha256Digest>().is_err());
        assert!(format!("0x{hex}").parse::<Sha256Digest>().is_err());
        assert!(hex[..62].parse::<Sha256Digest>().is_err());
        assert!(format!("{}g", &hex[..63]).parse::<Sha256Digest>().is_err());
    }

    #[test]
    fn reads_past_one_buffer_and_reports_progress() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let data: Vec<u8> = (0..BUFFER_SIZE * 2 + 17).map(|i| (i % 251) as u8).collect();
        let seen = AtomicU64::new(0);
        let progress = |n: u64| {
            seen.fetch_add(n, Ordering::Relaxed);
        };
        let streamed = sha256_reader(&data[..], &progress).expect("in memory");
        assert_eq!(streamed.size, data.len() as u64);
        assert_eq!(streamed.sha256, Sha256Digest::of(&data));
        assert_eq!(seen.load(Ordering::Relaxed), data.len() as u64);
    }
}
