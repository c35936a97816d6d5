-- Upstream delivery (issue 16): whatever must leave for another system
-- (the provincial platform; later the 12345 hotline and an SMS gateway)
-- is written here in the same transaction as the change that caused it,
-- so nothing is lost when a server dies between commit and send. The
-- delivery worker (`server/src/upstream.rs`) leases due rows, sends them
-- with their key and marks them sent, retried later or dead.

-- The destinations this deployment queues for, written by the servers at
-- start from their settings: ingest queues a rating only for an enabled one.
CREATE TABLE upstream_destinations (
    name       TEXT PRIMARY KEY,
    enabled    BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at BIGINT NOT NULL
);

CREATE TABLE upstream_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    destination     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('rating', 'case', 'rectify')),
    -- Records of one subject (a ticket's steps) arrive in id order.
    subject         TEXT NOT NULL,
    -- The rating id, case id or ticket event id the record is built from.
    ref_id          TEXT NOT NULL,
    -- A snapshot taken at the change, for sources that change later.
    payload         TEXT,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- A worker holds a claimed row until then; a worker that died lets go.
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX upstream_outbox_pending ON upstream_outbox (destination, id) WHERE status = 'pending';
CREATE INDEX upstream_outbox_subject ON upstream_outbox (destination, subject, id) WHERE status = 'pending';
CREATE INDEX upstream_outbox_ref ON upstream_outbox (ref_id, kind);
CREATE INDEX upstream_outbox_sent ON upstream_outbox (destination, sent_at) WHERE status = 'sent';
CREATE INDEX upstream_outbox_dead ON upstream_outbox (destination, id) WHERE status = 'dead';

-- Bad ratings the province forwards (static QR codes not linked to a case,
-- 000 二): the platform's id and the rating made of it. A forwarded rating
-- is never sent back upstream; its rectification steps are.
CREATE TABLE inbound_ratings (
    source      TEXT NOT NULL,
    upstream_id TEXT NOT NULL,
    rating_id   TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (source, upstream_id)
);
CREATE INDEX inbound_ratings_rating ON inbound_ratings (rating_id);
