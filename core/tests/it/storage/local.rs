//! The local content-addressed directory.

use std::fs;

use tributary_core::{
    Error,
    storage::{BlobStore, LocalStore},
};

use super::{
    Failing, LARGE, assert_corrupt, crash_mid_put, expected, missing, pattern, round_trip,
};
use crate::{meter::peak_heap_async, support::write_pattern_file};

/// Every regular file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

#[tokio::test]
async fn round_trips_and_lays_blobs_out_by_sha256() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path().join("blobs"))
        .await
        .expect("open");
    round_trip(&store).await;

    let data = pattern(1, 5000);
    let stored = store.put(&mut &data[..]).await.expect("put");
    let hex = stored.blob.sha256.to_string();
    let path = dir
        .path()
        .join("blobs/sha256")
        .join(&hex[..2])
        .join(&hex[2..]);
    assert_eq!(store.blob_path(&stored.blob.sha256), path);
    assert_eq!(fs::read(&path).expect("blob file"), data);
    assert!(
        files_under(&store.temp_dir()).is_empty(),
        "no temp files left"
    );
}

#[tokio::test]
async fn missing_blob_is_not_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path()).await.expect("open");
    missing(&store).await;
}

#[tokio::test]
async fn corrupted_blob_is_detected_on_get() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path()).await.expect("open");
    let data = pattern(2, 300_000);
    let stored = store.put(&mut &data[..]).await.expect("put");
    let path = store.blob_path(&stored.blob.sha256);

    let mut bytes = fs::read(&path).expect("read");
    bytes[123_456] ^= 0x04;
    fs::write(&path, &bytes).expect("flip a bit");
    assert_corrupt(&store, &stored.blob).await;

    fs::write(&path, &data[..data.len() - 1]).expect("truncate");
    assert_corrupt(&store, &stored.blob).await;
}

#[tokio::test]
async fn failed_put_leaves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path()).await.expect("open");
    let data = pattern(3, 1 << 20);
    let want = expected(&data);
    let mut reader = Failing {
        data,
        at: 0,
        fail_at: 600_000,
    };
    let err = store.put(&mut reader).await.expect_err("source fails");
    assert!(matches!(err, Error::Stream(_)), "{err}");
    assert!(!store.has(&want.blob).await.expect("has"));
    assert!(
        files_under(dir.path()).is_empty(),
        "temp file removed on error"
    );
}

#[tokio::test]
async fn crash_mid_write_never_shows_a_partial_blob() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path()).await.expect("open");
    let data = pattern(4, 1 << 20);
    let want = expected(&data);
    let temp_dir = store.temp_dir();
    let stall_at = 700_000;
    crash_mid_put(&store, data.clone(), stall_at, || {
        files_under(&temp_dir)
            .iter()
            .any(|f| fs::metadata(f).is_ok_and(|m| m.len() == stall_at as u64))
    })
    .await;

    // The "dead" writer left a partial temp file, and nothing else.
    let left = files_under(dir.path());
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with(&temp_dir), "{left:?}");
    assert_eq!(fs::read(&left[0]).expect("read"), &data[..stall_at]);
    // Under its final name there is nothing: the blob does not exist.
    assert!(!store.blob_path(&want.blob.sha256).exists());
    assert!(!store.has(&want.blob).await.expect("has"));
    let err = store
        .get(&want.blob, &mut Vec::new())
        .await
        .expect_err("get");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");

    // A later put of the same bytes completes normally beside the debris.
    assert_eq!(store.put(&mut &data[..]).await.expect("put"), want);
    let mut back = Vec::new();
    store.get(&want.blob, &mut back).await.expect("get");
    assert!(back == data);
}

#[test]
fn large_file_streams_with_bounded_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("large.bin");
    write_pattern_file(&src, 5, LARGE);
    let want = {
        let digest = tributary_core::hash::sha256_file(&src, tributary_core::hash::NO_PROGRESS)
            .expect("hash");
        let cids =
            tributary_core::cid::file_cids(&src, tributary_core::hash::NO_PROGRESS).expect("cids");
        (digest.sha256, cids.v1)
    };
    let out = dir.path().join("copy.bin");
    let root = dir.path().join("blobs");
    let (stored, peak) = peak_heap_async(|| async {
        let store = LocalStore::open(&root).await.expect("open");
        let stored = store.put_file(&src).await.expect("put_file");
        let n = store.get_file(&stored.blob, &out).await.expect("get_file");
        assert_eq!(n, LARGE);
        stored
    });
    assert_eq!((stored.blob.sha256, stored.blob.cid), want);
    assert_eq!(stored.size, LARGE);
    assert_eq!(
        tributary_core::hash::sha256_file(&out, tributary_core::hash::NO_PROGRESS)
            .expect("hash copy")
            .sha256,
        want.0
    );
    // Measured: about 0.6 MiB.
    assert!(
        peak < 2 << 20,
        "peak heap {peak} bytes for a {LARGE}-byte blob"
    );
}
