-- Tributary indexer, first schema.
--
-- Conventions:
--   * addresses, hashes and other fixed bytes are BYTEA (20 or 32 bytes);
--   * uint256 values (ids, amounts) are NUMERIC(78,0): every uint256 fits, exactly;
--   * uint64 values that may exceed BIGINT (expiry, duration) are NUMERIC(20,0);
--   * every row decoded from a log carries (block_number, log_index, tx_hash), so a
--     rollback is `DELETE ... WHERE block_number > ancestor` on each table.

-- The chain and contract this database mirrors. One row; the indexer refuses to
-- run against a database written for another chain or contract.
CREATE TABLE indexer_meta (
    singleton   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    chain_id    BIGINT NOT NULL,
    contract    BYTEA  NOT NULL,
    start_block BIGINT NOT NULL
);

-- The last block whose rows are committed, written in the same transaction as
-- those rows. One row; absent until the first range is committed.
CREATE TABLE checkpoint (
    singleton    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    block_number BIGINT NOT NULL,
    block_hash   BYTEA  NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Blocks of the unfinalized window (the last finality-depth blocks below the
-- checkpoint, and the checkpoint itself): where a reorg is traced back to the
-- common ancestor.
CREATE TABLE blocks (
    number      BIGINT PRIMARY KEY,
    hash        BYTEA  NOT NULL,
    parent_hash BYTEA  NOT NULL,
    timestamp   BIGINT NOT NULL
);

-- Every log of the contract, decoded or not.
CREATE TABLE raw_logs (
    chain_id     BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash   BYTEA  NOT NULL,
    block_time   BIGINT,            -- when the node reports blockTimestamp
    tx_hash      BYTEA  NOT NULL,
    tx_index     BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    address      BYTEA  NOT NULL,
    topic0       BYTEA,
    topic1       BYTEA,
    topic2       BYTEA,
    topic3       BYTEA,
    data         BYTEA  NOT NULL,
    PRIMARY KEY (block_hash, log_index)
);
CREATE UNIQUE INDEX raw_logs_position ON raw_logs (block_number, log_index);
CREATE INDEX raw_logs_topic0 ON raw_logs (topic0);

-- ------------------------------------------------------------------ registry

-- DatasetRegistered: the dataset, its creator and version 1.
CREATE TABLE datasets (
    dataset_id    NUMERIC(78,0) PRIMARY KEY,
    creator       BYTEA  NOT NULL,
    manifest_hash BYTEA  NOT NULL,
    uri           TEXT   NOT NULL,
    block_number  BIGINT NOT NULL,
    log_index     BIGINT NOT NULL,
    tx_hash       BYTEA  NOT NULL
);
CREATE INDEX datasets_block ON datasets (block_number);
CREATE INDEX datasets_creator ON datasets (creator, dataset_id);

-- Version 1 (from DatasetRegistered) and every VersionPublished.
CREATE TABLE dataset_versions (
    dataset_id    NUMERIC(78,0) NOT NULL,
    version       BIGINT NOT NULL,
    manifest_hash BYTEA  NOT NULL,
    uri           TEXT   NOT NULL,
    block_number  BIGINT NOT NULL,
    log_index     BIGINT NOT NULL,
    tx_hash       BYTEA  NOT NULL,
    PRIMARY KEY (dataset_id, version)
);
CREATE INDEX dataset_versions_block ON dataset_versions (block_number);
CREATE INDEX dataset_versions_manifest ON dataset_versions (manifest_hash);

-- StatusChanged. A dataset without a row here is Active (1).
CREATE TABLE dataset_status_changes (
    dataset_id   NUMERIC(78,0) NOT NULL,
    status       SMALLINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX dataset_status_changes_dataset
    ON dataset_status_changes (dataset_id, block_number DESC, log_index DESC);

-- The terms of DatasetRegistered and of every TermsSet; the latest row of a
-- dataset is its current terms.
CREATE TABLE dataset_terms (
    dataset_id   NUMERIC(78,0) NOT NULL,
    split_hash   BYTEA    NOT NULL,
    terms_hash   BYTEA    NOT NULL,
    payees       BYTEA[]  NOT NULL,
    shares       BIGINT[] NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX dataset_terms_dataset ON dataset_terms (dataset_id, block_number DESC, log_index DESC);
CREATE INDEX dataset_terms_split ON dataset_terms (split_hash);

-- The offers of each dataset_terms row. offer_hash = keccak256(abi.encode(offer)),
-- the value LicenceIssued carries.
CREATE TABLE terms_offers (
    block_number  BIGINT NOT NULL,
    log_index     BIGINT NOT NULL,
    offer_index   INTEGER NOT NULL,
    dataset_id    NUMERIC(78,0) NOT NULL,
    kind          SMALLINT NOT NULL,
    payment_token BYTEA NOT NULL,
    price         NUMERIC(78,0) NOT NULL,
    duration      NUMERIC(20,0) NOT NULL,
    transferable  BOOLEAN NOT NULL,
    royalty_bps   INTEGER NOT NULL,
    supply_cap    BIGINT NOT NULL,
    terms_hash    BYTEA NOT NULL,
    offer_hash    BYTEA NOT NULL,
    PRIMARY KEY (block_number, log_index, offer_index)
);
CREATE INDEX terms_offers_offer_hash ON terms_offers (offer_hash);

-- BatchAnchored.
CREATE TABLE batch_anchors (
    root         BYTEA  NOT NULL,
    anchorer     BYTEA  NOT NULL,
    count        BIGINT NOT NULL,
    uri          TEXT   NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE UNIQUE INDEX batch_anchors_root ON batch_anchors (root);

-- ------------------------------------------------------------------ licences

-- LicenceIssued. `holder` is the first holder; the current one is the `to` of
-- the token's latest licence_transfers row.
CREATE TABLE licences (
    token_id     NUMERIC(78,0) PRIMARY KEY,
    dataset_id   NUMERIC(78,0) NOT NULL,
    holder       BYTEA  NOT NULL,
    offer_hash   BYTEA  NOT NULL,
    version      BIGINT NOT NULL,
    expires_at   NUMERIC(20,0) NOT NULL, -- 2^64-1: perpetual
    payment_ref  BYTEA  NOT NULL,        -- zero, a credit payment id, or a custom receipt hash
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL
);
CREATE INDEX licences_block ON licences (block_number);
CREATE INDEX licences_dataset ON licences (dataset_id, token_id);

-- ERC-721 Transfer of licence tokens (mints included): holders over time.
CREATE TABLE licence_transfers (
    token_id     NUMERIC(78,0) NOT NULL,
    from_address BYTEA  NOT NULL,
    to_address   BYTEA  NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX licence_transfers_token ON licence_transfers (token_id, block_number DESC, log_index DESC);
CREATE INDEX licence_transfers_to ON licence_transfers (to_address);

-- LicenceFlagged: bought with credits that were later reversed.
CREATE TABLE licence_flags (
    token_id     NUMERIC(78,0) NOT NULL,
    payment_id   BYTEA  NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX licence_flags_token ON licence_flags (token_id);

-- RevenueReported.
CREATE TABLE revenue_reports (
    token_id      NUMERIC(78,0) NOT NULL,
    dataset_id    NUMERIC(78,0) NOT NULL,
    token         BYTEA NOT NULL,
    revenue       NUMERIC(78,0) NOT NULL,
    royalty       NUMERIC(78,0) NOT NULL,
    evidence_hash BYTEA NOT NULL,
    block_number  BIGINT NOT NULL,
    log_index     BIGINT NOT NULL,
    tx_hash       BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX revenue_reports_dataset ON revenue_reports (dataset_id);

-- ------------------------------------------------------------------ splits

-- PaymentReceived: what reached a split, after the protocol fee.
CREATE TABLE payments (
    split_hash   BYTEA NOT NULL,
    token        BYTEA NOT NULL,
    dataset_id   NUMERIC(78,0) NOT NULL,
    payer        BYTEA NOT NULL,
    amount       NUMERIC(78,0) NOT NULL,
    fee          NUMERIC(78,0) NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX payments_dataset ON payments (dataset_id, block_number, log_index);
CREATE INDEX payments_split ON payments (split_hash, token);

-- PaymentReleased.
CREATE TABLE releases (
    payee        BYTEA NOT NULL,
    split_hash   BYTEA NOT NULL,
    token        BYTEA NOT NULL,
    amount       NUMERIC(78,0) NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX releases_payee ON releases (payee);
CREATE INDEX releases_split ON releases (split_hash, token);

-- ProtocolFeesReleased.
CREATE TABLE protocol_fee_releases (
    token        BYTEA NOT NULL,
    treasury     BYTEA NOT NULL,
    amount       NUMERIC(78,0) NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);

-- ProtocolFeeSet.
CREATE TABLE protocol_fee_changes (
    bps          INTEGER NOT NULL,
    treasury     BYTEA NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);

-- TokenAllowed.
CREATE TABLE token_allowlist_changes (
    token        BYTEA NOT NULL,
    allowed      BOOLEAN NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);

-- ------------------------------------------------------------------ credits

-- CreditsMinted.
CREATE TABLE credits_minted (
    payment_id   BYTEA NOT NULL,
    account      BYTEA NOT NULL,
    amount       NUMERIC(78,0) NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX credits_minted_account ON credits_minted (account);
CREATE INDEX credits_minted_payment ON credits_minted (payment_id);

-- CreditsSpent.
CREATE TABLE credits_spent (
    payment_id   BYTEA NOT NULL,
    token_id     NUMERIC(78,0) NOT NULL,
    amount       NUMERIC(78,0) NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX credits_spent_payment ON credits_spent (payment_id);

-- CreditsReversed.
CREATE TABLE credits_reversed (
    payment_id        BYTEA NOT NULL,
    account           BYTEA NOT NULL,
    burned            NUMERIC(78,0) NOT NULL,
    spent             NUMERIC(78,0) NOT NULL,
    flagged_token_ids NUMERIC(78,0)[] NOT NULL,
    block_number      BIGINT NOT NULL,
    log_index         BIGINT NOT NULL,
    tx_hash           BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX credits_reversed_payment ON credits_reversed (payment_id);

-- ------------------------------------------------------------------ roles and pause

-- RoleGranted (granted) and RoleRevoked (not granted).
CREATE TABLE role_changes (
    role         BYTEA NOT NULL,
    account      BYTEA NOT NULL,
    sender       BYTEA NOT NULL,
    granted      BOOLEAN NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);

-- Paused (paused) and Unpaused (not paused).
CREATE TABLE pause_changes (
    paused       BOOLEAN NOT NULL,
    account      BYTEA NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
