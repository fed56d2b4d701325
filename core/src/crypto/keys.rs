//! 256-bit secret keys that wipe themselves and never print.

use std::fmt;

use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, Result};

/// Length in bytes of every key here.
pub const KEY_LEN: usize = 32;

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(Error::Random)
}

/// Defines a 256-bit key type.
///
/// The bytes live in a `Box` so that moving the key moves a pointer, not the
/// secret: a plain `[u8; 32]` field would leave stale copies on the stack at
/// every move, which no `Drop` can reach. `Debug` prints only the type name.
macro_rules! secret_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(Box<[u8; KEY_LEN]>);

        impl $name {
            /// A fresh key from the operating system's CSPRNG.
            pub fn generate() -> Result<Self> {
                Self::filled(|bytes| random(bytes))
            }

            /// Wraps existing key bytes; the caller should wipe its copy.
            pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
                Self(Box::new(bytes))
            }

            /// Builds a key in place: `fill` writes the bytes straight into
            /// the key's own buffer, so no copy is left behind, and on error
            /// whatever it wrote is wiped with the key.
            pub(crate) fn filled(fill: impl FnOnce(&mut [u8; KEY_LEN]) -> Result<()>) -> Result<Self> {
                let mut key = Self(Box::new([0; KEY_LEN]));
                fill(&mut key.0)?;
                Ok(key)
            }

            /// The raw key bytes, for storing the key (never for logging it).
            pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
                &self.0
            }

            /// An XChaCha20-Poly1305 instance keyed with these bytes. The
            /// cipher keeps its own copy, which chacha20poly1305's `zeroize`
            /// feature wipes when the cipher is dropped.
            pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
                XChaCha20Poly1305::new((&*self.0).into())
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                self.0.zeroize();
            }
        }

        impl ZeroizeOnDrop for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_key!(
    /// The key that encrypts one dataset version's files.
    ///
    /// It is stored only wrapped (see [`WrappedKey`](super::WrappedKey)), so
    /// destroying the [`Kek`] that wraps it makes every file it encrypted
    /// unreadable.
    DataKey
);

secret_key!(
    /// A creator's key-encryption key: it wraps data keys and never touches
    /// file contents. Kept by a [`KekStore`](super::KekStore).
    Kek
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let key = DataKey::from_bytes([0xab; KEY_LEN]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "DataKey(<redacted>)");
        assert_eq!(
            format!("{:?}", Kek::from_bytes([7; KEY_LEN])),
            "Kek(<redacted>)"
        );
    }

    #[test]
    fn generated_keys_differ() {
        let a = DataKey::generate().expect("csprng");
        let b = DataKey::generate().expect("csprng");
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_ne!(a.expose_secret(), &[0; KEY_LEN]);
    }
}
