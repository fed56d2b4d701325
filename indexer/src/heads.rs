//! New-head notifications over a WebSocket subscription (`eth_subscribe
//! newHeads`), so that a caught-up indexer reads a new block as soon as it
//! is mined instead of at its next poll. Polling stays the fallback: without
//! a WebSocket URL, or while the subscription is down, the wait is the poll
//! interval. The subscription only wakes the loop; every read still goes
//! through the HTTP provider and its checks.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy::{
    providers::{DynProvider, Provider, ProviderBuilder, WsConnect},
    pubsub::SubscriptionStream,
    rpc::types::Header,
};
use futures_util::StreamExt;
use tokio::time::Instant;

/// Waits for the next head, by subscription where there is one.
pub(crate) struct HeadWatch {
    url: Option<String>,
    live: Option<(DynProvider, SubscriptionStream<Header>)>,
    /// No new connection attempt before this (after a failure).
    retry_at: Instant,
    failures: u32,
    /// Shared with the status: whether a subscription is live.
    subscribed: Arc<AtomicBool>,
}

impl std::fmt::Debug for HeadWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadWatch")
            .field("subscribed", &self.live.is_some())
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl HeadWatch {
    /// A watch on `url` (`ws://` or `wss://`), or a plain timer without
    /// one; `subscribed` is kept true while a subscription is live.
    pub(crate) fn new(url: Option<String>, subscribed: Arc<AtomicBool>) -> Self {
        Self {
            url,
            live: None,
            retry_at: Instant::now(),
            failures: 0,
            subscribed,
        }
    }

    /// Returns when a new head is announced, or after `at_most`.
    pub(crate) async fn wait(&mut self, at_most: Duration) {
        let deadline = Instant::now() + at_most;
        if self.live.is_none() {
            self.connect().await;
        }
        let Some((_, stream)) = self.live.as_mut() else {
            tokio::time::sleep_until(deadline).await;
            return;
        };
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(_head)) => {}
            Ok(None) => {
                // The socket closed: poll until a new subscription is made.
                tracing::warn!("the newHeads subscription ended; polling until it is back");
                self.live = None;
                self.subscribed.store(false, Ordering::Relaxed);
                self.failed();
                tokio::time::sleep_until(deadline).await;
            }
            Err(_elapsed) => {}
        }
    }

    async fn connect(&mut self) {
        let Some(url) = self.url.clone() else {
            return;
        };
        if Instant::now() < self.retry_at {
            return;
        }
        let attempt = async {
            let provider = ProviderBuilder::new()
                .connect_ws(WsConnect::new(url.clone()))
                .await?
                .erased();
            let stream = provider.subscribe_blocks().await?.into_stream();
            Ok::<_, alloy::transports::TransportError>((provider, stream))
        };
        match tokio::time::timeout(Duration::from_secs(10), attempt).await {
            Ok(Ok(live)) => {
                tracing::info!("subscribed to new heads");
                self.live = Some(live);
                self.subscribed.store(true, Ordering::Relaxed);
                self.failures = 0;
            }
            // The URL may carry a key: the error is logged without it.
            Ok(Err(error)) => {
                let error = error.to_string().replace(&url, "<ws-url>");
                tracing::warn!(%error, "newHeads subscription failed; polling");
                self.failed();
            }
            Err(_) => {
                tracing::warn!("newHeads subscription timed out; polling");
                self.failed();
            }
        }
    }

    /// Backs off reconnecting: 1 s doubling to 60 s.
    fn failed(&mut self) {
        self.failures = self.failures.saturating_add(1);
        let wait = Duration::from_secs(1 << self.failures.min(6)).min(Duration::from_secs(60));
        self.retry_at = Instant::now() + wait;
    }
}
