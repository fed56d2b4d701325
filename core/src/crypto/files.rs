//! Whole-file encryption and decryption that never leaves a partial output.
//!
//! Output goes to a temporary file beside the destination (created readable by
//! its owner only, which matters for plaintext) and is renamed over the
//! destination only once the whole stream has been processed and
//! authenticated. On any error the temporary file is removed, so a tampered
//! ciphertext never yields a half-decrypted file under the destination's name.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Write},
    path::Path,
};

use tempfile::NamedTempFile;

use super::{keys::DataKey, stream};
use crate::{Error, Result};

/// Encrypts the file `src` into `dst` under `key`; returns the plaintext size.
pub fn encrypt_file(key: &DataKey, src: &Path, dst: &Path) -> Result<u64> {
    transform(src, dst, |reader, writer| {
        stream::encrypt(key, reader, writer)
    })
}

/// Decrypts the file `src` into `dst` under `key`; returns the plaintext size.
/// `dst` is untouched unless every chunk authenticates.
pub fn decrypt_file(key: &DataKey, src: &Path, dst: &Path) -> Result<u64> {
    transform(src, dst, |reader, writer| {
        stream::decrypt(key, reader, writer)
    })
}

fn transform(
    src: &Path,
    dst: &Path,
    run: impl FnOnce(&mut BufReader<File>, &mut BufWriter<&File>) -> Result<u64>,
) -> Result<u64> {
    let input = File::open(src).map_err(|e| Error::io(src, e))?;
    let dir = match dst.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    let size = {
        let mut writer = BufWriter::new(temp.as_file());
        let size = run(&mut BufReader::new(input), &mut writer)?;
        writer.flush().map_err(|e| Error::io(temp.path(), e))?;
        size
    };
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io(temp.path(), e))?;
    temp.persist(dst).map_err(|e| Error::io(dst, e.error))?;
    Ok(size)
}
