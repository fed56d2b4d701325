//! Validation: each rule gives a clear error naming the field, all broken
//! rules are reported together, and no input panics.

use serde_json::{Value, json};
use tributary_core::{
    Error,
    manifest::{Issue, Manifest},
};

use crate::manifest_vectors::vector_json;

fn valid() -> Value {
    vector_json("minimal.json")
}

fn issues(manifest: &Value) -> Vec<Issue> {
    match Manifest::from_json(&manifest.to_string()) {
        Err(Error::InvalidManifest(issues)) => issues,
        other => panic!("expected InvalidManifest for {manifest}, got {other:?}"),
    }
}

/// Breaks `valid()` with `edit` and expects exactly one issue on `field`
/// whose message contains `words`.
fn rejects(edit: impl FnOnce(&mut Value), field: &str, words: &str) {
    let mut manifest = valid();
    edit(&mut manifest);
    let issues = issues(&manifest);
    assert!(
        issues.len() == 1 && issues[0].field == field && issues[0].message.contains(words),
        "expected one issue on {field} mentioning {words:?}, got {issues:?}"
    );
}

fn add_file(m: &mut Value, path: &str) {
    let mut file = m["files"][0].clone();
    file["path"] = json!(path);
    m["files"].as_array_mut().expect("files").push(file);
}

#[test]
fn paths() {
    let set = |path: &'static str| move |m: &mut Value| m["files"][0]["path"] = json!(path);
    rejects(set("/etc/passwd"), "files[0].path", "absolute");
    rejects(set("a/../../b"), "files[0].path", "\"..\" segment");
    rejects(set("./a"), "files[0].path", "\".\" segment");
    rejects(set("a//b"), "files[0].path", "empty segment");
    rejects(set("a/"), "files[0].path", "empty segment");
    rejects(set(""), "files[0].path", "empty");
    rejects(set("a\\b"), "files[0].path", "backslash");
    rejects(set("C:/x"), "files[0].path", "drive letter");
    rejects(set("a\nb"), "files[0].path", "control character");
}

#[test]
fn duplicate_unsorted_and_file_folder_paths() {
    rejects(
        |m| add_file(m, "labels.csv"),
        "files[1].path",
        "duplicate path",
    );
    rejects(|m| add_file(m, "a.csv"), "files[1].path", "sorted by path");
    rejects(
        |m| add_file(m, "labels.csv/inner.txt"),
        "files[1].path",
        "used as a folder",
    );
}

#[test]
fn hex_and_identifiers() {
    rejects(
        |m| m["files"][0]["sha256"] = json!("xyz"),
        "files[0].sha256",
        "64 lowercase hex",
    );
    rejects(
        |m| {
            m["files"][0]["sha256"] =
                json!("9A03B975919308B591C19FB67489870211037DE2A75311AFDE4A46ECEC5E0A2C")
        },
        "files[0].sha256",
        "lowercase",
    );
    rejects(
        |m| m["creator"]["wallet"] = json!("fb6916095ca1df60bb79ce92ce3ea74c37c5d359"),
        "creator.wallet",
        "0x",
    );
    rejects(
        |m| m["creator"]["wallet"] = json!("0xzb6916095ca1df60bb79ce92ce3ea74c37c5d359"),
        "creator.wallet",
        "40 hex",
    );
    // The EIP-55 spelling of this address is 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359.
    rejects(
        |m| m["creator"]["wallet"] = json!("0xFb6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
        "creator.wallet",
        "EIP-55",
    );
    rejects(
        |m| m["creator"]["did"] = json!("did:Web:x"),
        "creator.did",
        "DID",
    );
    rejects(
        |m| m["creator"]["did"] = json!("did:web:"),
        "creator.did",
        "DID",
    );
    rejects(
        |m| m["creator"]["did"] = json!("did:web:a%2"),
        "creator.did",
        "DID",
    );
    rejects(
        |m| m["files"][0]["cid"] = json!("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
        "files[0].cid",
        "CIDv1",
    );
    rejects(
        |m| m["files"][0]["cid"] = json!("not-a-cid"),
        "files[0].cid",
        "not a CID",
    );
    rejects(
        |m| m["files"][0]["media_type"] = json!("csv"),
        "files[0].media_type",
        "media type",
    );
    rejects(
        |m| m["created_at"] = json!("2025-13-01T00:00:00Z"),
        "created_at",
        "RFC 3339",
    );
}

#[test]
fn checksummed_and_upper_case_wallets_pass() {
    for wallet in [
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359",
    ] {
        let mut m = valid();
        m["creator"]["wallet"] = json!(wallet);
        Manifest::from_json(&m.to_string()).unwrap_or_else(|e| panic!("{wallet}: {e}"));
    }
}

#[test]
fn licence() {
    rejects(
        |m| m["licence"]["terms"] = json!({"spdx": "Not-A-Licence"}),
        "licence.terms.spdx",
        "SPDX",
    );
    rejects(
        |m| m["licence"]["terms"] = json!({"spdx": "MIT+"}),
        "licence.terms.spdx",
        "SPDX",
    );
    rejects(
        |m| m["licence"]["royalty_bps"] = json!(10_001),
        "licence.royalty_bps",
        "at most 10000",
    );
    let custom = |url: &str| json!({"custom": {"sha256": "0".repeat(64), "url": url}});
    rejects(
        |m| m["licence"]["terms"] = custom("ftp://x.example/t"),
        "licence.terms.custom.url",
        "scheme",
    );
    rejects(
        |m| m["licence"]["terms"] = custom("terms.txt"),
        "licence.terms.custom.url",
        "not a URL",
    );
}

#[test]
fn numbers_must_stay_exact() {
    rejects(
        |m| m["files"][0]["size"] = json!(1_u64 << 53),
        "files[0].size",
        "2^53 - 1",
    );
    rejects(
        |m| m["extensions"] = json!({"n": [1, {"deep": 1_u64 << 60}]}),
        "extensions.n[1].deep",
        "not exact",
    );
    let mut fractional = valid();
    fractional["files"][0]["size"] = json!(1.5);
    assert!(matches!(
        Manifest::from_json(&fractional.to_string()),
        Err(Error::Json(_))
    ));
}

#[test]
fn consent_and_parents() {
    let digest = "0".repeat(64);
    rejects(
        |m| m["consent_records"] = json!([digest, digest]),
        "consent_records[1]",
        "duplicate",
    );
    rejects(
        |m| m["parents"] = json!([{"dataset_id": "7", "manifest_sha256": digest}]),
        "parents[0].dataset_id",
        "0x",
    );
}

#[test]
fn every_issue_is_reported_at_once() {
    let mut m = valid();
    m["schema_version"] = json!(2);
    m["title"] = json!("  ");
    m["files"][0]["sha256"] = json!("");
    let issues = issues(&m);
    let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(fields, ["schema_version", "title", "files[0].sha256"]);
    let message = Error::InvalidManifest(issues).to_string();
    assert!(
        message.contains("schema_version: unsupported version 2"),
        "{message}"
    );
}

#[test]
fn malformed_documents_are_errors_not_panics() {
    for text in [
        "",
        "{",
        "[]",
        "null",
        "{\"schema_version\": 1}",
        "{\"files\": 5}",
        "\"\\ud800\"",
    ] {
        assert!(Manifest::from_json(text).is_err(), "{text:?} was accepted");
    }
    let mut unknown = valid();
    unknown["files"][0]["colour"] = json!("red");
    let err = Manifest::from_json(&unknown.to_string()).expect_err("unknown field");
    assert!(err.to_string().contains("unknown field `colour`"), "{err}");
}

#[test]
fn created_at_follows_rfc_3339() {
    for good in [
        "2025-01-31T12:00:00Z",
        "2025-01-31T12:00:00.125+05:30",
        "2025-01-31t12:00:00z",
    ] {
        let mut m = valid();
        m["created_at"] = json!(good);
        Manifest::from_json(&m.to_string()).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for bad in [
        "2025-01-31",
        "2025-01-31T12:00:00",
        "31/01/2025 12:00",
        "2025-02-30T00:00:00Z",
    ] {
        rejects(|m| m["created_at"] = json!(bad), "created_at", "RFC 3339");
    }
}
