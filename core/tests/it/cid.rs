//! CIDs cross-checked against two independent implementations:
//!
//! - Debian's `ipfs_cid` (package `ipfs-cid`), run on every test file. It
//!   prints `{"CIDv0": "Qm…", "CIDv1": "bafy…"}`, where CIDv1 is the *same*
//!   dag-pb DAG as CIDv0 (dag-pb leaves, not raw) re-encoded as a base32 CIDv1,
//!   i.e. `v0.into_v1()`, and not what `ipfs add --cid-version=1` prints.
//! - The reference JS importer (`ipfs-unixfs-importer`), whose results for
//!   the same files are recorded in `core/tests/data/cid-vectors.json`; it is
//!   the only one of the two that covers the raw-leaves CIDv1.

use std::{path::Path, process::Command};

use serde::Deserialize;
use tributary_core::{
    cid::{FileCids, file_cids},
    hash::NO_PROGRESS,
};

use crate::support::{repo_root, write_pattern_file};

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    size: u64,
    seed: u64,
    cid_v0: String,
    cid_v1_raw_leaves: String,
}

#[derive(Deserialize)]
struct IpfsCidOutput {
    #[serde(rename = "CIDv0")]
    v0: String,
    #[serde(rename = "CIDv1")]
    v1: String,
}

fn ipfs_cid(path: &Path) -> IpfsCidOutput {
    let output = match Command::new("ipfs_cid").arg(path).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`ipfs_cid` is not installed, and the CID tests need it as their reference: \
             run scripts/install.sh (it installs Debian's `ipfs-cid` package)"
        ),
        Err(e) => panic!("running ipfs_cid: {e}"),
    };
    assert!(
        output.status.success(),
        "ipfs_cid failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "unexpected ipfs_cid output ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn vectors() -> Vec<Vector> {
    let path = repo_root().join("core/tests/data/cid-vectors.json");
    let text = std::fs::read_to_string(&path).expect("read cid-vectors.json");
    serde_json::from_str::<Vectors>(&text)
        .expect("parse cid-vectors.json")
        .vectors
}

/// Empty, 1 byte, exactly one chunk, one chunk and a byte, 5 MiB, exactly 174
/// chunks (one full node), 174 chunks and a byte (first two-level tree), and
/// 46 MiB (184 chunks).
#[test]
fn matches_kubo_on_every_boundary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let vectors = vectors();
    let sizes: Vec<u64> = vectors.iter().map(|v| v.size).collect();
    assert_eq!(
        sizes,
        [
            0,
            1,
            262_144,
            262_145,
            5 << 20,
            174 * 262_144,
            174 * 262_144 + 1,
            46 << 20
        ],
        "cid-vectors.json lost a boundary case"
    );

    for vector in vectors {
        let path = dir.path().join(format!("file-{}", vector.size));
        write_pattern_file(&path, vector.seed, vector.size);
        let ours: FileCids = file_cids(&path, NO_PROGRESS).expect("compute CIDs");
        let debian = ipfs_cid(&path);
        let size = vector.size;

        assert_eq!(
            ours.v0.to_string(),
            debian.v0,
            "CIDv0 of {size} bytes vs ipfs_cid"
        );
        let v0_as_v1 = ours.v0.into_v1().expect("v0 converts to v1").to_string();
        assert_eq!(
            v0_as_v1, debian.v1,
            "CIDv0-as-v1 of {size} bytes vs ipfs_cid"
        );
        // Ties the recorded vectors to the files written here: same content.
        assert_eq!(
            debian.v0, vector.cid_v0,
            "ipfs_cid vs the JS importer on {size} bytes"
        );
        assert_eq!(
            ours.v1.to_string(),
            vector.cid_v1_raw_leaves,
            "raw-leaves CIDv1 of {size} bytes vs the JS importer"
        );
    }
}
