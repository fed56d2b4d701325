-- Stripe Connect payouts (docs/relayer.md, "Payouts"): creators link their
-- wallet to an Express connected account; every CREDITS release on-chain
-- (`PaymentReleased` with token = CREDITS, the fiat payout order) is booked
-- once into the ledger; a scheduler groups what each payout-enabled creator
-- is owed into one transfer per creator per batch; each transfer row is
-- committed before Stripe is called, its id is Stripe's Idempotency-Key and
-- transfer_group, so no payout is sent twice or lost.

-- account.updated events are stored like the others (they change a creator).
ALTER TABLE stripe_events DROP CONSTRAINT stripe_events_action_check;
ALTER TABLE stripe_events ADD CONSTRAINT stripe_events_action_check
    CHECK (action IN ('mint_credits', 'reverse_credits', 'ignored', 'account_updated'));

-- A wallet linked to a Stripe connected account (Express).
CREATE TABLE creators (
    wallet                BYTEA PRIMARY KEY CHECK (octet_length(wallet) = 20),
    stripe_account        TEXT UNIQUE,        -- acct_…; NULL until Stripe created it
    onboarding_url        TEXT,               -- the last account link (Stripe's hosted onboarding)
    onboarding_expires_at BIGINT,             -- when that link expires (Unix seconds)
    payouts_enabled       BOOLEAN NOT NULL DEFAULT false,  -- from account.updated
    details_submitted     BOOLEAN NOT NULL DEFAULT false,  -- from account.updated
    account_event_created BIGINT,             -- `created` of the account.updated applied last
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every signed link request's nonce, once: a replayed signature is refused.
CREATE TABLE creator_link_nonces (
    wallet    BYTEA NOT NULL CHECK (octet_length(wallet) = 20),
    nonce     TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    used_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (wallet, nonce)
);

-- Where a log follower stands: the next block to read, and the hash of the
-- last block read (a different hash there later is a reorg deeper than the
-- confirmations: the follower halts and says so in `halted`).
CREATE TABLE chain_cursors (
    name            TEXT PRIMARY KEY,
    next_block      BIGINT NOT NULL CHECK (next_block >= 0),
    last_block_hash BYTEA CHECK (octet_length(last_block_hash) = 32),
    halted          TEXT,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A run of the scheduler that made transfers.
CREATE TABLE payout_batches (
    id         BIGSERIAL PRIMARY KEY,
    transfers  INTEGER NOT NULL,
    total      BIGINT NOT NULL,                  -- cents
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One transfer per creator per batch: committed before Stripe is called.
-- Its id is the Idempotency-Key (`tributary-transfer-{id}`) and the
-- transfer_group (`tributary-payout-{id}`) of the Stripe transfer.
CREATE TABLE payout_transfers (
    id                 BIGSERIAL PRIMARY KEY,
    batch_id           BIGINT NOT NULL REFERENCES payout_batches (id),
    wallet             BYTEA NOT NULL REFERENCES creators (wallet),
    stripe_account     TEXT NOT NULL,
    amount             BIGINT NOT NULL CHECK (amount > 0),   -- cents
    currency           TEXT NOT NULL,
    -- pending: due from run_after; sending: claimed until lease_until;
    -- paid: Stripe holds the transfer (stripe_transfer_id); failed: parked
    -- after a refusal no retry fixes (last_error), until an operator retries.
    status             TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'sending', 'paid', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,   -- claims so far
    calls              INTEGER NOT NULL DEFAULT 0,   -- POST /v1/transfers begun (counted before the call)
    -- Stripe keeps the first result of a key for 24 h, refusals included: after
    -- a definite refusal (balance_insufficient, another 4xx) no transfer exists
    -- and the next call takes a new key, tributary-transfer-{id}-{refusals}.
    refusals           INTEGER NOT NULL DEFAULT 0,
    run_after          TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until        TIMESTAMPTZ,
    first_call_at      TIMESTAMPTZ,
    stripe_transfer_id TEXT UNIQUE,                  -- tr_…
    waiting_for        TEXT,                         -- 'balance' while Stripe says the balance is too low
    last_error         TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (batch_id, wallet),
    CHECK ((status = 'paid') = (stripe_transfer_id IS NOT NULL))
);

CREATE INDEX payout_transfers_due ON payout_transfers (id) WHERE status IN ('pending', 'sending');

-- Every CREDITS release on-chain, once (tx hash + log index), in credits
-- (1 credit = 1 cent). `transfer_id` is the transfer that pays it (NULL: owed).
CREATE TABLE payout_ledger (
    id           BIGSERIAL PRIMARY KEY,
    tx_hash      BYTEA NOT NULL CHECK (octet_length(tx_hash) = 32),
    log_index    BIGINT NOT NULL CHECK (log_index >= 0),
    block_number BIGINT NOT NULL,
    block_hash   BYTEA NOT NULL CHECK (octet_length(block_hash) = 32),
    payee        BYTEA NOT NULL CHECK (octet_length(payee) = 20),
    split_hash   BYTEA NOT NULL CHECK (octet_length(split_hash) = 32),
    amount       NUMERIC(78, 0) NOT NULL CHECK (amount > 0),
    transfer_id  BIGINT REFERENCES payout_transfers (id),
    booked_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tx_hash, log_index)
);

CREATE INDEX payout_ledger_owed ON payout_ledger (payee) WHERE transfer_id IS NULL;
