-- Superfluid subscriptions (docs/streaming.md): the events of TributaryStreams and the
-- FlowDistributionUpdated events of Superfluid's GDA for the pools TributaryStreams created.
--
-- Same conventions as 0001: rows carry (block_number, log_index, tx_hash) of their log, so a
-- rollback is a DELETE above the common ancestor; current state is derived when read (the
-- latest row per key). Superfluid's int96 flow rates (token wei per second) are NUMERIC(29,0),
-- uint128 units NUMERIC(39,0).

-- The streams contract and Superfluid's GDA this database follows (NULL: none). Set on the
-- first start with streams; a database that committed blocks without them never gets them.
ALTER TABLE indexer_meta ADD COLUMN streams BYTEA, ADD COLUMN gda BYTEA;

-- PoolCreated: the GDA pool of a (dataset, Super Token); TributaryStreams is its admin.
CREATE TABLE stream_pools (
    dataset_id   NUMERIC(78,0) NOT NULL,
    token        BYTEA  NOT NULL,
    pool         BYTEA  NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE UNIQUE INDEX stream_pools_pool ON stream_pools (pool);
CREATE UNIQUE INDEX stream_pools_dataset ON stream_pools (dataset_id, token);

-- SubscriptionSynced: the minimum rate of a (dataset, Super Token) from that sync on (0: the
-- token is no longer offered). The latest row per (dataset, token) is in force.
CREATE TABLE stream_terms (
    dataset_id    NUMERIC(78,0) NOT NULL,
    token         BYTEA  NOT NULL,
    pool          BYTEA  NOT NULL,
    min_flow_rate NUMERIC(29,0) NOT NULL,
    block_number  BIGINT NOT NULL,
    log_index     BIGINT NOT NULL,
    tx_hash       BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX stream_terms_dataset
    ON stream_terms (dataset_id, token, block_number DESC, log_index DESC);

-- MemberUnitsUpdated of TributaryStreams: a pool member's units from then on (0: left). The
-- latest row per (pool, member) is in force.
CREATE TABLE stream_member_units (
    dataset_id   NUMERIC(78,0) NOT NULL,
    token        BYTEA  NOT NULL,
    member       BYTEA  NOT NULL,
    pool         BYTEA  NOT NULL,
    units        NUMERIC(39,0) NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX stream_member_units_pool
    ON stream_member_units (pool, member, block_number DESC, log_index DESC);
CREATE INDEX stream_member_units_member ON stream_member_units (member);

-- TermsSynced: the terms hash a dataset's pools follow from then on (syncedTermsHash).
CREATE TABLE stream_terms_synced (
    dataset_id   NUMERIC(78,0) NOT NULL,
    terms_hash   BYTEA  NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX stream_terms_synced_dataset
    ON stream_terms_synced (dataset_id, block_number DESC, log_index DESC);

-- DustSwept: rounding remainders the pools paid TributaryStreams, sent to the treasury.
CREATE TABLE stream_dust_sweeps (
    token        BYTEA  NOT NULL,
    treasury     BYTEA  NOT NULL,
    amount       NUMERIC(78,0) NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);

-- FlowDistributionUpdated of the GDA, for pools of stream_pools only: a distributor's flow to a
-- pool changed (opened, updated, closed, or liquidated: operator is then the liquidator).
-- flow_rate is the rate the GDA recorded from block_time on; streamed_until is what the
-- distributor had streamed to the pool up to block_time (the previous row's streamed_until +
-- its flow_rate x the seconds between them), so what it has streamed at time T >= block_time is
-- streamed_until + flow_rate x (T - block_time). dataset_id comes from the pool's stream_pools
-- row.
CREATE TABLE stream_flow_updates (
    dataset_id                   NUMERIC(78,0) NOT NULL,
    token                        BYTEA  NOT NULL,
    pool                         BYTEA  NOT NULL,
    distributor                  BYTEA  NOT NULL,
    operator                     BYTEA  NOT NULL,
    old_flow_rate                NUMERIC(29,0) NOT NULL,
    flow_rate                    NUMERIC(29,0) NOT NULL,
    total_distribution_flow_rate NUMERIC(29,0) NOT NULL,
    adjustment_flow_recipient    BYTEA  NOT NULL,
    adjustment_flow_rate         NUMERIC(29,0) NOT NULL,
    block_time                   BIGINT NOT NULL,
    streamed_until               NUMERIC(78,0) NOT NULL,
    block_number                 BIGINT NOT NULL,
    log_index                    BIGINT NOT NULL,
    tx_hash                      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX stream_flow_updates_flow
    ON stream_flow_updates (pool, distributor, block_number DESC, log_index DESC);
CREATE INDEX stream_flow_updates_distributor ON stream_flow_updates (distributor);
CREATE INDEX stream_flow_updates_dataset ON stream_flow_updates (dataset_id);

-- The flows as they stand: each (pool, distributor)'s latest update.
CREATE VIEW stream_flows AS
    SELECT DISTINCT ON (pool, distributor)
        dataset_id, token, pool, distributor, flow_rate, block_time AS since_time,
        block_number AS since_block, streamed_until, log_index, tx_hash
    FROM stream_flow_updates
    ORDER BY pool, distributor, block_number DESC, log_index DESC;
