-- The web-burst detector reads a web endpoint's ratings at one window (or
-- the place, window 0) around a batch: `device_id = ? AND COALESCE(window_id,
-- 0) = ? AND client_hash IS NOT NULL` and a span of `rated_at`. The index
-- 0007 made for it, (device_id, window_id, rated_at), could serve only its
-- first column (the query compares COALESCE(window_id, 0), not window_id),
-- and neither database used it (`Store::endpoint_near_plan` on the old
-- schema): SQLite read the place's every window through
-- `ratings_device_rated`, PostgreSQL (sequential scans ruled out) every
-- web rating of the span through `ratings_client_rated`. Yet every rating,
-- a kiosk's as much as a phone's, was written into it. This one has the
-- query's own expression and holds web ratings only (with a client hash).
-- Building it reads the whole table with inserts held back; on a large
-- database, build it by hand first without holding them (CREATE INDEX
-- CONCURRENTLY IF NOT EXISTS ratings_endpoint_rated ...), and this finds it.
DROP INDEX IF EXISTS ratings_device_window_rated;
CREATE INDEX IF NOT EXISTS ratings_endpoint_rated ON ratings (device_id, COALESCE(window_id, 0), rated_at)
    WHERE client_hash IS NOT NULL;
