-- A misuse flag's rating is locked (key share) only when another
-- transaction could see it, that is when this transaction did not write it.
--
-- The ingest writes a merged group's ratings and their flags in one
-- transaction, and under a burst every rating is flagged: the check of
-- 0023 took a row lock on each rating just written, one heap write and one
-- WAL record (Heap/LOCK) per flag, for a row no other transaction can see
-- and so none can delete. `pg_waldump --stats=record` over 10 s of
-- `make cluster CLUSTER_LOAD=1` counted 230,739 Heap/LOCK records beside
-- 390,403 Heap/INSERT (docs/scale.md).
--
-- The guarantee is unchanged: a rating written by an earlier, committed
-- transaction is still locked, so a concurrent delete waits for the flag's
-- insert to commit and is then refused by `ratings_flagged`; a rating
-- written by this transaction is visible to no other one until the commit,
-- and a delete by this one is refused by the same trigger. A row written
-- under a savepoint carries the savepoint's id, not the transaction's, and
-- is locked as before.

CREATE OR REPLACE FUNCTION rating_flags_rating_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    PERFORM 1 FROM ratings
     WHERE id IN (SELECT rating_id FROM new_rows) AND xmin <> pg_current_xact_id()::xid
       FOR KEY SHARE;
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
