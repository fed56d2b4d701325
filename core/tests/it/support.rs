//! Shared helpers: deterministic file content and repository paths.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

/// The repository root (`core/..`).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Deterministic pseudo-random bytes: xorshift64 (13, 7, 17) from `seed`,
/// each state written as 8 little-endian bytes. `core/tests/data/gen-cid-vectors.mjs`
/// generates the same stream, so both sides hash identical files.
pub(crate) struct Pattern(u64);

impl Pattern {
    pub(crate) fn new(seed: u64) -> Self {
        assert_ne!(seed, 0, "xorshift needs a non-zero seed");
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Fills `buf`, whose length is a multiple of 8 except possibly at the
    /// very end of a file.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for word in buf.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            word.copy_from_slice(&bytes[..word.len()]);
        }
    }
}

/// Writes `len` pattern bytes from `seed` to `path`, 1 MiB at a time.
pub(crate) fn write_pattern_file(path: &Path, seed: u64, len: u64) {
    let mut out = BufWriter::new(File::create(path).expect("create test file"));
    let mut pattern = Pattern::new(seed);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        pattern.fill(&mut buf[..n]);
        out.write_all(&buf[..n]).expect("write test file");
        left -= n as u64;
    }
    out.flush().expect("flush test file");
}
