-- 0004 is the number of the list indexes' migration, which is written elsewhere;
-- this placeholder keeps the numbering without gaps until it lands, and is replaced
-- by it. It changes nothing.
SELECT 1;
