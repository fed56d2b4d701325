//! IPFS through the RPC API of a Kubo daemon, over HTTP with `reqwest`.

use std::{fmt, io, time::Duration};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::{
    Body, Client, Response, Url,
    multipart::{Form, Part},
};
use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    sync::mpsc,
};

use super::{
    BlobRef, BlobStore, ImportSettings, StoredBlob,
    digest::{Digests, Pieces, Verifier},
};
use crate::{Error, Result};

/// Kubo's default RPC address.
pub const DEFAULT_KUBO_URL: &str = "http://127.0.0.1:5001";

/// Uploaded pieces waiting for the HTTP client: with the 256 KiB pieces this
/// bounds the upload's buffering to about 512 KiB.
const UPLOAD_QUEUE: usize = 2;

/// The largest error or add answer read into memory.
const MAX_ANSWER: usize = 64 * 1024;

/// Where a [`KuboStore`] finds its daemon and how it imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KuboConfig {
    /// Base URL of the RPC API, without `/api/v0`.
    pub url: String,
    /// Send `offline=true`: only blocks the node already holds are served.
    pub offline: bool,
    /// How blobs are imported, and so which CID they get.
    pub import: ImportSettings,
}

impl Default for KuboConfig {
    fn default() -> Self {
        Self {
            url: DEFAULT_KUBO_URL.to_owned(),
            offline: false,
            import: ImportSettings::default(),
        }
    }
}

/// A [`BlobStore`] backed by a Kubo daemon.
///
/// | call | request (all `POST`, as Kubo requires) |
/// |---|---|
/// | `put` | `/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-262144&hash=sha2-256&pin=true`, the blob as a multipart part named `file` |
/// | `get` | `/api/v0/cat?arg=<cid>` |
/// | `has` | `/api/v0/pin/ls?arg=<cid>&type=all&offline=true` |
/// | `pin` | `/api/v0/pin/add?arg=<cid>&recursive=true` |
///
/// The add options are the store's [`ImportSettings`], so the CID Kubo answers
/// is the one [`crate::cid`] computes from the same bytes on their way out;
/// any difference is an error ([`Error::CidMismatch`]). With
/// [`KuboConfig::offline`], `cat` and `pin/add` also send `offline=true`, so a missing
/// blob fails at once instead of being searched for on the network.
#[derive(Debug, Clone)]
pub struct KuboStore {
    client: Client,
    base: Url,
    offline: bool,
    import: ImportSettings,
}

impl KuboStore {
    /// A store talking to the daemon `config` names. Nothing is sent yet.
    pub fn new(config: &KuboConfig) -> Result<Self> {
        config.import.check_supported()?;
        let mut base = Url::parse(&config.url)
            .map_err(|e| Error::Config(format!("Kubo URL {:?}: {e}", config.url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::Config(format!(
                "Kubo URL {:?} is not an http(s) base URL",
                config.url
            )));
        }
        // `Url::join` replaces the last path segment unless the path ends in
        // a slash, which would drop a reverse proxy's prefix.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let client = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            base,
            offline: config.offline,
            import: config.import,
        })
    }

    /// The RPC URL of `endpoint` (such as `api/v0/cat`) with `args`, plus
    /// `offline=true` when configured and `with_offline` is set.
    fn url(&self, endpoint: &str, args: &[(&str, &str)], with_offline: bool) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{endpoint}", self.base.path()));
        {
            let mut query = url.query_pairs_mut();
            for (key, value) in args {
                query.append_pair(key, value);
            }
            if with_offline && self.offline {
                query.append_pair("offline", "true");
            }
        }
        url
    }

    async fn send(&self, endpoint: &'static str, url: Url) -> Result<Response> {
        let response = self
            .client
            .post(url)
            .send()
            .await
            .map_err(|source| Error::Http { endpoint, source })?;
        ok_or_kubo_error(endpoint, response).await
    }
}

impl fmt::Display for KuboStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kubo at {}", self.base)
    }
}

#[async_trait]
impl BlobStore for KuboStore {
    async fn put(&self, reader: &mut (dyn AsyncRead + Unpin + Send)) -> Result<StoredBlob> {
        const ENDPOINT: &str = "/api/v0/add";
        let raw_leaves = if self.import.raw_leaves {
            "true"
        } else {
            "false"
        };
        let url = self.url(
            "api/v0/add",
            &[
                ("cid-version", &self.import.cid_version.to_string()),
                ("raw-leaves", raw_leaves),
                ("chunker", &self.import.chunker()),
                ("hash", "sha2-256"),
                ("pin", "true"),
            ],
            false,
        );

        let (form, queue) = streamed_form()?;
        let request = self.client.post(url).multipart(form).send();
        let pump = pump(reader, queue);
        tokio::pin!(request, pump);
        let (digests, response) = tokio::select! {
            // The pump first: the request cannot end before the pump has
            // dropped the queue, unless Kubo answered early.
            biased;
            pumped = &mut pump => (pumped?, (&mut request).await),
            // Kubo answers only after reading the whole body, so an answer
            // before the pump is done can only be an error.
            response = &mut request => (None, response),
        };
        let response = response.map_err(|source| Error::Http {
            endpoint: ENDPOINT,
            source,
        })?;
        let response = ok_or_kubo_error(ENDPOINT, response).await?;
        let answer = read_small(ENDPOINT, response).await?;
        let Some(digests) = digests else {
            return Err(Error::Kubo {
                endpoint: ENDPOINT,
                status: 200,
                message: "answered before the whole blob was sent".to_owned(),
            });
        };
        let returned = added_cid(&answer)?;
        let stored = digests.finish(self.import);
        let matches = returned
            .parse::<crate::cid::Cid>()
            .is_ok_and(|cid| cid == stored.blob.cid);
        if !matches {
            return Err(Error::CidMismatch {
                expected: stored.blob.cid.to_string(),
                returned,
            });
        }
        Ok(stored)
    }

    async fn get(
        &self,
        blob: &BlobRef,
        writer: &mut (dyn AsyncWrite + Unpin + Send),
    ) -> Result<u64> {
        const ENDPOINT: &str = "/api/v0/cat";
        let cid = blob.cid.to_string();
        let url = self.url("api/v0/cat", &[("arg", &cid)], true);
        let mut response = match self.send(ENDPOINT, url).await {
            Err(Error::Kubo { message, .. }) if is_not_found(&message) => {
                return Err(Error::NotFound {
                    sha256: blob.sha256,
                    store: self.to_string(),
                });
            }
            other => other?,
        };
        let mut verifier = Verifier::new(writer);
        // Kubo reports a failure in mid-stream only in an HTTP trailer; the
        // body then stops short, which the SHA-256 check catches.
        while let Some(piece) = response.chunk().await.map_err(|source| Error::Http {
            endpoint: ENDPOINT,
            source,
        })? {
            verifier.write(&piece).await?;
        }
        verifier.finish(&blob.sha256, self).await
    }

    async fn has(&self, blob: &BlobRef) -> Result<bool> {
        const ENDPOINT: &str = "/api/v0/pin/ls";
        let cid = blob.cid.to_string();
        // Always offline: "does this node hold it" must not start a search.
        let mut url = self.url("api/v0/pin/ls", &[("arg", &cid), ("type", "all")], false);
        url.query_pairs_mut().append_pair("offline", "true");
        match self.send(ENDPOINT, url).await {
            Ok(response) => {
                let answer = read_small(ENDPOINT, response).await?;
                let listed: PinLs = serde_json::from_slice(&answer).map_err(|e| Error::Kubo {
                    endpoint: ENDPOINT,
                    status: 200,
                    message: format!("unexpected answer: {e}"),
                })?;
                Ok(!listed.keys.is_empty())
            }
            Err(Error::Kubo { message, .. })
                if message.contains("is not pinned") || is_not_found(&message) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    async fn pin(&self, blob: &BlobRef) -> Result<()> {
        const ENDPOINT: &str = "/api/v0/pin/add";
        let cid = blob.cid.to_string();
        let url = self.url(
            "api/v0/pin/add",
            &[("arg", &cid), ("recursive", "true")],
            true,
        );
        match self.send(ENDPOINT, url).await {
            Ok(response) => read_small(ENDPOINT, response).await.map(drop),
            Err(Error::Kubo { message, .. }) if is_not_found(&message) => Err(Error::NotFound {
                sha256: blob.sha256,
                store: self.to_string(),
            }),
            Err(e) => Err(e),
        }
    }
}

/// A multipart form whose one part, `file`, streams what is sent into the
/// returned queue: the blob goes through without being held whole and without
/// the `'static` reader a request body would otherwise need.
fn streamed_form() -> Result<(Form, mpsc::Sender<io::Result<Bytes>>)> {
    let (queue, receiver) = mpsc::channel::<io::Result<Bytes>>(UPLOAD_QUEUE);
    let body = Body::wrap_stream(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|piece| (piece, receiver)) },
    ));
    let part = Part::stream(body)
        .file_name("blob")
        .mime_str("application/octet-stream")
        .map_err(|source| Error::Http {
            endpoint: "/api/v0/add",
            source,
        })?;
    Ok((Form::new().part("file", part), queue))
}

/// Feeds `reader` into the upload `queue`, hashing it on the way. `None` when
/// the request ended first (a closed queue): its outcome is what to report.
async fn pump(
    reader: &mut (dyn AsyncRead + Unpin + Send),
    queue: mpsc::Sender<io::Result<Bytes>>,
) -> Result<Option<Digests>> {
    let mut digests = Digests::new();
    let mut pieces = Pieces::new(reader);
    loop {
        match pieces.next().await {
            Ok(Some(piece)) => {
                digests.update(piece);
                if queue.send(Ok(Bytes::copy_from_slice(piece))).await.is_err() {
                    return Ok(None);
                }
            }
            // Dropping the queue ends the request body.
            Ok(None) => return Ok(Some(digests)),
            Err(e) => {
                // Fail the upload too, so Kubo does not store a prefix.
                let _ = queue
                    .send(Err(io::Error::other("reading the blob failed")))
                    .await;
                return Err(e);
            }
        }
    }
}

/// Kubo's error body: `{"Message": "...", "Code": 0, "Type": "error"}`.
#[derive(Deserialize)]
struct KuboError {
    #[serde(rename = "Message")]
    message: String,
}

/// One line of `add`'s newline-delimited JSON answer.
#[derive(Deserialize)]
struct Added {
    #[serde(rename = "Hash")]
    hash: Option<String>,
}

/// `pin/ls`'s answer: `{"Keys": {"<cid>": {"Type": "recursive"}}}`.
#[derive(Deserialize)]
struct PinLs {
    #[serde(rename = "Keys", default)]
    keys: serde_json::Map<String, serde_json::Value>,
}

/// Kubo's words for a block it does not have (offline, or not found).
fn is_not_found(message: &str) -> bool {
    message.contains("not found") || message.contains("could not find")
}

/// Passes a successful response through; turns any other into
/// [`Error::Kubo`] with Kubo's message.
async fn ok_or_kubo_error(endpoint: &'static str, response: Response) -> Result<Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = read_small(endpoint, response).await?;
    let message = match serde_json::from_slice::<KuboError>(&body) {
        Ok(error) => error.message,
        Err(_) => String::from_utf8_lossy(&body).trim().to_owned(),
    };
    Err(Error::Kubo {
        endpoint,
        status: status.as_u16(),
        message,
    })
}

/// Reads a short answer, refusing more than [`MAX_ANSWER`] bytes.
async fn read_small(endpoint: &'static str, mut response: Response) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(piece) = response
        .chunk()
        .await
        .map_err(|source| Error::Http { endpoint, source })?
    {
        if body.len() + piece.len() > MAX_ANSWER {
            return Err(Error::Kubo {
                endpoint,
                status: response.status().as_u16(),
                message: format!("answer longer than {MAX_ANSWER} bytes"),
            });
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// The CID in `add`'s answer: the last line that carries a `Hash`.
fn added_cid(answer: &[u8]) -> Result<String> {
    const ENDPOINT: &str = "/api/v0/add";
    let mut found = None;
    for line in answer.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let added: Added = serde_json::from_slice(line).map_err(|e| Error::Kubo {
            endpoint: ENDPOINT,
            status: 200,
            message: format!("unexpected answer: {e}"),
        })?;
        if let Some(hash) = added.hash {
            found = Some(hash);
        }
    }
    found.ok_or_else(|| Error::Kubo {
        endpoint: ENDPOINT,
        status: 200,
        message: "answer names no CID".to_owned(),
    })
}
