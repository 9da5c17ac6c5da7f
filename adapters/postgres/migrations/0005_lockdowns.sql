-- 0005: the runtime lockdown history (release.LockdownStore). entry holds the JSON of
-- release.LockdownEntry exactly (bytes, not jsonb: its hash covers its content).
-- lockdown_head holds, in its one row, how many entries the history has: an append
-- updates it (a row lock) in the transaction of its insert, and a start's update
-- takes it FOR SHARE with the count it decided on, so the two are ordered: a start
-- never commits after a lockdown it did not see.
CREATE TABLE lockdowns (
    seq   bigint PRIMARY KEY CHECK (seq > 0),
    entry bytea  NOT NULL
);

CREATE TABLE lockdown_head (
    id  integer PRIMARY KEY CHECK (id = 1),
    seq bigint  NOT NULL CHECK (seq >= 0)
);
INSERT INTO lockdown_head (id, seq) VALUES (1, 0);
