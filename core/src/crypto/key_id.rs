//! Names of creator keys, safe to use as file names.

use std::{fmt, str::FromStr};

use crate::Error;

/// Longest key id accepted.
pub const MAX_KEY_ID_LEN: usize = 64;

/// The name of one creator key (KEK): 1 to 64 characters from `A–Z a–z 0–9
/// . _ -`, not starting with a dot.
///
/// Ids become file names in a [`KekStore`](super::KekStore), so the alphabet
/// rules out path separators, `..` and hidden files, and they are written into
/// every [`WrappedKey`](super::WrappedKey), so they stay short.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Validates `id`.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
        if id.is_empty()
            || id.len() > MAX_KEY_ID_LEN
            || id.starts_with('.')
            || !id.bytes().all(allowed)
        {
            return Err(Error::InvalidKeyId { key_id: id });
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for KeyId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_file_name_safe_ids_only() {
        for good in [
            "creator-1",
            "a",
            "0xAbC.v2_key",
            &"k".repeat(MAX_KEY_ID_LEN),
        ] {
            assert_eq!(KeyId::new(good).expect(good).as_str(), good);
        }
        for bad in [
            "",
            ".hidden",
            "..",
            "a/b",
            "a\\b",
            "space here",
            "ключ",
            &"k".repeat(MAX_KEY_ID_LEN + 1),
        ] {
            assert!(
                matches!(KeyId::new(bad), Err(Error::InvalidKeyId { .. })),
                "{bad:?}"
            );
        }
    }
}
