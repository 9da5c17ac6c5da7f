-- 0006: every history entry after the first names its predecessor, and the database
-- keeps the names true, so that an update finds out that a history is whole without
-- counting it (a count reads every entry of the release: each append cost as much as
-- the history was long).
--
-- (prev_release, prev_seq) is (release_id, seq - 1) for an entry whose predecessor is
-- stored, NULL for entry 1. A foreign key makes the database check, as each entry is
-- written, that its predecessor is stored, so no entry is written past a gap; and
-- deleting an entry, or changing its key, sets its successor's link to NULL
-- (ON DELETE / ON UPDATE SET NULL). An entry after the first without a link is
-- therefore the mark of an entry removed before it, and the update refuses to append
-- to a history that holds one (history_unlinked finds them). Entry $2 stored, linked
-- back to entry 1, and nothing after it: the history holds exactly $2 entries.
--
-- Two columns, not one, because before PostgreSQL 15 SET NULL empties every column
-- of the key, and release_id must stay.
ALTER TABLE history ADD COLUMN prev_release uuid, ADD COLUMN prev_seq bigint;

-- Link the entries already stored. An entry whose predecessor is missing now (a gap
-- made before this migration) stays unlinked, so the next update of its release is
-- refused as a count would have refused it.
UPDATE history h SET prev_release = h.release_id, prev_seq = h.seq - 1
WHERE h.seq > 1 AND EXISTS (SELECT 1 FROM history p WHERE p.release_id = h.release_id AND p.seq = h.seq - 1);

ALTER TABLE history ADD CONSTRAINT history_prev_is_previous
    CHECK ((prev_release IS NULL AND prev_seq IS NULL)
        OR (prev_release = release_id AND prev_seq = seq - 1));
ALTER TABLE history ADD CONSTRAINT history_prev_stored
    FOREIGN KEY (prev_release, prev_seq) REFERENCES history (release_id, seq)
    ON DELETE SET NULL ON UPDATE SET NULL;

-- Normally empty: the entries whose predecessor was removed.
CREATE INDEX history_unlinked ON history (release_id, seq) WHERE prev_seq IS NULL AND seq > 1;
