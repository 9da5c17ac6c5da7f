-- 0002: bookings found by period. Book (which enforces an environment's capacity
-- under a per-environment lock) and Bookings look up the bookings of an environment
-- that overlap a period through this index in O(log n + k), instead of walking every
-- earlier booking of the environment. The period is closed at both ends so that it
-- finds every booking the exact times could select (the store decides on them after).
CREATE INDEX bookings_environment_period ON bookings
    USING gist (environment, tstzrange(start_at, end_at, '[]'));
