//! The rules a manifest must follow beyond its JSON shape.

use std::{collections::BTreeSet, fmt, str::FromStr};

use serde_json::Value;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::{Creator, FileEntry, Licence, LicenceTerms, Manifest, Parent, SCHEMA_VERSION};
use crate::{Error, Result, hash::Sha256Digest};

/// The largest integer an IEEE 754 double holds exactly. RFC 8785 writes every
/// number as a double, so a larger integer would not survive canonicalization.
pub const MAX_EXACT_INTEGER: u64 = (1 << 53) - 1;

/// Highest royalty: 10 000 basis points is 100 %.
pub const MAX_ROYALTY_BPS: u16 = 10_000;

/// One broken rule: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where, e.g. `files[2].sha256`.
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl Issue {
    pub(crate) fn join(issues: &[Issue]) -> String {
        issues
            .iter()
            .map(Issue::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Collects every issue rather than stopping at the first, so a person
/// fixing a manifest by hand sees them all at once.
#[derive(Default)]
struct Issues(Vec<Issue>);

impl Issues {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Issue {
            field: field.into(),
            message: message.into(),
        });
    }

    fn check(&mut self, field: impl Into<String>, result: Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }
}

impl Manifest {
    /// Checks every rule; on failure the error lists all broken rules.
    pub fn validate(&self) -> Result<()> {
        let mut issues = Issues::default();
        if self.schema_version != SCHEMA_VERSION {
            issues.add(
                "schema_version",
                format!(
                    "unsupported version {} (this build reads {SCHEMA_VERSION})",
                    self.schema_version
                ),
            );
        }
        issues.check("title", not_blank(&self.title));
        if let Some(description) = &self.description {
            issues.check("description", not_blank(description));
        }
        creator(&mut issues, &self.creator);
        licence(&mut issues, &self.licence);
        files(&mut issues, &self.files);
        digests(&mut issues, "consent_records", self.consent_records.iter());
        parents(&mut issues, &self.parents);
        issues.check("created_at", rfc3339(&self.created_at));
        for (key, value) in &self.extensions {
            exact_numbers(&mut issues, &format!("extensions.{key}"), value);
        }

        if issues.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidManifest(issues.0))
        }
    }
}

fn not_blank(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(())
    }
}

fn creator(issues: &mut Issues, creator: &Creator) {
    issues.check("creator.did", did(&creator.did));
    issues.check("creator.wallet", wallet(&creator.wallet));
}

/// W3C DID Core syntax: `did:` method-name `:` method-specific-id.
fn did(did: &str) -> Result<(), String> {
    let err = || Err("expected a DID such as did:web:example.org".to_owned());
    let Some(rest) = did.strip_prefix("did:") else {
        return err();
    };
    let Some((method, id)) = rest.split_once(':') else {
        return err();
    };
    let method_ok = !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let id_ok = !id.is_empty() && !id.ends_with(':') && did_id_chars(id);
    if method_ok && id_ok { Ok(()) } else { err() }
}

/// `idchar` (ALPHA / DIGIT / `.` / `-` / `_` / pct-encoded) or `:`.
fn did_id_chars(id: &str) -> bool {
    let bytes = id.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b".-_:".contains(&b) => i += 1,
            _ => return false,
        }
    }
    true
}

/// `0x` + 40 hex digits; mixed case must be a correct EIP-55 checksum, since
/// a wrong one means a mistyped address and money sent nowhere.
fn wallet(wallet: &str) -> Result<(), String> {
    let Some(hex) = wallet.strip_prefix("0x") else {
        return Err("expected 0x followed by 40 hex digits".into());
    };
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("expected 0x followed by 40 hex digits".into());
    }
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper && alloy_primitives::Address::parse_checksummed(wallet, None).is_err()
    {
        return Err("mixed-case address with a wrong EIP-55 checksum".into());
    }
    Ok(())
}

fn licence(issues: &mut Issues, licence: &Licence) {
    match &licence.terms {
        LicenceTerms::Spdx(id) => {
            if spdx::license_id(id).is_none_or(|known| known.name != id) {
                issues.add(
                    "licence.terms.spdx",
                    format!("{id:?} is not an SPDX licence identifier"),
                );
            }
        }
        LicenceTerms::Custom { sha256, url } => {
            issues.check("licence.terms.custom.sha256", digest(sha256));
            issues.check("licence.terms.custom.url", terms_url(url));
        }
    }
    if licence.royalty_bps > MAX_ROYALTY_BPS {
        issues.add(
            "licence.royalty_bps",
            format!("must be at most {MAX_ROYALTY_BPS} (100 %)"),
        );
    }
}

fn terms_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    match parsed.scheme() {
        "https" | "http" | "ipfs" => Ok(()),
        other => Err(format!("scheme {other:?} is not one of https, http, ipfs")),
    }
}

fn files(issues: &mut Issues, files: &[FileEntry]) {
    if files.is_empty() {
        issues.add("files", "a dataset has at least one file");
    }
    let mut paths = BTreeSet::new();
    for (i, file) in files.iter().enumerate() {
        let field = |name: &str| format!("files[{i}].{name}");
        issues.check(field("path"), relative_path(&file.path));
        if let Some(previous) = i.checked_sub(1).map(|p| &files[p].path) {
            if *previous == file.path {
                issues.add(field("path"), format!("duplicate path {:?}", file.path));
            } else if *previous > file.path {
                issues.add(
                    field("path"),
                    format!(
                        "files must be sorted by path: {:?} comes after {previous:?}",
                        file.path
                    ),
                );
            }
        }
        paths.insert(file.path.as_str());
        if file.size > MAX_EXACT_INTEGER {
            issues.add(
                field("size"),
                format!("must be at most {MAX_EXACT_INTEGER} (2^53 - 1)"),
            );
        }
        issues.check(field("sha256"), digest(&file.sha256));
        issues.check(field("cid"), cid_v1(&file.cid));
        issues.check(field("media_type"), media_type(&file.media_type));
    }
    // A path cannot be a file and a folder at once ("a" and "a/b").
    for (i, file) in files.iter().enumerate() {
        let mut end = 0;
        while let Some(slash) = file.path[end..].find('/') {
            end += slash;
            let folder = &file.path[..end];
            if paths.contains(folder) {
                issues.add(
                    format!("files[{i}].path"),
                    format!("{folder:?} is listed as a file but used as a folder"),
                );
            }
            end += 1;
        }
    }
}

/// Relative, `/`-separated, no empty, `.` or `..` segment, no backslash or
/// control character, no drive letter: every path stays inside the dataset
/// folder on every operating system.
fn relative_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("must not be empty".into());
    }
    if path.starts_with('/') {
        return Err(format!(
            "{path:?} is absolute; paths are relative to the dataset folder"
        ));
    }
    if path.contains('\\') {
        return Err(format!(
            "{path:?} contains a backslash; separate segments with /"
        ));
    }
    if path.chars().any(char::is_control) {
        return Err(format!("{path:?} contains a control character"));
    }
    let first = path.split('/').next().unwrap_or_default();
    if first.len() >= 2 && first.as_bytes()[0].is_ascii_alphabetic() && first.as_bytes()[1] == b':'
    {
        return Err(format!("{path:?} starts with a drive letter"));
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(format!("{path:?} has an empty segment")),
            "." | ".." => return Err(format!("{path:?} has a {segment:?} segment")),
            _ => {}
        }
    }
    Ok(())
}

fn digest(hex: &str) -> Result<(), String> {
    Sha256Digest::from_str(hex)
        .map(drop)
        .map_err(|e| e.to_string())
}

fn digests<'a>(issues: &mut Issues, name: &str, hexes: impl Iterator<Item = &'a String>) {
    let mut seen = BTreeSet::new();
    for (i, hex) in hexes.enumerate() {
        issues.check(format!("{name}[{i}]"), digest(hex));
        if !seen.insert(hex) {
            issues.add(format!("{name}[{i}]"), "duplicate entry");
        }
    }
}

/// A CIDv1 over sha2-256, written in its canonical (base32 lowercase) form so
/// that one file has one spelling.
fn cid_v1(text: &str) -> Result<(), String> {
    let cid = cid::Cid::try_from(text).map_err(|e| format!("not a CID: {e}"))?;
    if cid.version() != cid::Version::V1 {
        return Err("expected a CIDv1 (ipfs add --cid-version=1)".into());
    }
    if cid.hash().code() != crate::cid::SHA2_256 {
        return Err("expected a sha2-256 CID".into());
    }
    if cid.to_string() != text {
        return Err(format!("write this CID in base32 as {cid}"));
    }
    Ok(())
}

fn media_type(text: &str) -> Result<(), String> {
    let parsed = mime::Mime::from_str(text).map_err(|e| format!("not a media type: {e}"))?;
    // `mime` accepts `*/*` patterns, which name no actual type.
    if parsed.type_() == mime::STAR || parsed.subtype() == mime::STAR {
        return Err("wildcards are not a media type".into());
    }
    Ok(())
}

fn parents(issues: &mut Issues, parents: &[Parent]) {
    let mut seen = BTreeSet::new();
    for (i, parent) in parents.iter().enumerate() {
        issues.check(
            format!("parents[{i}].dataset_id"),
            dataset_id(&parent.dataset_id),
        );
        issues.check(
            format!("parents[{i}].manifest_sha256"),
            digest(&parent.manifest_sha256),
        );
        if !seen.insert((&parent.dataset_id, &parent.manifest_sha256)) {
            issues.add(format!("parents[{i}]"), "duplicate parent");
        }
    }
}

fn dataset_id(id: &str) -> Result<(), String> {
    let ok = id
        .strip_prefix("0x")
        .is_some_and(|hex| hex.parse::<Sha256Digest>().is_ok());
    if ok {
        Ok(())
    } else {
        Err("expected 0x followed by 64 lowercase hex digits".into())
    }
}

fn rfc3339(text: &str) -> Result<(), String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(drop)
        .map_err(|e| format!("not an RFC 3339 date-time: {e}"))
}

/// Integers beyond ±(2⁵³ − 1) would be rounded by RFC 8785; refuse them
/// rather than hash a number the author did not write.
fn exact_numbers(issues: &mut Issues, field: &str, value: &Value) {
    match value {
        Value::Number(n) => {
            let too_big = n.as_u64().is_some_and(|v| v > MAX_EXACT_INTEGER)
                || n.as_i64()
                    .is_some_and(|v| v.unsigned_abs() > MAX_EXACT_INTEGER);
            if too_big {
                issues.add(
                    field,
                    format!("integer {n} is not exact as a JSON (IEEE 754) number"),
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                exact_numbers(issues, &format!("{field}[{i}]"), item);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                exact_numbers(issues, &format!("{field}.{key}"), item);
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}
