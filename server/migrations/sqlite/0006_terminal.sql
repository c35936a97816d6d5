-- The rating terminal and the staff who use it (issue 11).
-- Devices: recorded voice prompts on or off, and when each last spoke to
-- the server (a kiosk silent for a day is flagged to administrators).
ALTER TABLE devices ADD COLUMN voice BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE devices ADD COLUMN last_seen_at BIGINT;

-- Staff: 工号 and photo shown on the window pad during a service; the
-- notification choice of unit administrators (to their phone, kept since 0005) (new bad ratings,
-- deadlines near or passed: at once, as a daily digest, or not at all).
ALTER TABLE staff ADD COLUMN staff_no TEXT;
ALTER TABLE staff ADD COLUMN notify TEXT NOT NULL DEFAULT 'instant'
    CHECK (notify IN ('off', 'instant', 'digest'));
ALTER TABLE staff ADD COLUMN photo_id TEXT;
CREATE TABLE staff_photos (
    id           TEXT PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff (id),
    content_type TEXT NOT NULL,
    body         BLOB NOT NULL,
    created_at   BIGINT NOT NULL
);

-- A case rated on the window pad after 办结: its SMS invitation waits
-- until this time (or the clerk's next case), and goes only if unrated.
ALTER TABLE cases ADD COLUMN invite_due_at BIGINT;
CREATE INDEX cases_invite_due ON cases (invite_due_at) WHERE invite_due_at IS NOT NULL;

-- Notices to unit administrators, each sent once per ticket and kind
-- (new, contact_due, rectify_due, overdue) or per day (digest).
CREATE TABLE staff_notices (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id),
    ticket_id  INTEGER REFERENCES tickets (id),
    kind       TEXT NOT NULL,
    day        BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX staff_notices_once ON staff_notices (staff_id, COALESCE(ticket_id, 0), kind, COALESCE(day, 0));

-- The outbox learns the administrators' notices; SQLite cannot change a
-- CHECK in place and nothing references sms_outbox, so it is rebuilt.
CREATE TABLE sms_outbox_new (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER REFERENCES cases (id),
    phone      TEXT NOT NULL,
    body       TEXT NOT NULL,
    link_nonce TEXT,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invitation', 'reminder', 'feedback', 'alert', 'digest')),
    created_at BIGINT NOT NULL,
    ticket_id  INTEGER REFERENCES tickets (id),
    staff_id   INTEGER REFERENCES staff (id)
);
INSERT INTO sms_outbox_new (id, case_id, phone, body, link_nonce, purpose, created_at, ticket_id)
    SELECT id, case_id, phone, body, link_nonce, purpose, created_at, ticket_id FROM sms_outbox;
DROP TABLE sms_outbox;
ALTER TABLE sms_outbox_new RENAME TO sms_outbox;
CREATE INDEX sms_outbox_case ON sms_outbox (case_id);
CREATE INDEX sms_outbox_ticket ON sms_outbox (ticket_id);

-- The reports' hour × weekday heat map: the same counts as the other
-- rollups, per day and hour (China time). Filled by `server
-- rebuild-rollups` and, for a database that already holds ratings, once at
-- start-up (see Store::backfill_rollups).
CREATE TABLE rollup_hour (
    day            BIGINT NOT NULL,
    hour           BIGINT NOT NULL,
    department_id  BIGINT NOT NULL,
    district_id    BIGINT NOT NULL,
    cases          BIGINT NOT NULL,
    rated_cases    BIGINT NOT NULL,
    ratings        BIGINT NOT NULL,
    valid          BIGINT NOT NULL,
    active         BIGINT NOT NULL,
    on_site_active BIGINT NOT NULL,
    good           BIGINT NOT NULL,
    bad            BIGINT NOT NULL,
    valid_bad      BIGINT NOT NULL,
    PRIMARY KEY (day, hour, department_id, district_id)
);
