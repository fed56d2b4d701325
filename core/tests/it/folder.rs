//! Building a manifest from a folder.

use std::num::NonZeroUsize;

use serde_json::Map;
use tributary_core::{
    cid::file_cids,
    hash::{NO_PROGRESS, sha256_file},
    manifest::{Creator, DatasetInfo, Licence, LicenceTerms, Manifest},
};

use crate::support::write_pattern_file;

pub(crate) fn info() -> DatasetInfo {
    DatasetInfo {
        title: "Generated".into(),
        description: Some("Pattern files".into()),
        creator: Creator {
            did: "did:web:studio.example".into(),
            wallet: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359".into(),
        },
        licence: Licence {
            terms: LicenceTerms::Spdx("CC-BY-4.0".into()),
            royalty_bps: 500,
        },
        consent_records: Vec::new(),
        parents: Vec::new(),
        created_at: DatasetInfo::now(),
        extensions: Map::new(),
    }
}

#[test]
fn from_folder_describes_every_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("images")).expect("mkdir");
    let files = [
        ("notes.txt", 0_u64),
        ("images/big.png", 600_000),
        ("data.csv", 12),
        ("blob", 5),
    ];
    for (i, (name, len)) in files.iter().enumerate() {
        write_pattern_file(&dir.path().join(name), i as u64 + 1, *len);
    }

    let threads = NonZeroUsize::new(2).expect("non-zero");
    let manifest = Manifest::from_folder(info(), dir.path(), threads, NO_PROGRESS).expect("build");
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["blob", "data.csv", "images/big.png", "notes.txt"]);
    let types: Vec<&str> = manifest
        .files
        .iter()
        .map(|f| f.media_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "application/octet-stream",
            "text/csv",
            "image/png",
            "text/plain"
        ]
    );

    for file in &manifest.files {
        let path = dir.path().join(&file.path);
        let digest = sha256_file(&path, NO_PROGRESS).expect("sha256");
        assert_eq!(
            (file.size, file.sha256.clone()),
            (digest.size, digest.sha256.to_string())
        );
        assert_eq!(
            file.cid,
            file_cids(&path, NO_PROGRESS).expect("cid").v1.to_string()
        );
    }

    // What was built reads back to the same manifest and hash.
    let reread = Manifest::from_json(&manifest.to_pretty_json().expect("json")).expect("valid");
    assert_eq!(
        reread.manifest_hash().expect("hash"),
        manifest.manifest_hash().expect("hash")
    );
    assert!(DatasetInfo::now().ends_with('Z'));
}

#[test]
fn empty_folder_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let threads = NonZeroUsize::new(1).expect("non-zero");
    let err =
        Manifest::from_folder(info(), dir.path(), threads, NO_PROGRESS).expect_err("no files");
    assert!(err.to_string().contains("at least one file"), "{err}");
}
