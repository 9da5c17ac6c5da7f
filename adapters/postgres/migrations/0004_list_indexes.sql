-- 0004: List served by indexes. Each filter field of release.Filter that selects
-- releases by what they are gets an index that returns them in ID order (the order
-- List pages in), so a selective filter with a LIMIT reads its matches and not the
-- table: name, environment and state with the ID as a second column; components, a
-- new column (the names of the release's components) with a GIN index for
-- containment; created_at, a new column (the release's creation time, which never
-- changes), for creation ranges. The new columns are filled from each row's doc, in
-- the transaction that migrates; the store writes them with every release after.
ALTER TABLE releases ADD COLUMN components text[] NOT NULL DEFAULT '{}';
ALTER TABLE releases ADD COLUMN created_at timestamptz;

UPDATE releases SET
    components = ARRAY(
        SELECT DISTINCT c->>'name'
        FROM jsonb_array_elements(COALESCE(convert_from(doc, 'UTF8')::jsonb->'components', '[]')) AS c
        ORDER BY 1),
    created_at = (convert_from(doc, 'UTF8')::jsonb->>'created_at')::timestamptz;

ALTER TABLE releases ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE releases ALTER COLUMN components DROP DEFAULT;

CREATE INDEX releases_name_id ON releases (name, id);
CREATE INDEX releases_environment_id ON releases (environment, id);
CREATE INDEX releases_state_id ON releases (state, id);
-- fastupdate off: a new release goes into the GIN index at once, rather than into a
-- pending list that every search reads in full until a vacuum merges it.
CREATE INDEX releases_components ON releases USING gin (components) WITH (fastupdate = off);
CREATE INDEX releases_created_at_id ON releases (created_at, id);
