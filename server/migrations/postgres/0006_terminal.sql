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
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    content_type TEXT NOT NULL,
    body         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);

-- A case rated on the window pad after 办结: its SMS invitation waits
-- until this time (or the clerk's next case), and goes only if unrated.
ALTER TABLE cases ADD COLUMN invite_due_at BIGINT;
CREATE INDEX cases_invite_due ON cases (invite_due_at) WHERE invite_due_at IS NOT NULL;

-- Notices to unit administrators, each sent once per ticket and kind
-- (new, contact_due, rectify_due, overdue) or per day (digest).
CREATE TABLE staff_notices (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id   BIGINT NOT NULL REFERENCES staff (id),
    ticket_id  BIGINT REFERENCES tickets (id),
    kind       TEXT NOT NULL,
    day        BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX staff_notices_once ON staff_notices (staff_id, COALESCE(ticket_id, 0), kind, COALESCE(day, 0));

-- The outbox learns the administrators' notices.
ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_purpose_check;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_purpose_check
    CHECK (purpose IN ('invitation', 'reminder', 'feedback', 'alert', 'digest'));
ALTER TABLE sms_outbox ADD COLUMN staff_id BIGINT REFERENCES staff (id);

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
