//! The dataset manifest: a versioned JSON document that lists a dataset's
//! files by SHA-256 and CID, and says who made it, under which licence, with
//! which consent records and from which parent datasets.
//!
//! A manifest is identified by [`Manifest::manifest_hash`], the SHA-256 of its
//! RFC 8785 (JCS) canonical form, so any implementation that parses the same
//! JSON gets the same hash whatever whitespace, key order or number spelling
//! the document used. The JSON Schema is `docs/manifest.schema.json` and the
//! field reference is `docs/manifest.md`.

mod croissant;
mod folder;
mod integer;
mod validate;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use folder::{DatasetInfo, scan_folder};
pub use validate::{Issue, MAX_EXACT_INTEGER, MAX_ROYALTY_BPS};

use crate::{Result, hash::Sha256Digest};

/// The manifest format this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// A dataset manifest (schema version [`SCHEMA_VERSION`]).
///
/// Fields hold the document's own spelling (strings rather than parsed
/// types) so that parsing and re-serializing loses nothing and the canonical
/// form of a parsed manifest is the canonical form of the document.
/// [`Manifest::validate`] checks every rule the types do not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`SCHEMA_VERSION`].
    #[serde(deserialize_with = "integer::deserialize")]
    pub schema_version: u32,
    /// Dataset title.
    pub title: String,
    /// Longer free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who made the dataset and gets paid for it.
    pub creator: Creator,
    /// Terms of use and royalty.
    pub licence: Licence,
    /// The dataset's files, sorted by path.
    pub files: Vec<FileEntry>,
    /// SHA-256 (lowercase hex) of each consent record; the records themselves
    /// stay off the manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent_records: Vec<String>,
    /// Datasets this one was derived from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<Parent>,
    /// When the manifest was made, RFC 3339.
    pub created_at: String,
    /// Free-form metadata, not interpreted by Tributary but covered by the hash.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
}

/// The dataset's creator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Creator {
    /// Decentralized identifier, e.g. `did:pkh:eip155:1:0x…` or `did:web:example.org`.
    pub did: String,
    /// EVM address that receives payments: `0x` and 40 hex digits, either
    /// all lowercase or EIP-55 checksummed.
    pub wallet: String,
}

/// What a buyer may do, and the creator's royalty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    /// The licence text: a standard SPDX licence or custom terms.
    pub terms: LicenceTerms,
    /// Royalty in basis points (1/100 of a percent), 0 to 10 000.
    #[serde(deserialize_with = "integer::deserialize")]
    pub royalty_bps: u16,
}

/// A standard licence or custom terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LicenceTerms {
    /// An SPDX licence identifier such as `CC-BY-4.0`.
    Spdx(String),
    /// Terms published elsewhere, pinned by their hash.
    Custom {
        /// SHA-256 of the terms document, lowercase hex.
        sha256: String,
        /// Where the terms can be read (`https`, `http` or `ipfs` URL).
        url: String,
    },
}

/// One file of the dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative path, segments joined by `/`.
    pub path: String,
    /// Size in bytes, at most 2⁵³ − 1 so JSON numbers stay exact.
    #[serde(deserialize_with = "integer::deserialize")]
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// IPFS CIDv1 (base32) as `ipfs add --cid-version=1` computes it: raw
    /// leaves, 256 KiB chunks, balanced DAG of at most 174 links per node.
    pub cid: String,
    /// IANA media type, e.g. `text/csv`.
    pub media_type: String,
}

/// A dataset this one was derived from, pinned to one of its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    /// The parent's on-chain dataset id: `0x` and 64 lowercase hex digits.
    pub dataset_id: String,
    /// [`Manifest::manifest_hash`] of the parent version used, lowercase hex.
    pub manifest_sha256: String,
}

impl Manifest {
    /// Parses a manifest and checks every rule.
    pub fn from_json(json: &str) -> Result<Self> {
        let manifest: Self = serde_json::from_str(json)?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The RFC 8785 (JCS) canonical JSON of this manifest.
    pub fn canonical_json(&self) -> Result<String> {
        Ok(serde_json_canonicalizer::to_string(self)?)
    }

    /// SHA-256 of [`canonical_json`](Self::canonical_json): the manifest's
    /// identity, anchored on-chain.
    pub fn manifest_hash(&self) -> Result<Sha256Digest> {
        Ok(Sha256Digest::of(self.canonical_json()?.as_bytes()))
    }

    /// Pretty JSON for people to read; hash with
    /// [`manifest_hash`](Self::manifest_hash), not these bytes.
    pub fn to_pretty_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}
