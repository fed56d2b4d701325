-- The relayer's own transactions: a nonce counter per (chain, sender) and
-- every signed transaction, stored (committed) before it is broadcast.

-- The next nonce of each key this relayer sends from. Read and advanced
-- under a row lock in the same transaction that stores the signed
-- transaction: two jobs never get the same nonce, and a nonce handed out is
-- always bound to a stored transaction.
CREATE TABLE sender_nonces (
    chain_id   BIGINT NOT NULL,
    sender     BYTEA NOT NULL CHECK (octet_length(sender) = 20),
    next_nonce BIGINT NOT NULL CHECK (next_nonce >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, sender)
);

-- Every transaction signed for a job: the first one of a nonce and each fee
-- bump that replaces it (same nonce, same call, higher fees). The receipt of
-- any of them completes the job.
CREATE TABLE transactions (
    id                       BIGSERIAL PRIMARY KEY,
    job_id                   BIGINT NOT NULL REFERENCES jobs (id),
    chain_id                 BIGINT NOT NULL,
    sender                   BYTEA NOT NULL CHECK (octet_length(sender) = 20),
    nonce                    BIGINT NOT NULL CHECK (nonce >= 0),
    tx_hash                  BYTEA NOT NULL UNIQUE CHECK (octet_length(tx_hash) = 32),
    raw                      BYTEA NOT NULL,              -- the signed EIP-2718 bytes, re-broadcast as they are
    gas_limit                BIGINT NOT NULL,
    max_fee_per_gas          NUMERIC(78, 0) NOT NULL,
    max_priority_fee_per_gas NUMERIC(78, 0) NOT NULL,
    -- pending: may still be mined; mined: this one was (its receipt completed
    -- the job or told it reverted); replaced: another one of the same nonce was;
    -- lost: the nonce was used by a transaction that is not the job's.
    status                   TEXT NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'mined', 'replaced', 'lost')),
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    broadcast_at             TIMESTAMPTZ,                 -- last time a node accepted (or already knew) it
    last_error               TEXT                         -- the node's last answer refusing it
);

CREATE INDEX transactions_open ON transactions (job_id) WHERE status = 'pending';
CREATE INDEX transactions_by_nonce ON transactions (chain_id, sender, nonce);

-- What the API shows of a job's sending: the nonce of its current
-- transaction and how many transactions were signed for it (bumps included).
-- `jobs.tx_hash` holds the current transaction's hash while it is pending.
ALTER TABLE jobs ADD COLUMN nonce BIGINT;
ALTER TABLE jobs ADD COLUMN tx_count INTEGER NOT NULL DEFAULT 0;
