use std::fs;

use serde_json::Value;

use crate::support::{dataset, stderr, stdout, tributary};

fn paths(dir: &std::path::Path) -> (String, String) {
    let manifest = dir
        .join("manifest.json")
        .to_str()
        .expect("utf-8")
        .to_owned();
    let folder = dir.join("dataset").to_str().expect("utf-8").to_owned();
    (manifest, folder)
}

#[test]
fn verify_accepts_an_untouched_dataset_and_prints_the_manifest_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dataset(dir.path());
    let (manifest_path, folder) = paths(dir.path());

    let output = tributary(&["verify", &manifest_path, &folder, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(report["ok"], true);
    assert_eq!(report["files"], 3);
    assert_eq!(
        report["manifest_hash"],
        manifest.manifest_hash().expect("hash").to_string()
    );

    let text = tributary(&["verify", &manifest_path, &folder]);
    assert!(stdout(&text).contains("ok: all 3 files match"));
}

#[test]
fn verify_names_a_file_with_one_changed_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let (manifest_path, folder) = paths(dir.path());
    let target = dir.path().join("dataset/images/cat.bin");
    let mut bytes = fs::read(&target).expect("read");
    bytes[123_456] ^= 1;
    fs::write(&target, bytes).expect("write");

    let output = tributary(&["verify", &manifest_path, &folder, "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let fields: Vec<(&str, &str)> = report["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| {
            (
                d["path"].as_str().expect("path"),
                d["field"].as_str().expect("field"),
            )
        })
        .collect();
    // Same size, different content: the hash and the CID differ, nothing else.
    assert_eq!(
        fields,
        vec![("images/cat.bin", "sha256"), ("images/cat.bin", "cid")]
    );

    let text = tributary(&["verify", &manifest_path, &folder]);
    assert_eq!(text.status.code(), Some(1));
    assert!(stdout(&text).contains("images/cat.bin: sha256 differs"));
}

#[test]
fn verify_reports_missing_and_extra_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let (manifest_path, folder) = paths(dir.path());
    fs::remove_file(dir.path().join("dataset/README.md")).expect("remove");
    fs::write(dir.path().join("dataset/smuggled.txt"), "extra").expect("write");

    let output = tributary(&["verify", &manifest_path, &folder]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(out.contains("README.md: missing from the folder"), "{out}");
    assert!(
        out.contains("smuggled.txt: in the folder but not in the manifest"),
        "{out}"
    );
}

#[test]
fn verify_catches_a_changed_manifest_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let (manifest_path, folder) = paths(dir.path());
    let honest: Value = serde_json::from_str(&stdout(&tributary(&[
        "verify",
        &manifest_path,
        &folder,
        "--json",
    ])))
    .expect("JSON");

    // Someone edits the royalty: the files still match, but the manifest hash (the value
    // anchored on-chain) is no longer the one that was anchored.
    let text = fs::read_to_string(&manifest_path).expect("read");
    fs::write(&manifest_path, text.replace("500", "50")).expect("write");
    let edited: Value = serde_json::from_str(&stdout(&tributary(&[
        "verify",
        &manifest_path,
        &folder,
        "--json",
    ])))
    .expect("JSON");
    assert_ne!(edited["manifest_hash"], honest["manifest_hash"]);
}

#[test]
fn verify_of_a_malformed_manifest_is_a_one_line_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let (manifest_path, folder) = paths(dir.path());
    fs::write(&manifest_path, "{\"title\": 3}").expect("write");

    let output = tributary(&["verify", &manifest_path, &folder]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("is not a valid manifest"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
}

#[test]
fn verify_of_a_missing_folder_is_a_one_line_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let (manifest_path, _) = paths(dir.path());
    let output = tributary(&["verify", &manifest_path, "/nonexistent/folder"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/nonexistent/folder is not a folder"));
}

#[test]
fn manifest_builds_what_verify_accepts_and_a_croissant_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let (_, folder) = paths(dir.path());
    let manifest_path = dir.path().join("built.json");
    let croissant = dir.path().join("pets.jsonld");
    let output = tributary(&[
        "manifest",
        &folder,
        "--title",
        "Pets",
        "--wallet",
        "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359",
        "--out",
        manifest_path.to_str().expect("utf-8"),
        "--croissant",
        croissant.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(report["files"], 3);

    let verified = tributary(&[
        "verify",
        manifest_path.to_str().expect("utf-8"),
        &folder,
        "--json",
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let verified: Value = serde_json::from_str(&stdout(&verified)).expect("JSON");
    assert_eq!(verified["manifest_hash"], report["manifest_sha256"]);

    let jsonld: Value =
        serde_json::from_str(&fs::read_to_string(&croissant).expect("read")).expect("JSON-LD");
    assert_eq!(jsonld["name"], "Pets");

    // without a wallet or a configured key there is no creator to name
    let empty_home = tempfile::tempdir().expect("tempdir");
    let refused = tributary(&[
        "--home",
        empty_home.path().to_str().expect("utf-8"),
        "manifest",
        &folder,
        "--title",
        "Pets",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--wallet"),
        "{}",
        stderr(&refused)
    );
}
