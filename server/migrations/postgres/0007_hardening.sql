-- Hardening (issue 12).
-- Misuse flags learn three reasons: web bursts per client address and per
-- window or place, and kiosk or pad ratings dated before enrolment or
-- beyond the offline window.
ALTER TABLE rating_flags DROP CONSTRAINT rating_flags_reason_check;
ALTER TABLE rating_flags ADD CONSTRAINT rating_flags_reason_check
    CHECK (reason IN ('self_evaluation', 'batch_phone', 'device_burst', 'address_burst', 'web_burst', 'late'));

-- A web rating's client address, only as a keyed hash (HMAC with the
-- server's key): enough to see a burst from one address, not to know it.
ALTER TABLE ratings ADD COLUMN client_hash TEXT;
CREATE INDEX ratings_client_rated ON ratings (client_hash, rated_at) WHERE client_hash IS NOT NULL;
CREATE INDEX ratings_device_window_rated ON ratings (device_id, window_id, rated_at);

-- Sessions end after a while untouched, and are purged once over.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;

-- Wrong passwords per account (the lockout), and wrong enrolment codes
-- per device (the code is burnt after a few).
CREATE TABLE login_failures (
    username     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    since        BIGINT NOT NULL,
    locked_until BIGINT
);
ALTER TABLE devices ADD COLUMN enrol_failures INTEGER NOT NULL DEFAULT 0;

-- Who looked at a whole phone number in the SMS outbox, and when.
CREATE TABLE outbox_reveals (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sms_id      BIGINT NOT NULL REFERENCES sms_outbox (id),
    staff_id    BIGINT NOT NULL REFERENCES staff (id),
    revealed_at BIGINT NOT NULL
);
