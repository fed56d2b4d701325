//! Prometheus metrics of the sync loop and the database, served at
//! `/metrics` in the text exposition format.

use prometheus_client::{
    encoding::text,
    metrics::{
        counter::Counter,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// The indexer's metrics. Cheap to update from the sync loop (atomics).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// The node's head at the last poll.
    pub(crate) head: Gauge,
    /// The last committed block.
    pub(crate) indexed: Gauge,
    /// Logs committed (decoded or raw).
    pub(crate) events: Counter,
    /// Reorgs repaired.
    pub(crate) reorgs: Counter,
    /// Blocks rolled back by each reorg.
    pub(crate) rollback_depth: Histogram,
    /// Seconds each range's database transaction took.
    pub(crate) commit_seconds: Histogram,
    /// Seconds each range took to read from the node.
    pub(crate) fetch_seconds: Histogram,
    /// Sync steps that failed and were retried.
    pub(crate) retries: Counter,
    /// Blocks the next `eth_getLogs` asks for at most.
    pub(crate) range: Gauge,
    /// Head − indexed block.
    behind: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tributary_indexer");
        let metrics = Self {
            head: Gauge::default(),
            indexed: Gauge::default(),
            events: Counter::default(),
            reorgs: Counter::default(),
            rollback_depth: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
            commit_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            fetch_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            retries: Counter::default(),
            range: Gauge::default(),
            behind: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "head_block",
            "The node's head at the last poll",
            metrics.head.clone(),
        );
        registry.register(
            "indexed_block",
            "The last block whose rows are committed",
            metrics.indexed.clone(),
        );
        registry.register(
            "events",
            "Logs committed (rate: events per second)",
            metrics.events.clone(),
        );
        registry.register("reorgs", "Reorgs repaired", metrics.reorgs.clone());
        registry.register(
            "rollback_depth_blocks",
            "Blocks rolled back by each reorg",
            metrics.rollback_depth.clone(),
        );
        registry.register(
            "commit_seconds",
            "Database latency: one range's transaction",
            metrics.commit_seconds.clone(),
        );
        registry.register(
            "fetch_seconds",
            "Node latency: reading one range (logs and headers)",
            metrics.fetch_seconds.clone(),
        );
        registry.register(
            "retries",
            "Sync steps that failed and were retried with backoff",
            metrics.retries.clone(),
        );
        registry.register(
            "range_blocks",
            "Blocks the next eth_getLogs asks for at most",
            metrics.range.clone(),
        );
        registry.register(
            "blocks_behind",
            "Blocks between the node's head and the last committed block",
            metrics.behind.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }
}

impl Metrics {
    /// Every metric, in the text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = text::encode(&mut out, &self.registry);
        out
    }

    /// Records the node's head.
    pub(crate) fn saw_head(&self, head: u64) {
        self.head.set(head.try_into().unwrap_or(i64::MAX));
        self.update_behind();
    }

    /// Records a commit up to `block`.
    pub(crate) fn indexed_to(&self, block: u64) {
        self.indexed.set(block.try_into().unwrap_or(i64::MAX));
        self.update_behind();
    }

    fn update_behind(&self) {
        self.behind
            .set((self.head.get() - self.indexed.get()).max(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_metric_and_ends_with_eof() {
        let metrics = Metrics::default();
        metrics.saw_head(120);
        metrics.indexed_to(100);
        metrics.events.inc_by(7);
        metrics.rollback_depth.observe(5.0);
        let text = metrics.encode();
        for line in [
            "tributary_indexer_head_block 120",
            "tributary_indexer_indexed_block 100",
            "tributary_indexer_events_total 7",
            "tributary_indexer_reorgs_total 0",
            "tributary_indexer_rollback_depth_blocks_count 1",
            "tributary_indexer_blocks_behind 20",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert!(text.ends_with("# EOF\n"));
        assert_eq!(text.matches("# EOF").count(), 1);
    }
}
