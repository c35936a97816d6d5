-- A rating is its own subject (its id, never shared), so the claim never
-- has to look for an earlier pending record of it: the index that keeps a
-- subject's records in order leaves ratings out, and the sync ingest,
-- which queues every rating, maintains one index fewer.
DROP INDEX upstream_outbox_subject;
CREATE INDEX upstream_outbox_subject ON upstream_outbox (destination, subject, id)
    WHERE status = 'pending' AND kind <> 'rating';
