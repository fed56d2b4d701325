//! Prints the SHA-256 of files and folder trees, `sha256sum`-style, using
//! `tributary_core::hash`. `bench/hash/run.sh` times it against openssl and
//! coreutils.
//!
//! ```text
//! cargo run --release --example hash -- [--threads N] PATH...
//! ```
//!
//! A folder is hashed as a tree on N threads (default: one per core); a file
//! is hashed on the calling thread.

use std::{
    io::{BufWriter, Write},
    num::NonZeroUsize,
    path::PathBuf,
};

use tributary_core::hash::{NO_PROGRESS, default_threads, sha256_file, sha256_tree};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut threads = default_threads();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--threads" {
            let n = args.next().ok_or("--threads needs a number")?;
            threads = n
                .parse::<NonZeroUsize>()
                .map_err(|e| format!("--threads {n}: {e}"))?;
        } else {
            paths.push(PathBuf::from(arg));
        }
    }
    if paths.is_empty() {
        return Err("usage: hash [--threads N] PATH...".into());
    }

    let mut out = BufWriter::new(std::io::stdout().lock());
    for path in paths {
        if path.is_dir() {
            for entry in sha256_tree(&path, threads, NO_PROGRESS)? {
                writeln!(
                    out,
                    "{}  {}/{}",
                    entry.digest.sha256,
                    path.display(),
                    entry.path
                )?;
            }
        } else {
            let digest = sha256_file(&path, NO_PROGRESS)?;
            writeln!(out, "{}  {}", digest.sha256, path.display())?;
        }
    }
    out.flush()?;
    Ok(())
}
