-- A rating's references (its device, place, window, case and the staff
-- member who entered it) and a misuse flag's rating are checked once per
-- statement instead of once per row and key.
--
-- As foreign keys, every rating inserted ran five lookups, each taking a
-- key-share lock on its parent row (and every flag one more, on the rating
-- just written): about a fifth of the database's CPU under `make load`
-- (docs/scale.md). A merged write of 500 ratings names a handful of devices,
-- places and windows, so here each statement locks each parent it names
-- once, then looks for a name that matches none. The guarantees are the
-- foreign keys' own:
-- * an insert naming a missing parent fails with SQLSTATE 23503
--   (foreign_key_violation), as before;
-- * a parent named by a rating cannot be deleted, nor its id changed: the
--   insert's key-share lock makes a concurrent delete wait until the insert
--   commits, and then the delete's trigger sees the rating and refuses.
-- Ratings are never updated or deleted, nor a flag's rating changed; an
-- UPDATE is checked all the same (PostgreSQL allows no column list on a
-- trigger with a transition table, so any UPDATE of the table is).
-- SQLite keeps its foreign keys: its checks are index probes in the same
-- process, without locks.

ALTER TABLE ratings
    DROP CONSTRAINT ratings_device_id_fkey,
    DROP CONSTRAINT ratings_place_id_fkey,
    DROP CONSTRAINT ratings_window_id_fkey,
    DROP CONSTRAINT ratings_case_id_fkey,
    DROP CONSTRAINT ratings_entered_by_fkey;
ALTER TABLE rating_flags DROP CONSTRAINT rating_flags_rating_id_fkey;

CREATE FUNCTION ratings_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    PERFORM 1 FROM devices WHERE id IN (SELECT device_id FROM new_rows) FOR KEY SHARE;
    PERFORM 1 FROM places WHERE id IN (SELECT place_id FROM new_rows) FOR KEY SHARE;
    PERFORM 1 FROM windows WHERE id IN (SELECT window_id FROM new_rows) FOR KEY SHARE;
    PERFORM 1 FROM cases WHERE id IN (SELECT case_id FROM new_rows) FOR KEY SHARE;
    PERFORM 1 FROM staff WHERE id IN (SELECT entered_by FROM new_rows) FOR KEY SHARE;
    SELECT n.id INTO missing FROM new_rows n
     WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = n.device_id)
        OR NOT EXISTS (SELECT 1 FROM places p WHERE p.id = n.place_id)
        OR (n.window_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM windows w WHERE w.id = n.window_id))
        OR (n.case_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = n.case_id))
        OR (n.entered_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = n.entered_by))
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'rating % names a device, place, window, case or staff member that does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ratings_references_inserted AFTER INSERT ON ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ratings_references_exist();
CREATE TRIGGER ratings_references_updated AFTER UPDATE ON ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ratings_references_exist();

CREATE FUNCTION rating_flags_rating_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    PERFORM 1 FROM ratings WHERE id IN (SELECT rating_id FROM new_rows) FOR KEY SHARE;
    SELECT n.rating_id INTO missing FROM new_rows n
     WHERE NOT EXISTS (SELECT 1 FROM ratings r WHERE r.id = n.rating_id)
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'a flag names rating %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER rating_flags_rating_inserted AFTER INSERT ON rating_flags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rating_flags_rating_exists();
CREATE TRIGGER rating_flags_rating_updated AFTER UPDATE ON rating_flags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rating_flags_rating_exists();

-- The other side: a row that a rating (or a flag) names stays, id and all.
CREATE FUNCTION rated_row_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named BOOLEAN;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'devices' THEN
        named := EXISTS (SELECT 1 FROM ratings WHERE device_id = OLD.id);
    ELSIF TG_TABLE_NAME = 'places' THEN
        named := EXISTS (SELECT 1 FROM ratings WHERE place_id = OLD.id);
    ELSIF TG_TABLE_NAME = 'windows' THEN
        named := EXISTS (SELECT 1 FROM ratings WHERE window_id = OLD.id);
    ELSIF TG_TABLE_NAME = 'cases' THEN
        named := EXISTS (SELECT 1 FROM ratings WHERE case_id = OLD.id);
    ELSIF TG_TABLE_NAME = 'staff' THEN
        named := EXISTS (SELECT 1 FROM ratings WHERE entered_by = OLD.id);
    ELSE
        named := EXISTS (SELECT 1 FROM rating_flags WHERE rating_id = OLD.id);
    END IF;
    IF named THEN
        RAISE EXCEPTION '% % is named by a rating and cannot be removed or renumbered', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER devices_rated BEFORE DELETE OR UPDATE OF id ON devices FOR EACH ROW EXECUTE FUNCTION rated_row_kept();
CREATE TRIGGER places_rated BEFORE DELETE OR UPDATE OF id ON places FOR EACH ROW EXECUTE FUNCTION rated_row_kept();
CREATE TRIGGER windows_rated BEFORE DELETE OR UPDATE OF id ON windows FOR EACH ROW EXECUTE FUNCTION rated_row_kept();
CREATE TRIGGER cases_rated BEFORE DELETE OR UPDATE OF id ON cases FOR EACH ROW EXECUTE FUNCTION rated_row_kept();
CREATE TRIGGER staff_rated BEFORE DELETE OR UPDATE OF id ON staff FOR EACH ROW EXECUTE FUNCTION rated_row_kept();
CREATE TRIGGER ratings_flagged BEFORE DELETE OR UPDATE OF id ON ratings FOR EACH ROW EXECUTE FUNCTION rated_row_kept();
