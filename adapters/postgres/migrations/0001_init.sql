-- 0001: releases, their hash-chained histories, the transactional outbox and the
-- calendar bookings. Runs with search_path set to the store's schema.

-- btree_gist lets a GiST exclusion constraint compare text with "=". When several
-- schemas of one database hold stores, create it once beforehand (for example in
-- public): it is a database-wide extension that lives in one schema.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- One row per release. doc is the full release as JSON (the stable form of
-- release.Release), kept as bytes: jsonb would reorder the keys of the raw JSON
-- payloads a release carries. The other columns copy fields of doc for filtering
-- (labels as jsonb, for containment) and for the compare-and-swap on revision.
CREATE TABLE releases (
    id          uuid   PRIMARY KEY,
    name        text   NOT NULL,
    version     text   NOT NULL,
    environment text   NOT NULL,
    class       text   NOT NULL,
    state       text   NOT NULL,
    revision    bigint NOT NULL CHECK (revision > 0),
    labels      jsonb  NOT NULL DEFAULT '{}',
    doc         bytea  NOT NULL
);
CREATE INDEX releases_environment_state ON releases (environment, state);

-- The audit history. entry holds the bytes of release.EncodeEntry exactly: jsonb would
-- reorder keys and normalise numbers, and the entry's hash covers its content.
CREATE TABLE history (
    release_id uuid   NOT NULL REFERENCES releases (id),
    seq        bigint NOT NULL CHECK (seq > 0),
    entry      bytea  NOT NULL,
    PRIMARY KEY (release_id, seq)
);

-- The transactional outbox: one row per committed transition, written by the same
-- statement as the transition, deleted when delivered.
CREATE TABLE outbox (
    key          text        PRIMARY KEY,
    release_id   uuid        NOT NULL,
    seq          bigint      NOT NULL,
    release      bytea       NOT NULL,
    entry        bytea       NOT NULL,
    due          timestamptz NOT NULL,
    leased_until timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text        NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (due, key);

-- Calendar bookings: one row per booking (doc is the full calendar.Booking as JSON
-- bytes, with exact times) and one slot row per (booking, service), on which the exclusion
-- constraint forbids two overlapping periods of one service in one environment.
CREATE TABLE bookings (
    id          text        PRIMARY KEY,
    environment text        NOT NULL,
    start_at    timestamptz NOT NULL,
    end_at      timestamptz NOT NULL,
    doc         bytea       NOT NULL
);
CREATE INDEX bookings_environment_start ON bookings (environment, start_at);

CREATE TABLE booking_slots (
    booking_id  text      NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    environment text      NOT NULL,
    service     text      NOT NULL,
    period      tstzrange NOT NULL CHECK (NOT isempty(period)),
    PRIMARY KEY (booking_id, service),
    CONSTRAINT booking_slots_no_overlap
        EXCLUDE USING gist (environment WITH =, service WITH =, period WITH &&)
);
