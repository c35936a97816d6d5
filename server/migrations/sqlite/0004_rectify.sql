-- The bad-rating closed loop (整改闭环): tickets, their append-only audit
-- log, evidence files, feedback links, common problems and the editable
-- working-day calendar.

CREATE TABLE calendar_years (
    year      INTEGER PRIMARY KEY,
    seeded_at BIGINT NOT NULL
);

CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       TEXT NOT NULL,
    updated_by INTEGER REFERENCES staff (id),
    updated_at BIGINT NOT NULL
);

CREATE TABLE common_problems (
    id         INTEGER PRIMARY KEY,
    key_by     TEXT NOT NULL CHECK (key_by IN ('window', 'service_item', 'reason')),
    key_value  TEXT NOT NULL,
    title      TEXT NOT NULL,
    place_id   INTEGER REFERENCES places (id),
    created_by INTEGER NOT NULL REFERENCES staff (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    rating_id       TEXT NOT NULL UNIQUE REFERENCES ratings (id),
    place_id        INTEGER NOT NULL REFERENCES places (id),
    window_id       INTEGER REFERENCES windows (id),
    department_id   INTEGER REFERENCES departments (id),
    service_item_id INTEGER REFERENCES service_items (id),
    staff_id        INTEGER REFERENCES staff (id),
    status          TEXT NOT NULL,
    opened_at       BIGINT NOT NULL,
    has_phone       BOOLEAN NOT NULL,
    contact_due     BIGINT NOT NULL,
    appeal_due      BIGINT NOT NULL,
    rectify_due     BIGINT,
    contacted_at    BIGINT,
    verdict         TEXT,
    proposed        TEXT,
    appealed        BOOLEAN NOT NULL DEFAULT FALSE,
    resume          TEXT,
    requested_due   BIGINT,
    outcome         TEXT,
    description     TEXT,
    archived_at     BIGINT,
    on_time         BOOLEAN,
    spot_check      BOOLEAN,
    feedback_level  INTEGER,
    closed_at       BIGINT,
    common_id       INTEGER REFERENCES common_problems (id),
    version         INTEGER NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX tickets_status ON tickets (status);
CREATE INDEX tickets_place_opened ON tickets (place_id, opened_at);
CREATE INDEX tickets_department_opened ON tickets (department_id, opened_at);
CREATE INDEX tickets_window ON tickets (window_id);
CREATE INDEX tickets_staff ON tickets (staff_id);
CREATE INDEX ratings_bad ON ratings (received_at) WHERE grade = 'bad';

-- Who did what, when, from which state to which: never updated or deleted.
CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    actor_id    INTEGER REFERENCES staff (id),
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;

CREATE TABLE ticket_evidence (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
    purpose      TEXT NOT NULL CHECK (purpose IN ('archive', 'appeal')),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    body         BLOB NOT NULL,
    uploaded_by  INTEGER NOT NULL REFERENCES staff (id),
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX ticket_evidence_ticket ON ticket_evidence (ticket_id);

CREATE TABLE feedback_links (
    nonce      TEXT PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX feedback_links_ticket ON feedback_links (ticket_id);

-- The outbox learns a third purpose, 回访 (feedback): SQLite cannot change
-- a CHECK in place, and nothing references sms_outbox, so it is rebuilt.
CREATE TABLE sms_outbox_new (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER REFERENCES cases (id),
    phone      TEXT NOT NULL,
    body       TEXT NOT NULL,
    link_nonce TEXT,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invitation', 'reminder', 'feedback')),
    created_at BIGINT NOT NULL,
    ticket_id  INTEGER REFERENCES tickets (id)
);
INSERT INTO sms_outbox_new (id, case_id, phone, body, link_nonce, purpose, created_at)
    SELECT id, case_id, phone, body, link_nonce, purpose, created_at FROM sms_outbox;
DROP TABLE sms_outbox;
ALTER TABLE sms_outbox_new RENAME TO sms_outbox;
CREATE INDEX sms_outbox_case ON sms_outbox (case_id);
CREATE INDEX sms_outbox_ticket ON sms_outbox (ticket_id);
