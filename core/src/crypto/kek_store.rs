//! A local directory of creator keys, and crypto-shredding by destroying one.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

use tempfile::NamedTempFile;

use super::{
    key_id::KeyId,
    keys::{DataKey, KEY_LEN, Kek, random},
    wrap::WrappedKey,
};
use crate::{Error, Result};

const MAGIC: &[u8; 6] = b"TRBKEK";
const VERSION: u8 = 1;
const FILE_LEN: usize = MAGIC.len() + 1 + KEY_LEN;
const EXTENSION: &str = "kek";

/// Creator keys kept as files in one local directory.
///
/// Each key is one file, `<dir>/<key id>.kek`, readable and writable by its
/// owner only (mode 0600, in a 0700 directory), 39 bytes long:
///
/// ```text
/// offset  size  field
///      0     6  magic "TRBKEK"
///      6     1  format version (1)
///      7    32  the key
/// ```
#[derive(Debug, Clone)]
pub struct KekStore {
    dir: PathBuf,
}

impl KekStore {
    /// Opens the store at `dir`, creating the directory (mode 0700) if needed.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        create_private_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Self { dir })
    }

    /// The directory holding the key files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates a fresh random key named `id`. Never replaces an existing key:
    /// that would silently make everything wrapped under it unreadable.
    pub fn create(&self, id: &KeyId) -> Result<Kek> {
        let kek = Kek::generate()?;
        let mut temp = NamedTempFile::new_in(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        // `NamedTempFile` creates the file with mode 0600 on Unix; the key is
        // written to it and made durable before it gets its final name.
        let mut contents = [0; FILE_LEN];
        contents[..MAGIC.len()].copy_from_slice(MAGIC);
        contents[MAGIC.len()] = VERSION;
        contents[MAGIC.len() + 1..].copy_from_slice(kek.expose_secret());
        let written = temp
            .write_all(&contents)
            .and_then(|()| temp.as_file().sync_all());
        zeroize::Zeroize::zeroize(&mut contents);
        written.map_err(|e| Error::io(temp.path(), e))?;

        let path = self.path(id);
        // A hard link, not a rename: it fails if the name is taken, so two
        // concurrent creations of one id cannot overwrite each other.
        match temp.persist_noclobber(&path) {
            Ok(_) => {}
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(self.exists(id));
            }
            Err(e) => return Err(Error::io(&path, e.error)),
        }
        sync_dir(&self.dir)?;
        Ok(kek)
    }

    /// Whether a key named `id` exists.
    pub fn contains(&self, id: &KeyId) -> Result<bool> {
        let path = self.path(id);
        path.try_exists().map_err(|e| Error::io(&path, e))
    }

    /// Loads the key named `id`.
    ///
    /// Refuses a key file that other users may read or write, as ssh does
    /// with private keys: such a key cannot be assumed secret any more.
    pub fn load(&self, id: &KeyId) -> Result<Kek> {
        let path = self.path(id);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(self.not_found(id)),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let meta = file.metadata().map_err(|e| Error::io(&path, e))?;
        check_private(&path, &meta)?;
        if meta.len() != FILE_LEN as u64 {
            return Err(bad_file(&path, "wrong length"));
        }
        let mut head = [0; MAGIC.len() + 1];
        file.read_exact(&mut head)
            .map_err(|e| Error::io(&path, e))?;
        if &head[..MAGIC.len()] != MAGIC {
            return Err(bad_file(&path, "wrong magic bytes"));
        }
        if head[MAGIC.len()] != VERSION {
            return Err(bad_file(&path, "unsupported format version"));
        }
        Kek::filled(|key| file.read_exact(key).map_err(|e| Error::io(&path, e)))
    }

    /// Wraps `data_key` under the key named `id`.
    pub fn wrap(&self, id: &KeyId, data_key: &DataKey) -> Result<WrappedKey> {
        WrappedKey::wrap(id, &self.load(id)?, data_key)
    }

    /// Opens `wrapped` with the key it names. After [`destroy`](Self::destroy)
    /// this fails with [`Error::KeyNotFound`], for good.
    pub fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey> {
        wrapped.unwrap_with(&self.load(wrapped.key_id())?)
    }

    /// Crypto-shredding: overwrites the key file named `id` with random bytes,
    /// flushes that to disk, then removes the file.
    ///
    /// Every data key wrapped under it, and so every file those data keys
    /// encrypted, becomes unreadable wherever the ciphertext is kept. See
    /// `docs/encryption.md` for what overwriting can and cannot promise on
    /// SSDs and copy-on-write file systems.
    pub fn destroy(&self, id: &KeyId) -> Result<()> {
        let path = self.path(id);
        let mut file = match OpenOptions::new().write(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(self.not_found(id)),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        // Key files are 39 bytes; a larger file was not written by us and is
        // overwritten in full all the same, a buffer at a time.
        let mut noise = [0u8; 4096];
        let mut left = len;
        while left > 0 {
            let n = left.min(noise.len() as u64) as usize;
            random(&mut noise[..n])?;
            file.write_all(&noise[..n])
                .map_err(|e| Error::io(&path, e))?;
            left -= n as u64;
        }
        file.sync_all().map_err(|e| Error::io(&path, e))?;
        drop(file);
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        sync_dir(&self.dir)
    }

    fn path(&self, id: &KeyId) -> PathBuf {
        self.dir.join(format!("{id}.{EXTENSION}"))
    }

    fn not_found(&self, id: &KeyId) -> Error {
        Error::KeyNotFound {
            key_id: id.to_string(),
            dir: self.dir.clone(),
        }
    }

    fn exists(&self, id: &KeyId) -> Error {
        Error::KeyExists {
            key_id: id.to_string(),
            dir: self.dir.clone(),
        }
    }
}

fn bad_file(path: &Path, reason: &'static str) -> Error {
    Error::BadKeyFile {
        path: path.to_owned(),
        reason,
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(bad_file(
            path,
            "other users may access it; it must be mode 0600",
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
    Ok(())
}

/// Makes a directory's entries (a new or removed name) durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}
