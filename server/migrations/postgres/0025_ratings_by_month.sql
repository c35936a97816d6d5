-- Ratings are partitioned by month on PostgreSQL (docs/scale.md): a
-- province's year is ~800 M ratings, and a month's partition keeps its
-- indexes within the working set and can be archived by DETACH PARTITION.
--
-- The partition key is the rating's id itself. Every rating id is a UUIDv7
-- (the domain refuses others): its first 48 bits are the milliseconds of
-- the clock that made it, written as the first 12 hex digits, so ids sort
-- by that time as text and a month is a range of ids. Because the key is
-- the id, the primary key (id) stays unique across all months, and the
-- exactly-once rule of sync (INSERT … ON CONFLICT (id) DO NOTHING) and the
-- tickets' foreign key to ratings(id) hold as before: a retried rating is
-- routed by its id to the same partition, whatever the time.
--
-- A month is the China-time calendar month (UTC+8) of the id's time: the
-- rating's own month, unless the device's clock was wrong when it rated.
-- Ids of months that have no partition (a clock years off) go to
-- `ratings_other`, the default partition, and are counted like the rest.
-- `rating_months(from, to)` makes the months of a span; the periodic jobs
-- keep the coming three made (server/src/jobs.rs).
--
-- PostgreSQL allows no unique index on a partitioned table that leaves out
-- the partition key, so 一次一评's ratings_one_first_per_case_stage (one
-- first rating per case and stage) becomes the primary key of its own
-- table, `case_first_ratings`, kept by triggers in the statement that
-- writes the ratings: a second first rating fails with the same
-- constraint name and SQLSTATE 23505 as before.

-- The smallest id made at `at_ms` (0 for earlier times).
CREATE FUNCTION rating_id_floor(at_ms BIGINT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-0000-0000-000000000000'
      FROM (SELECT lpad(to_hex(GREATEST(at_ms, 0)), 12, '0') AS h) AS hex
$$;

-- The time in a UUIDv7's text, in milliseconds.
CREATE FUNCTION rating_id_ms(id TEXT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT ('x' || substr(id, 1, 8) || substr(id, 10, 4))::bit(48)::bigint
$$;

-- The start of the China-time month `plus` months after the one holding
-- `at_ms`, in milliseconds.
CREATE FUNCTION china_month_start(at_ms BIGINT, plus INTEGER) RETURNS BIGINT
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT (extract(epoch FROM date_trunc('month', to_timestamp(at_ms / 1000.0 + 28800) AT TIME ZONE 'UTC')
            + make_interval(months => plus)) * 1000)::bigint - 28800000
$$;

ALTER TABLE tickets DROP CONSTRAINT tickets_rating_id_fkey;
ALTER TABLE ratings RENAME TO ratings_unpartitioned;
ALTER TABLE ratings_unpartitioned DROP CONSTRAINT ratings_pkey;
DROP INDEX ratings_bad, ratings_case, ratings_client_rated, ratings_device_rated, ratings_endpoint_rated,
    ratings_one_first_per_case_stage, ratings_phone_rated, ratings_place_grade_rated, ratings_window_grade_rated;
DROP TRIGGER ratings_flagged ON ratings_unpartitioned;
DROP TRIGGER ratings_references_inserted ON ratings_unpartitioned;
DROP TRIGGER ratings_references_updated ON ratings_unpartitioned;

CREATE TABLE ratings (LIKE ratings_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (id);
ALTER TABLE ratings ADD CONSTRAINT ratings_pkey PRIMARY KEY (id);
-- As migration 0021: values the planner never needs are not sampled.
ALTER TABLE ratings
    ALTER COLUMN id SET STATISTICS 0,
    ALTER COLUMN items SET STATISTICS 0,
    ALTER COLUMN reasons SET STATISTICS 0,
    ALTER COLUMN comment SET STATISTICS 0,
    ALTER COLUMN device_time SET STATISTICS 0,
    ALTER COLUMN payload SET STATISTICS 0;
CREATE TABLE ratings_other PARTITION OF ratings DEFAULT;

CREATE INDEX ratings_bad ON ratings (received_at) WHERE grade = 'bad';
CREATE INDEX ratings_case ON ratings (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX ratings_client_rated ON ratings (client_hash, rated_at) WHERE client_hash IS NOT NULL;
CREATE INDEX ratings_device_rated ON ratings (device_id, rated_at);
CREATE INDEX ratings_endpoint_rated ON ratings (device_id, COALESCE(window_id, 0), rated_at)
    WHERE client_hash IS NOT NULL;
CREATE INDEX ratings_phone_rated ON ratings (evaluator_phone, rated_at) WHERE evaluator_phone IS NOT NULL;
CREATE INDEX ratings_place_grade_rated ON ratings (place_id, grade, rated_at);
CREATE INDEX ratings_window_grade_rated ON ratings (window_id, grade, rated_at);

-- A partition's indexes are named after the table's, with the month
-- (ratings_place_grade_rated_2026_12), so that plans say which they use.
CREATE FUNCTION rating_partition_indexes_named(part TEXT) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    idx RECORD;
BEGIN
    FOR idx IN SELECT c.relname AS child, p.relname AS parent
                 FROM pg_index x
                 JOIN pg_class c ON c.oid = x.indexrelid
                 JOIN pg_inherits i ON i.inhrelid = x.indexrelid
                 JOIN pg_class p ON p.oid = i.inhparent
                WHERE x.indrelid = part::regclass LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', idx.child, idx.parent || substr(part, length('ratings') + 1));
    END LOOP;
END
$$;
SELECT rating_partition_indexes_named('ratings_other');

CREATE TRIGGER ratings_flagged BEFORE DELETE OR UPDATE OF id ON ratings
    FOR EACH ROW EXECUTE FUNCTION rated_row_kept();
CREATE TRIGGER ratings_references_inserted AFTER INSERT ON ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ratings_references_exist();
CREATE TRIGGER ratings_references_updated AFTER UPDATE ON ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ratings_references_exist();

-- 一次一评: one first rating (or 系统默认) per case and stage.
CREATE TABLE case_first_ratings (
    case_id   BIGINT NOT NULL,
    stage     TEXT NOT NULL,
    rating_id TEXT NOT NULL,
    CONSTRAINT ratings_one_first_per_case_stage PRIMARY KEY (case_id, stage)
);

CREATE FUNCTION case_first_ratings_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM case_first_ratings f USING old_rows o
         WHERE f.rating_id = o.id AND f.case_id = o.case_id AND f.stage = COALESCE(o.stage, '');
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO case_first_ratings (case_id, stage, rating_id)
        SELECT case_id, COALESCE(stage, ''), id FROM new_rows
         WHERE case_id IS NOT NULL AND kind <> 'follow_up';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ratings_case_first_inserted AFTER INSERT ON ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_first_ratings_kept();
CREATE TRIGGER ratings_case_first_updated AFTER UPDATE ON ratings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION case_first_ratings_kept();
CREATE TRIGGER ratings_case_first_deleted AFTER DELETE ON ratings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION case_first_ratings_kept();

-- Makes the month partitions of [from_ms, to_ms] that do not exist yet and
-- returns how many it made. One server at a time (an advisory lock); a
-- month is left to the default partition when ids of it are there already
-- (PostgreSQL could not make it), and skipped for this call when the
-- table lock does not come within a second (running statements hold it:
-- the next call makes it; the jobs make months three ahead).
CREATE FUNCTION rating_months(from_ms BIGINT, to_ms BIGINT) RETURNS INTEGER
LANGUAGE plpgsql SET lock_timeout = '60s' AS $$
DECLARE
    lo BIGINT := china_month_start(from_ms, 0);
    hi BIGINT;
    part TEXT;
    made INTEGER := 0;
    col TEXT;
BEGIN
    IF to_ms - from_ms > 366::bigint * 3 * 86400000 THEN
        RAISE EXCEPTION 'rating_months: a span of more than three years' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Another server making months holds this for at most about a second
    -- a month; then the table lock is waited for a second at most (the
    -- function's SET clause restores the caller's timeout on return).
    PERFORM pg_advisory_xact_lock(hashtext('rating_months'));
    PERFORM set_config('lock_timeout', '1s', true);
    WHILE lo <= to_ms LOOP
        hi := china_month_start(lo, 1);
        part := 'ratings_' || to_char(to_timestamp(lo / 1000.0 + 28800) AT TIME ZONE 'UTC', 'YYYY_MM');
        IF to_regclass(part) IS NULL AND NOT EXISTS (
            SELECT 1 FROM ratings_other WHERE id >= rating_id_floor(lo) AND id < rating_id_floor(hi)
        ) THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I PARTITION OF ratings FOR VALUES FROM (%L) TO (%L)',
                               part, rating_id_floor(lo), rating_id_floor(hi));
                PERFORM rating_partition_indexes_named(part);
                FOR col IN SELECT attname FROM pg_attribute
                            WHERE attrelid = 'ratings'::regclass AND attnum > 0 AND attstattarget = 0 LOOP
                    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET STATISTICS 0', part, col);
                END LOOP;
                made := made + 1;
            EXCEPTION WHEN lock_not_available OR check_violation THEN
                NULL;
            END;
        END IF;
        lo := hi;
    END LOOP;
    RETURN made;
END
$$;

-- The months of the ratings already stored (each a few, or none in a new
-- database), and this month with the next three.
DO $$
DECLARE
    m BIGINT;
BEGIN
    FOR m IN SELECT DISTINCT china_month_start(rating_id_ms(id), 0) FROM ratings_unpartitioned
              WHERE id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-' LOOP
        PERFORM rating_months(m, m);
    END LOOP;
    PERFORM rating_months((extract(epoch FROM now()) * 1000)::bigint,
                          china_month_start((extract(epoch FROM now()) * 1000)::bigint, 3));
END
$$;

INSERT INTO ratings SELECT * FROM ratings_unpartitioned;
DROP TABLE ratings_unpartitioned;
ALTER TABLE tickets ADD CONSTRAINT tickets_rating_id_fkey FOREIGN KEY (rating_id) REFERENCES ratings (id);
