-- The 通报 figures reproduce the seeds (issue 13).

-- An extension the supervisor approved: the only thing that moves the
-- deadline a bad rating is assessed against (rectify::assessed_deadline).
ALTER TABLE tickets ADD COLUMN extended BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE tickets SET extended = TRUE WHERE EXISTS (
    SELECT 1 FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.action = 'decide'
    AND e.from_status = 'extension_requested' AND e.note LIKE '批准%');

-- When a case got its first rating (a citizen's or the 系统默认), kept at
-- ingest: the default-rating job and the reminders read the unrated cases
-- through a partial index instead of probing every rating of every case.
ALTER TABLE cases ADD COLUMN first_rated_at BIGINT;
UPDATE cases SET first_rated_at = (
    SELECT MIN(r.rated_at) FROM ratings r WHERE r.case_id = cases.id AND r.kind <> 'follow_up');
CREATE INDEX cases_unrated ON cases (finished_at) WHERE status = 'finished' AND first_rated_at IS NULL;
