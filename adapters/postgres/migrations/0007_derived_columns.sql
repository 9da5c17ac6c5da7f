-- 0007: the database derives the columns that migrations 0004 and 0006 added from
-- the row it is writing, instead of taking them from the writer. A replica of an
-- earlier version, still running while a newer one migrates (a rolling upgrade),
-- writes rows without them: its creates failed (both list columns are NOT NULL
-- without a default), and its history entries were written unlinked, so the
-- releases it touched took no appends from newer replicas. Now every writer's rows
-- get the same columns, and the store's own statements no longer name them: these
-- triggers are the one place they are computed.

-- releases.components and releases.created_at are what the row's doc says, on every
-- insert and update (whatever it sets): the sorted, distinct names of the release's
-- components, and its creation time. A doc that is not UTF-8 JSON holding a
-- created_at timestamp is refused, as its created_at would be NULL (the reader
-- refuses such a doc anyway: it is not a release).
CREATE FUNCTION releases_derive_list_columns() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d jsonb := convert_from(NEW.doc, 'UTF8')::jsonb;
BEGIN
    NEW.components := ARRAY(
        SELECT DISTINCT (n #>> '{}') COLLATE "C"
        FROM jsonb_path_query(d, '$.components[*].name') AS n
        ORDER BY 1);
    -- Truncated to the microsecond, as pgx truncates the List filter's bounds
    -- (PostgreSQL would round the nanoseconds of the doc's text instead).
    NEW.created_at := regexp_replace(d ->> 'created_at', '(\.[0-9]{6})[0-9]+', '\1')::timestamptz;
    RETURN NEW;
END $$;

CREATE TRIGGER releases_list_columns BEFORE INSERT OR UPDATE ON releases
    FOR EACH ROW EXECUTE FUNCTION releases_derive_list_columns();

-- A history entry after the first is inserted linked to its predecessor,
-- (prev_release, prev_seq) = (release_id, seq - 1), whatever the insert says; the
-- first is inserted unlinked. The foreign key of 0006 then checks the predecessor
-- is stored, as before. Only inserts: the links that a removal sets to NULL (ON
-- DELETE / ON UPDATE SET NULL) stay NULL, and linking an entry again after a
-- removal stays an UPDATE someone makes after verifying the history.
CREATE FUNCTION history_derive_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq > 1 THEN
        NEW.prev_release := NEW.release_id;
        NEW.prev_seq := NEW.seq - 1;
    ELSE
        NEW.prev_release := NULL;
        NEW.prev_seq := NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER history_link BEFORE INSERT ON history
    FOR EACH ROW EXECUTE FUNCTION history_derive_link();

-- No row is rewritten by this migration. An earlier version could not create a release after
-- 0004 (its creates failed), and a release's components and creation time never
-- change after it is created (a history whose snapshot changes them does not
-- verify), so the stored columns agree with the docs. Entries written unlinked by a
-- replica from before 0006 after 0006 was applied stay unlinked: they cannot be told
-- apart from the mark a removal leaves, so their releases still need the repair the
-- package documentation gives (verify the history, then link the entry again).
