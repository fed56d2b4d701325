-- Manifests fetched from a blob store by the hashes anchored on-chain (the manifest hash is the
-- sha256 of the stored canonical JSON, checked on every fetch): the off-chain metadata that the
-- API shows and searches. Rows are keyed by hash, so they are facts about content, independent
-- of the chain and of reorgs: which dataset shows which manifest is decided by dataset_versions
-- at query time. A row with fetched_at NULL is a manifest not fetched yet, retried from
-- next_attempt_at with backoff.
CREATE TABLE manifests (
    manifest_hash   BYTEA PRIMARY KEY,
    title           TEXT,
    description     TEXT,
    creator_wallet  TEXT,
    fetched_at      TIMESTAMPTZ,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    search          TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(description, ''))
    ) STORED
);
CREATE INDEX manifests_search ON manifests USING GIN (search);
CREATE INDEX manifests_pending ON manifests (next_attempt_at) WHERE fetched_at IS NULL;
