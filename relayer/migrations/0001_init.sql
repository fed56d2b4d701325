-- The relayer's store: every verified Stripe event, and the outbox of chain
-- transactions they ask for. An event and its job are written in one
-- transaction; the worker drains the outbox.

-- Every verified event, once: a redelivery (same id) is a no-op.
CREATE TABLE stripe_events (
    id          TEXT PRIMARY KEY,                 -- Stripe's evt_… id
    type        TEXT NOT NULL,
    created     BIGINT NOT NULL,                  -- Stripe's timestamp (Unix seconds)
    livemode    BOOLEAN NOT NULL,
    body        BYTEA NOT NULL,                   -- the verified body, byte for byte
    action      TEXT NOT NULL CHECK (action IN ('mint_credits', 'reverse_credits', 'ignored')),
    note        TEXT,                             -- why it was ignored
    job_id      BIGINT,                           -- the job it maps to (new or existing)
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One job per (kind, payment): the two events of one payment
-- (checkout.session.completed, payment_intent.succeeded) make one mint.
CREATE TABLE jobs (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('mint_credits', 'reverse_credits')),
    payment_id     BYTEA NOT NULL CHECK (octet_length(payment_id) = 32),
    payment_intent TEXT NOT NULL,                 -- Stripe's pi_… id; payment_id = keccak256 of it
    account        BYTEA CHECK (octet_length(account) = 20),
    amount         NUMERIC(78, 0) CHECK (amount > 0),
    event_id       TEXT NOT NULL REFERENCES stripe_events (id),  -- the event that created it
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,    -- claims so far
    run_after      TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until    TIMESTAMPTZ,                   -- a running job whose lease passed is claimable again
    outcome        TEXT,                          -- how a done job ended
    tx_hash        BYTEA CHECK (octet_length(tx_hash) = 32),
    last_error     TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (kind, payment_id),
    CHECK ((kind = 'mint_credits') = (account IS NOT NULL AND amount IS NOT NULL))
);

CREATE INDEX jobs_claimable ON jobs (id) WHERE status IN ('pending', 'running');
CREATE INDEX jobs_by_status ON jobs (status, id);
