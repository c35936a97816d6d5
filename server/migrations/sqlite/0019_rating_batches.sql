-- The sync ingest queues its new ratings for the provincial platform as
-- one row per stored batch (their ids, a JSON array), not one outbox row
-- per rating: the ingest transaction writes one small row instead of
-- hundreds of indexed ones. The delivery worker expands a batch into the
-- per-rating records of upstream_outbox (deleting the batch in the same
-- transaction, so each rating is queued exactly once) just before it
-- claims; reads that need per-rating state (the export, the 通报's
-- undelivered count) expand what is waiting first.
CREATE TABLE upstream_rating_batches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    rating_ids  TEXT NOT NULL,
    n           INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
