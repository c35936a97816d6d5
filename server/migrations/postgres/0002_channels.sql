-- Devices: enrolment codes and revocable tokens, and the 'web' kind (the
-- place's phone/PC channel). Then cases, links, the SMS outbox and
-- integrations.
ALTER TABLE devices DROP CONSTRAINT devices_kind_check;
ALTER TABLE devices ADD CONSTRAINT devices_kind_check CHECK (kind IN ('kiosk', 'window_pad', 'web'));
ALTER TABLE devices ADD COLUMN token_hash TEXT UNIQUE;
ALTER TABLE devices ADD COLUMN enrol_code_hash TEXT UNIQUE;
ALTER TABLE devices ADD COLUMN enrol_expires_at BIGINT;
ALTER TABLE devices ADD COLUMN enrolled_at BIGINT;
ALTER TABLE devices ADD COLUMN revoked_at BIGINT;

-- Cases (办件) from business systems, CSV files and window staff; one row per
-- (source, case number). Applicant phone and ID are evaluator identity: never
-- in a window staff member's views.
CREATE TABLE cases (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          TEXT NOT NULL,
    case_no         TEXT NOT NULL,
    place_id        BIGINT NOT NULL REFERENCES places (id),
    window_id       BIGINT REFERENCES windows (id),
    service_item_id BIGINT REFERENCES service_items (id),
    staff_id        BIGINT REFERENCES staff (id),
    status          TEXT NOT NULL CHECK (status IN ('in_service', 'finished')),
    stages          BOOLEAN NOT NULL DEFAULT FALSE,
    applicant_phone TEXT,
    applicant_id_no TEXT,
    started_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (source, case_no)
);
CREATE INDEX cases_case_no ON cases (case_no);
CREATE INDEX cases_status_finished ON cases (status, finished_at);
CREATE INDEX cases_window_status ON cases (window_id, status);

-- 一次一评: kind says whether a rating is the case's first, a 追加评价 or
-- the 系统默认 made by the server; proactive is false for the latter.
ALTER TABLE ratings ADD COLUMN case_id BIGINT REFERENCES cases (id);
ALTER TABLE ratings ADD COLUMN stage TEXT;
ALTER TABLE ratings ADD COLUMN kind TEXT NOT NULL DEFAULT 'first'
    CHECK (kind IN ('first', 'follow_up', 'system_default'));
ALTER TABLE ratings ADD COLUMN proactive BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE ratings ADD COLUMN entered_by BIGINT REFERENCES staff (id);
ALTER TABLE ratings ADD COLUMN evaluator_phone TEXT;
ALTER TABLE ratings ADD COLUMN evaluator_id_no TEXT;
CREATE UNIQUE INDEX ratings_one_first_per_case_stage
    ON ratings (case_id, COALESCE(stage, ''))
    WHERE case_id IS NOT NULL AND kind <> 'follow_up';

-- Signed single-use links to rate one case (QR, SMS, PC). The token carries
-- the nonce and an HMAC; this row makes it single-use.
CREATE TABLE case_links (
    nonce      TEXT PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases (id),
    channel    TEXT NOT NULL CHECK (channel IN ('qr_case', 'sms', 'pc_web')),
    stage      TEXT,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    rating_id  TEXT
);
CREATE INDEX case_links_case ON case_links (case_id);

-- What the default SMS gateway "sends": a table an operator can read or
-- forward to a real gateway.
CREATE TABLE sms_outbox (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id    BIGINT REFERENCES cases (id),
    phone      TEXT NOT NULL,
    body       TEXT NOT NULL,
    link_nonce TEXT,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invitation', 'reminder')),
    created_at BIGINT NOT NULL
);
CREATE INDEX sms_outbox_case ON sms_outbox (case_id);

-- Business systems that push cases (POST /api/v1/cases), each with its token.
CREATE TABLE integrations (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

-- Server secrets made on first start (the link signing key).
CREATE TABLE app_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
