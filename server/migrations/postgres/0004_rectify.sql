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
    updated_by BIGINT REFERENCES staff (id),
    updated_at BIGINT NOT NULL
);

CREATE TABLE common_problems (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_by     TEXT NOT NULL CHECK (key_by IN ('window', 'service_item', 'reason')),
    key_value  TEXT NOT NULL,
    title      TEXT NOT NULL,
    place_id   BIGINT REFERENCES places (id),
    created_by BIGINT NOT NULL REFERENCES staff (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE tickets (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rating_id       TEXT NOT NULL UNIQUE REFERENCES ratings (id),
    place_id        BIGINT NOT NULL REFERENCES places (id),
    window_id       BIGINT REFERENCES windows (id),
    department_id   BIGINT REFERENCES departments (id),
    service_item_id BIGINT REFERENCES service_items (id),
    staff_id        BIGINT REFERENCES staff (id),
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
    common_id       BIGINT REFERENCES common_problems (id),
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
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets (id),
    actor_id    BIGINT REFERENCES staff (id),
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END;
$$;
CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

CREATE TABLE ticket_evidence (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id    BIGINT NOT NULL REFERENCES tickets (id),
    purpose      TEXT NOT NULL CHECK (purpose IN ('archive', 'appeal')),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    body         BYTEA NOT NULL,
    uploaded_by  BIGINT NOT NULL REFERENCES staff (id),
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX ticket_evidence_ticket ON ticket_evidence (ticket_id);

CREATE TABLE feedback_links (
    nonce      TEXT PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id),
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX feedback_links_ticket ON feedback_links (ticket_id);

-- The outbox learns a third purpose, 回访 (feedback).
ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_purpose_check;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_purpose_check
    CHECK (purpose IN ('invitation', 'reminder', 'feedback'));
ALTER TABLE sms_outbox ADD COLUMN ticket_id BIGINT REFERENCES tickets (id);
CREATE INDEX sms_outbox_ticket ON sms_outbox (ticket_id);
