-- The product API's own tables, beside the indexer's in the same database (its migrations are
-- recorded in _tributary_api_migrations). Times are unix seconds.

-- Sign-In with Ethereum (EIP-4361): nonces handed out and not yet used. A login deletes its
-- nonce in the same statement that checks it, so a signed message is accepted once.
CREATE TABLE api_siwe_nonces (
    nonce      TEXT   PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- Sessions opened by a login. Only the token's sha256 is kept: a leaked table opens nothing.
CREATE TABLE api_sessions (
    token_sha256 BYTEA  PRIMARY KEY,
    account      BYTEA  NOT NULL,
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX api_sessions_expiry ON api_sessions (expires_at);

-- Versions whose data key the creator handed to this server so that licensed buyers can
-- download the files decrypted. The data key is kept wrapped under the server's own key
-- (--access-keys); deleting the row (the creator's revoke) ends downloads of the version.
CREATE TABLE api_access_grants (
    dataset_id      NUMERIC(78) NOT NULL,
    version         INTEGER     NOT NULL,
    manifest_hash   BYTEA       NOT NULL,
    envelope_sha256 BYTEA       NOT NULL,
    envelope_cid    TEXT        NOT NULL,
    wrapped_key     BYTEA       NOT NULL,
    granted_by      BYTEA       NOT NULL,
    granted_at      BIGINT      NOT NULL,
    PRIMARY KEY (dataset_id, version)
);
