//! Blob stores: the same contract checked on every backend, plus what is
//! particular to each (layout, crash safety, Kubo's requests, S3 setup).

mod config;
mod kubo;
mod local;
mod object;

use std::{
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, ReadBuf};
use tributary_core::{
    Error,
    cid::{self, CHUNK_SIZE},
    hash::{self, NO_PROGRESS},
    storage::{BlobRef, BlobStore, ImportSettings, StoredBlob},
};

use crate::support::Pattern;

/// Size of the large-file tests: far above every buffer in the stores.
pub(crate) const LARGE: u64 = 20 << 20;

pub(crate) fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut data = vec![0; len];
    Pattern::new(seed).fill(&mut data);
    data
}

/// What a store must report for `data`, computed without any store.
pub(crate) fn expected(data: &[u8]) -> StoredBlob {
    let digest = hash::sha256_reader(data, NO_PROGRESS).expect("hash");
    let cids = cid::reader_cids(data, NO_PROGRESS).expect("cids");
    StoredBlob {
        blob: BlobRef {
            sha256: digest.sha256,
            cid: cids.v1,
        },
        size: data.len() as u64,
        import: ImportSettings::CID_V1,
    }
}

/// The sizes every backend round-trips: empty, tiny, and around one and
/// several 256 KiB CID chunks.
pub(crate) const SIZES: [usize; 6] = [0, 1, 1000, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 7];

/// The contract every backend keeps: put from a reader and from a file, get
/// to a writer and to a file, has, pin, and putting twice changes nothing.
pub(crate) async fn round_trip(store: &dyn BlobStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, &len) in SIZES.iter().enumerate() {
        let data = pattern(100 + i as u64, len);
        let want = expected(&data);
        let stored = store.put(&mut &data[..]).await.expect("put");
        assert_eq!(stored, want, "{store}: size {len}");
        assert!(
            store.has(&stored.blob).await.expect("has"),
            "{store}: has {len}"
        );
        store.pin(&stored.blob).await.expect("pin");

        let mut back = Vec::new();
        let n = store.get(&stored.blob, &mut back).await.expect("get");
        assert_eq!(n, len as u64);
        assert!(back == data, "{store}: bytes differ at size {len}");

        // Storing the same bytes again, this time from a file.
        let path = dir.path().join(format!("in-{i}"));
        std::fs::write(&path, &data).expect("write");
        assert_eq!(store.put_file(&path).await.expect("put_file"), want);

        let out = dir.path().join(format!("out-{i}"));
        assert_eq!(
            store.get_file(&stored.blob, &out).await.expect("get_file"),
            len as u64
        );
        assert!(std::fs::read(&out).expect("read") == data);
    }
}

/// A blob the store was never given: `NotFound` from get, get_file and pin,
/// `false` from has, and no file left behind.
pub(crate) async fn missing(store: &dyn BlobStore) {
    let blob = expected(b"never stored anywhere, by anyone").blob;
    assert!(!store.has(&blob).await.expect("has"));
    let mut sink = Vec::new();
    let err = store.get(&blob, &mut sink).await.expect_err("get");
    assert!(matches!(err, Error::NotFound { .. }), "{store}: {err}");
    assert!(err.to_string().contains(&blob.sha256.to_string()), "{err}");
    assert!(sink.is_empty());
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let err = store.get_file(&blob, &out).await.expect_err("get_file");
    assert!(matches!(err, Error::NotFound { .. }), "{store}: {err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
    let err = store.pin(&blob).await.expect_err("pin");
    assert!(matches!(err, Error::NotFound { .. }), "{store}: {err}");
}

/// A fetch of bytes that are not the blob named must fail as `Corrupt`, and
/// `get_file` must leave no file.
pub(crate) async fn assert_corrupt(store: &dyn BlobStore, blob: &BlobRef) {
    let mut sink = Vec::new();
    let err = store.get(blob, &mut sink).await.expect_err("corrupt get");
    match &err {
        Error::Corrupt {
            expected, actual, ..
        } => {
            assert_eq!(expected, &blob.sha256);
            assert_ne!(actual, &blob.sha256);
        }
        other => panic!("{store}: expected Corrupt, got {other}"),
    }
    assert!(err.to_string().contains("corrupt"), "{err}");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let err = store
        .get_file(blob, &out)
        .await
        .expect_err("corrupt get_file");
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(!out.exists(), "no file from a corrupt blob");
}

/// Yields `data[..fail_at]`, then an I/O error.
pub(crate) struct Failing {
    pub(crate) data: Vec<u8>,
    pub(crate) at: usize,
    pub(crate) fail_at: usize,
}

impl AsyncRead for Failing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.at >= self.fail_at {
            return Poll::Ready(Err(io::Error::other("source failed mid-way")));
        }
        let n = buf.remaining().min(self.fail_at - self.at);
        let at = self.at;
        buf.put_slice(&self.data[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

/// Yields `data[..stall_at]`, then never anything again: a writer that is
/// stopped in the middle, like a process that died.
pub(crate) struct Stalling {
    pub(crate) data: Vec<u8>,
    pub(crate) at: usize,
    pub(crate) stall_at: usize,
    pub(crate) stalled: Arc<AtomicBool>,
}

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.at >= self.stall_at {
            self.stalled.store(true, Ordering::SeqCst);
            return Poll::Pending;
        }
        let n = buf.remaining().min(self.stall_at - self.at);
        let at = self.at;
        buf.put_slice(&self.data[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

/// Runs `put` until its source stalls and `settled` says the partial write
/// has reached storage, then forgets the future: no destructor runs, exactly
/// as if the process had been killed at that point.
pub(crate) async fn crash_mid_put<F>(
    store: &dyn BlobStore,
    data: Vec<u8>,
    stall_at: usize,
    mut settled: F,
) where
    F: FnMut() -> bool,
{
    let stalled = Arc::new(AtomicBool::new(false));
    let mut reader = Stalling {
        data,
        at: 0,
        stall_at,
        stalled: stalled.clone(),
    };
    let mut put = store.put(&mut reader);
    for _ in 0..2000 {
        let poll = futures_util::poll!(put.as_mut());
        assert!(
            poll.is_pending(),
            "put finished although its source stalled"
        );
        if stalled.load(Ordering::SeqCst) && settled() {
            std::mem::forget(put);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("the partial write never reached storage");
}
