use std::fs;

use serde_json::Value;
use tributary_core::{cid, hash};

use crate::support::{stderr, stdout, tributary};

#[test]
fn cid_prints_the_identity_and_locators_of_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data.bin");
    let bytes: Vec<u8> = (0..600_000u32).map(|i| (i * 7 % 256) as u8).collect();
    fs::write(&file, &bytes).expect("write");
    let path = file.to_str().expect("utf-8 path");

    let output = tributary(&["cid", path, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON on stdout");

    let digest = hash::sha256_file(&file, hash::NO_PROGRESS).expect("hash");
    let cids = cid::file_cids(&file, hash::NO_PROGRESS).expect("cids");
    assert_eq!(report["size"], 600_000);
    assert_eq!(report["sha256"], digest.sha256.to_string());
    assert_eq!(report["cid_v0"], cids.v0.to_string());
    assert_eq!(report["cid_v1"], cids.v1.to_string());

    let text = tributary(&["cid", path]);
    assert!(text.status.success());
    assert!(stdout(&text).contains(&digest.sha256.to_string()));
}

#[test]
fn cid_of_a_missing_file_is_a_one_line_error() {
    let output = tributary(&["cid", "/nonexistent/tributary/file"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with("error: cannot read /nonexistent/tributary/file"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let output = tributary(&["cid"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("Usage"));
}
