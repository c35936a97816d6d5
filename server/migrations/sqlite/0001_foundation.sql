-- Organisation, devices, ratings and staff sessions. Times are milliseconds
-- since the Unix epoch (UTC); ids made on devices are UUID text.

CREATE TABLE regions (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    level     TEXT NOT NULL CHECK (level IN ('city', 'district', 'town', 'village')),
    parent_id INTEGER REFERENCES regions (id)
);

CREATE TABLE departments (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    region_id INTEGER NOT NULL REFERENCES regions (id)
);

CREATE TABLE places (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('hall', 'town_centre', 'village_point')),
    region_id INTEGER NOT NULL REFERENCES regions (id)
);

CREATE TABLE windows (
    id            INTEGER PRIMARY KEY,
    place_id      INTEGER NOT NULL REFERENCES places (id),
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    department_id INTEGER REFERENCES departments (id),
    UNIQUE (place_id, code)
);

CREATE TABLE service_items (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id)
);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('window_staff', 'unit_admin', 'supervisor', 'system_admin')),
    department_id INTEGER REFERENCES departments (id),
    place_id      INTEGER REFERENCES places (id),
    window_id     INTEGER REFERENCES windows (id),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('kiosk', 'window_pad')),
    place_id      INTEGER NOT NULL REFERENCES places (id),
    window_id     INTEGER REFERENCES windows (id),
    dimension_set TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT NOT NULL
);

-- One row per rating id, holding the first content received under it.
-- level is the GB/T 39046-2020 A.8 code: 1 非常满意 … 5 非常不满意.
CREATE TABLE ratings (
    id            TEXT PRIMARY KEY,
    device_id     TEXT NOT NULL REFERENCES devices (id),
    device_seq    BIGINT NOT NULL,
    channel       TEXT NOT NULL,
    case_no       TEXT,
    place_id      INTEGER NOT NULL REFERENCES places (id),
    window_id     INTEGER REFERENCES windows (id),
    level         INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    grade         TEXT NOT NULL CHECK (grade IN ('good', 'medium', 'bad')),
    dimension_set TEXT NOT NULL,
    items         TEXT NOT NULL,
    reasons       TEXT NOT NULL,
    comment       TEXT NOT NULL,
    device_time   BIGINT NOT NULL,
    rated_at      BIGINT NOT NULL,
    received_at   BIGINT NOT NULL,
    payload       TEXT NOT NULL
);
CREATE INDEX ratings_place_grade_rated ON ratings (place_id, grade, rated_at);
CREATE INDEX ratings_window_grade_rated ON ratings (window_id, grade, rated_at);
CREATE INDEX ratings_device_seq ON ratings (device_id, device_seq);

-- Same id, different content: kept for review, never counted.
CREATE TABLE sync_conflicts (
    id          INTEGER PRIMARY KEY,
    rating_id   TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- Items that failed validation, as received: nothing a citizen entered is dropped.
CREATE TABLE sync_rejections (
    id          INTEGER PRIMARY KEY,
    device_id   TEXT NOT NULL,
    rating_id   TEXT,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
