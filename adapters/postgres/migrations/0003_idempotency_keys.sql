-- Idempotency keys (release.KeyStore): one row per keyed request that committed,
-- written by the same statement as the change it made. request is the hex SHA-256 of
-- the request; record is release.KeyRecord as JSON bytes (the release the request
-- returned); (release_id, seq) names the history entry it wrote. Keys are kept as long as
-- the history (never pruned).
CREATE TABLE idempotency_keys (
    key        text        PRIMARY KEY,
    request    text        NOT NULL,
    release_id uuid        NOT NULL,
    seq        bigint      NOT NULL CHECK (seq > 0),
    record     bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
