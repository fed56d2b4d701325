//! The Kubo store, against the local stand-in (`crate::kubo_standin`) or, when
//! `TRIBUTARY_KUBO_URL` names one, a real Kubo daemon: the same tests run
//! either way, and the stand-in additionally checks every request.

use tributary_core::{
    Error,
    cid::{self},
    hash::NO_PROGRESS,
    storage::{BlobRef, BlobStore, ImportSettings, KuboConfig, KuboStore},
};

use super::{Failing, LARGE, assert_corrupt, expected, missing, pattern, round_trip};
use crate::{kubo_standin::KuboStandIn, meter::peak_heap_async, support::write_pattern_file};

/// The Kubo the tests talk to.
enum Kubo {
    StandIn(KuboStandIn),
    Real(String),
}

impl Kubo {
    fn start() -> Self {
        match std::env::var("TRIBUTARY_KUBO_URL") {
            Ok(url) if !url.is_empty() => Self::Real(url),
            _ => Self::StandIn(KuboStandIn::start()),
        }
    }

    fn url(&self) -> &str {
        match self {
            Self::StandIn(standin) => standin.url(),
            Self::Real(url) => url,
        }
    }

    fn store(&self, offline: bool, import: ImportSettings) -> KuboStore {
        KuboStore::new(&KuboConfig {
            url: self.url().to_owned(),
            offline,
            import,
        })
        .expect("Kubo store")
    }

    /// Ends a test: the stand-in must have seen only well-formed requests.
    fn finish(self) {
        if let Self::StandIn(standin) = self {
            assert_eq!(standin.violations(), Vec::<String>::new());
        }
    }
}

#[tokio::test]
async fn round_trips_through_kubo() {
    let kubo = Kubo::start();
    let store = kubo.store(false, ImportSettings::CID_V1);
    round_trip(&store).await;
    if let Kubo::StandIn(standin) = &kubo {
        // The exact requests, including the recorded import settings.
        let requests = standin.requests();
        let add = "POST /api/v0/add?cid-version=1&raw-leaves=true&chunker=size-262144\
                   &hash=sha2-256&pin=true";
        assert!(requests.iter().any(|r| r == add), "{requests:#?}");
        assert!(
            requests
                .iter()
                .any(|r| r.starts_with("POST /api/v0/cat?arg=bafk"))
        );
        assert!(
            requests
                .iter()
                .any(|r| r.starts_with("POST /api/v0/pin/ls?arg=")
                    && r.ends_with("&type=all&offline=true"))
        );
        assert!(
            requests
                .iter()
                .any(|r| r.starts_with("POST /api/v0/pin/add?arg=")
                    && r.ends_with("&recursive=true"))
        );
    }
    kubo.finish();
}

#[tokio::test]
async fn cid_v0_settings_give_kubos_default_cid() {
    let kubo = Kubo::start();
    let store = kubo.store(false, ImportSettings::CID_V0);
    let data = pattern(20, 700_000);
    let stored = store.put(&mut &data[..]).await.expect("put");
    let cids = cid::reader_cids(&data[..], NO_PROGRESS).expect("cids");
    assert_eq!(stored.blob.cid, cids.v0);
    assert!(stored.blob.cid.to_string().starts_with("Qm"));
    assert_eq!(stored.import, ImportSettings::CID_V0);
    let mut back = Vec::new();
    store.get(&stored.blob, &mut back).await.expect("get");
    assert!(back == data);
    kubo.finish();
}

#[tokio::test]
async fn missing_blob_is_not_found_offline() {
    let kubo = Kubo::start();
    // Offline, so a real Kubo answers at once instead of searching the network.
    missing(&kubo.store(true, ImportSettings::CID_V1)).await;
    kubo.finish();
}

#[tokio::test]
async fn bytes_that_are_not_the_blob_are_rejected() {
    // Content addressing means a Kubo cannot serve other bytes for a CID, but
    // a locator can be wrong: a manifest whose CID is not its file's. The
    // SHA-256 check must catch that.
    let kubo = Kubo::start();
    let store = kubo.store(false, ImportSettings::CID_V1);
    let wanted = store.put(&mut &pattern(21, 5000)[..]).await.expect("put");
    let other = store.put(&mut &pattern(22, 5000)[..]).await.expect("put");
    let mislabelled = BlobRef {
        sha256: wanted.blob.sha256,
        cid: other.blob.cid,
    };
    assert_corrupt(&store, &mislabelled).await;
    kubo.finish();
}

#[tokio::test]
async fn failed_upload_stores_nothing() {
    let kubo = Kubo::start();
    let store = kubo.store(false, ImportSettings::CID_V1);
    let data = pattern(23, 2 << 20);
    let want = expected(&data);
    let mut reader = Failing {
        data,
        at: 0,
        fail_at: 1 << 20,
    };
    let err = store.put(&mut reader).await.expect_err("source fails");
    assert!(matches!(err, Error::Stream(_)), "{err}");
    assert!(!store.has(&want.blob).await.expect("has"));
    if let Kubo::StandIn(standin) = &kubo {
        assert!(!standin.holds(&want.blob.cid));
    }
    kubo.finish();
}

#[test]
fn large_file_streams_with_bounded_memory() {
    let kubo = Kubo::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("large.bin");
    write_pattern_file(&src, 24, LARGE);
    let want = cid::file_cids(&src, NO_PROGRESS).expect("cids").v1;
    let out = dir.path().join("copy.bin");
    let (stored, peak) = peak_heap_async(|| async {
        let store = kubo.store(false, ImportSettings::CID_V1);
        let stored = store.put_file(&src).await.expect("put_file");
        assert_eq!(
            store.get_file(&stored.blob, &out).await.expect("get_file"),
            LARGE
        );
        stored
    });
    assert_eq!(stored.blob.cid, want);
    assert_eq!(std::fs::metadata(&out).expect("copy").len(), LARGE);
    // Measured: about 1.2 MiB.
    assert!(
        peak < 4 << 20,
        "peak heap {peak} bytes for a {LARGE}-byte blob"
    );
    kubo.finish();
}

#[test]
fn bad_configuration_is_refused_before_any_request() {
    for url in [
        "not a url",
        "ftp://127.0.0.1:5001",
        "mailto:kubo@example.org",
    ] {
        let err = KuboStore::new(&KuboConfig {
            url: url.to_owned(),
            ..KuboConfig::default()
        })
        .expect_err(url);
        assert!(matches!(err, Error::Config(_)), "{url}: {err}");
    }
    let err = KuboStore::new(&KuboConfig {
        import: ImportSettings {
            chunk_size: 1 << 20,
            ..ImportSettings::CID_V1
        },
        ..KuboConfig::default()
    })
    .expect_err("unsupported chunker");
    assert!(err.to_string().contains("not computed locally"), "{err}");
}

/// A fake daemon that answers every request with `status` and `body`.
async fn fake_kubo(status: u16, body: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let app = axum::Router::new().fallback(move |request: axum::body::Bytes| {
        let body = body.clone();
        async move {
            // The whole upload is read first, as Kubo does.
            drop(request);
            let status = axum::http::StatusCode::from_u16(status).expect("status");
            (status, body)
        }
    });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

fn store_at(url: String) -> KuboStore {
    KuboStore::new(&KuboConfig {
        url,
        ..KuboConfig::default()
    })
    .expect("store")
}

#[tokio::test]
async fn a_cid_other_than_the_computed_one_is_an_error() {
    // A daemon importing with other settings than recorded (here: one that
    // always answers the same CID) must not go unnoticed.
    let fixed = expected(b"something else").blob.cid.to_string();
    let (url, server) = fake_kubo(
        200,
        format!("{{\"Name\":\"blob\",\"Hash\":\"{fixed}\",\"Size\":\"1\"}}\n"),
    )
    .await;
    let err = store_at(url)
        .put(&mut &b"hello"[..])
        .await
        .expect_err("wrong CID");
    match err {
        Error::CidMismatch {
            expected: want,
            returned,
        } => {
            assert_eq!(returned, fixed);
            assert_eq!(want, expected(b"hello").blob.cid.to_string());
        }
        other => panic!("expected CidMismatch, got {other}"),
    }
    server.abort();
}

#[tokio::test]
async fn kubo_errors_carry_kubos_message() {
    let (url, server) = fake_kubo(
        500,
        r#"{"Message":"failed to get block: disk quota exceeded","Code":0,"Type":"error"}"#
            .to_owned(),
    )
    .await;
    let store = store_at(url);
    let err = store.put(&mut &b"hello"[..]).await.expect_err("Kubo error");
    match &err {
        Error::Kubo {
            endpoint,
            status,
            message,
        } => {
            assert_eq!(*endpoint, "/api/v0/add");
            assert_eq!(*status, 500);
            assert_eq!(message, "failed to get block: disk quota exceeded");
        }
        other => panic!("expected a Kubo error, got {other}"),
    }
    assert!(
        !err.retry_may_help(),
        "Kubo's 500s are not retryable by status"
    );
    let blob = expected(b"hello").blob;
    assert!(matches!(store.has(&blob).await, Err(Error::Kubo { .. })));
    server.abort();

    // Nobody listening: an HTTP error, which a retry may cure.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let err = store_at(url).has(&blob).await.expect_err("refused");
    assert!(matches!(err, Error::Http { .. }), "{err}");
    assert!(err.retry_may_help());
}

#[tokio::test]
async fn standin_refuses_what_kubo_does_not_define() {
    let standin = KuboStandIn::start();
    let client = reqwest::Client::new();
    let post = |path: &str| client.post(format!("{}{path}", standin.url())).send();
    // A chunker outside the recorded settings.
    let response =
        post("/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-1&hash=sha2-256&pin=true")
            .await
            .expect("send");
    assert_eq!(response.status(), 400);
    // Wrong method, unknown endpoint, unknown option.
    let get = client
        .get(format!("{}/api/v0/cat?arg=x", standin.url()))
        .send()
        .await
        .expect("send");
    assert_eq!(get.status(), 405);
    assert_eq!(
        post("/api/v0/block/rm?arg=x").await.expect("send").status(),
        404
    );
    let extra = post("/api/v0/cat?arg=x&progress=true").await.expect("send");
    assert_eq!(extra.status(), 400);
    let body: serde_json::Value =
        serde_json::from_slice(&extra.bytes().await.expect("body")).expect("Kubo error JSON");
    assert_eq!(body["Type"], "error");
    assert_eq!(standin.violations().len(), 4, "{:#?}", standin.violations());
}
