-- Issue 16: the 12345 hotline's work orders and the HTTP SMS gateway go
-- through the same outbox as the provincial platform. SQLite cannot
-- change a CHECK in place and nothing references upstream_outbox, so it
-- is rebuilt.
CREATE TABLE upstream_outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    destination     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('rating', 'case', 'rectify', 'workorder', 'sms')),
    subject         TEXT NOT NULL,
    ref_id          TEXT NOT NULL,
    payload         TEXT,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
INSERT INTO upstream_outbox_new (id, destination, kind, subject, ref_id, payload, status, attempts,
        next_attempt_at, lease_until, last_error, created_at, sent_at)
    SELECT id, destination, kind, subject, ref_id, payload, status, attempts,
        next_attempt_at, lease_until, last_error, created_at, sent_at FROM upstream_outbox;
DROP TABLE upstream_outbox;
ALTER TABLE upstream_outbox_new RENAME TO upstream_outbox;
CREATE INDEX upstream_outbox_pending ON upstream_outbox (destination, id) WHERE status = 'pending';
CREATE INDEX upstream_outbox_subject ON upstream_outbox (destination, subject, id) WHERE status = 'pending';
CREATE INDEX upstream_outbox_ref ON upstream_outbox (ref_id, kind);
CREATE INDEX upstream_outbox_sent ON upstream_outbox (destination, sent_at) WHERE status = 'sent';
CREATE INDEX upstream_outbox_dead ON upstream_outbox (destination, id) WHERE status = 'dead';

-- Tickets of a region that routes its bad ratings through 12345 (002
-- 一(三)): the hotline contacts, verifies and invites the re-rating.
ALTER TABLE tickets ADD COLUMN via_hotline BOOLEAN NOT NULL DEFAULT FALSE;

-- Which regions route through a destination (`HCP_HOTLINE_REGIONS`,
-- written by the servers at start): a region's code, or '*' for all. A
-- ticket is routed when its place's region or an ancestor is listed.
CREATE TABLE upstream_routes (
    destination TEXT NOT NULL,
    region_code TEXT NOT NULL,
    PRIMARY KEY (destination, region_code)
);

-- The hotline's callback events applied, by the hotline's id: an event
-- sent again is answered `duplicate`; other content under a known id is
-- a conflict.
CREATE TABLE hotline_events (
    event_id    TEXT PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets (id),
    digest      TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- What the HTTP SMS gateway said of a message: its own id, and from its
-- delivery receipts whether the phone got it.
ALTER TABLE sms_outbox ADD COLUMN provider_id TEXT;
ALTER TABLE sms_outbox ADD COLUMN delivery TEXT CHECK (delivery IN ('sent', 'delivered', 'failed'));
ALTER TABLE sms_outbox ADD COLUMN delivery_at BIGINT;
ALTER TABLE sms_outbox ADD COLUMN delivery_error TEXT;
CREATE INDEX sms_outbox_provider ON sms_outbox (provider_id) WHERE provider_id IS NOT NULL;
