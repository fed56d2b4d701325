//! `object_store` backends: the in-memory and local-file-system stores run
//! the same code path an S3 bucket does; only the S3 wire protocol itself is
//! not exercised here (no S3 service runs on this machine).

use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::{
    ObjectStore, ObjectStoreExt, PutPayload, local::LocalFileSystem, memory::InMemory,
    path::Path as ObjectPath,
};
use tributary_core::{
    Error,
    storage::{BlobStore, ObjectBlobStore, S3Config},
};

use super::{
    Failing, LARGE, assert_corrupt, crash_mid_put, expected, missing, pattern, round_trip,
};
use crate::{meter::peak_heap_async, support::write_pattern_file};

/// Every object key in `store`.
async fn keys(store: &dyn ObjectStore) -> Vec<String> {
    let mut keys: Vec<String> = store
        .list(None)
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .expect("list");
    keys.sort();
    keys
}

#[tokio::test]
async fn round_trips_in_memory_and_on_local_files() {
    let memory = Arc::new(InMemory::new());
    let blobs = ObjectBlobStore::new(memory.clone());
    round_trip(&blobs).await;
    // Only blobs remain: every temporary upload was renamed or deleted.
    let all = keys(memory.as_ref()).await;
    assert!(!all.is_empty());
    assert!(all.iter().all(|k| k.starts_with("sha256/")), "{all:#?}");

    let dir = tempfile::tempdir().expect("temp dir");
    let files = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("fs store"));
    round_trip(&ObjectBlobStore::new(files.clone()).with_parts(64 * 1024, 2)).await;
    assert!(
        keys(files.as_ref())
            .await
            .iter()
            .all(|k| k.starts_with("sha256/"))
    );
}

#[tokio::test]
async fn keys_follow_the_local_layout_under_a_prefix() {
    let memory = Arc::new(InMemory::new());
    let blobs = ObjectBlobStore::new(memory.clone())
        .with_prefix("datasets/blobs")
        .expect("prefix");
    let data = pattern(30, 1234);
    let stored = blobs.put(&mut &data[..]).await.expect("put");
    let hex = stored.blob.sha256.to_string();
    let key = format!("datasets/blobs/sha256/{}/{}", &hex[..2], &hex[2..]);
    assert_eq!(blobs.blob_key(&stored.blob.sha256).to_string(), key);
    assert_eq!(keys(memory.as_ref()).await, std::slice::from_ref(&key));
    let object = memory.get(&ObjectPath::from(key)).await.expect("object");
    assert_eq!(object.bytes().await.expect("bytes"), data);
    assert!(blobs.to_string().contains("datasets/blobs"), "{blobs}");
}

#[tokio::test]
async fn missing_blob_is_not_found() {
    missing(&ObjectBlobStore::new(Arc::new(InMemory::new()))).await;
}

#[tokio::test]
async fn corrupted_object_is_detected_on_get() {
    let memory = Arc::new(InMemory::new());
    let blobs = ObjectBlobStore::new(memory.clone());
    let data = pattern(31, 400_000);
    let stored = blobs.put(&mut &data[..]).await.expect("put");
    let mut altered = data.clone();
    altered[399_999] ^= 1;
    memory
        .put(
            &blobs.blob_key(&stored.blob.sha256),
            PutPayload::from(altered),
        )
        .await
        .expect("overwrite");
    assert_corrupt(&blobs, &stored.blob).await;
}

#[tokio::test]
async fn failed_upload_leaves_no_object() {
    let memory = Arc::new(InMemory::new());
    let blobs = ObjectBlobStore::new(memory.clone()).with_parts(128 * 1024, 2);
    let data = pattern(32, 1 << 20);
    let want = expected(&data);
    let mut reader = Failing {
        data,
        at: 0,
        fail_at: 700_000,
    };
    let err = blobs.put(&mut reader).await.expect_err("source fails");
    assert!(matches!(err, Error::Stream(_)), "{err}");
    assert!(!blobs.has(&want.blob).await.expect("has"));
    assert_eq!(keys(memory.as_ref()).await, Vec::<String>::new());
}

#[tokio::test]
async fn crash_mid_upload_never_shows_a_partial_blob() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("fs store"));
    let blobs = ObjectBlobStore::new(files.clone()).with_parts(128 * 1024, 2);
    let data = pattern(33, 1 << 20);
    let want = expected(&data);
    // Settled once some parts have been written to the file system.
    let root = dir.path().to_owned();
    crash_mid_put(&blobs, data.clone(), 600_000, || {
        walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
            .sum::<u64>()
            >= 512 * 1024
    })
    .await;
    assert!(!blobs.has(&want.blob).await.expect("has"));
    let err = blobs
        .get(&want.blob, &mut Vec::new())
        .await
        .expect_err("get");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(
        keys(files.as_ref())
            .await
            .iter()
            .all(|k| !k.starts_with("sha256/")),
        "no object under its final key"
    );
    // A later put of the same bytes completes normally.
    assert_eq!(blobs.put(&mut &data[..]).await.expect("put"), want);
}

#[test]
fn large_file_streams_with_bounded_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("large.bin");
    write_pattern_file(&src, 34, LARGE);
    let want = expected(&std::fs::read(&src).expect("read")).blob;
    let out = dir.path().join("copy.bin");
    let bucket = dir.path().join("bucket");
    std::fs::create_dir(&bucket).expect("bucket dir");
    let (peak_file, peak) = peak_heap_async(|| async {
        let files = Arc::new(LocalFileSystem::new_with_prefix(&bucket).expect("fs store"));
        // 1 MiB parts, two in flight: the bound the module docs give.
        let blobs = ObjectBlobStore::new(files.clone()).with_parts(1 << 20, 2);
        let stored = blobs.put_file(&src).await.expect("put_file");
        assert_eq!(stored.blob, want);
        assert_eq!(blobs.get_file(&want, &out).await.expect("get_file"), LARGE);
        // The same blob from a stream: temp upload, then rename.
        files
            .delete(&blobs.blob_key(&want.sha256))
            .await
            .expect("delete");
        let mut file = tokio::fs::File::open(&src).await.expect("open");
        assert_eq!(blobs.put(&mut file).await.expect("put").blob, want);
        0
    });
    assert_eq!(peak_file, 0);
    assert_eq!(std::fs::metadata(&out).expect("copy").len(), LARGE);
    // Measured: about 1.9 MiB.
    assert!(
        peak < 5 << 20,
        "peak heap {peak} bytes for a {LARGE}-byte blob"
    );
}

/// A file that reads differently every time: Linux makes a new UUID per read.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_file_that_changes_between_hash_and_upload_is_refused() {
    let memory = Arc::new(InMemory::new());
    let blobs = ObjectBlobStore::new(memory.clone());
    let path = std::path::Path::new("/proc/sys/kernel/random/uuid");
    let err = blobs.put_file(path).await.expect_err("changed");
    assert!(matches!(err, Error::Changed { .. }), "{err}");
    assert!(err.to_string().contains("changed while"), "{err}");
    assert_eq!(
        keys(memory.as_ref()).await,
        Vec::<String>::new(),
        "upload aborted"
    );
}

#[test]
fn s3_backend_is_built_from_configuration() {
    let config: S3Config = serde_json::from_value(serde_json::json!({
        "bucket": "datasets",
        "endpoint": "http://127.0.0.1:9000",
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": "very-secret-value",
        "allow_http": true,
        "prefix": "tributary"
    }))
    .expect("config");
    assert_eq!(config.region, "us-east-1");
    let shown = format!("{config:?}");
    assert!(!shown.contains("very-secret-value"), "{shown}");
    assert!(
        shown.contains("AKIAEXAMPLE") && shown.contains("<redacted>"),
        "{shown}"
    );

    let blobs = ObjectBlobStore::s3(&config).expect("S3 store");
    let name = blobs.to_string();
    assert!(
        name.contains("datasets") && name.contains("tributary"),
        "{name}"
    );
    assert!(!format!("{blobs:?}").contains("very-secret-value"));
    let sha = expected(b"x").blob.sha256.to_string();
    assert!(
        blobs
            .blob_key(&expected(b"x").blob.sha256)
            .to_string()
            .ends_with(&format!("tributary/sha256/{}/{}", &sha[..2], &sha[2..]))
    );

    let unknown: Result<S3Config, _> =
        serde_json::from_value(serde_json::json!({ "bucket": "b", "secret": "typo" }));
    assert!(unknown.is_err(), "unknown keys are refused");
    let bad_prefix = ObjectBlobStore::new(Arc::new(InMemory::new())).with_prefix("a//b");
    assert!(matches!(bad_prefix, Err(Error::Config(_))));
}
