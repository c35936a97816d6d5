-- 通报 reports: rollups kept in the ingest transaction, misuse flags, and
-- what the reports and the detectors need from the organisation.

-- The line (条线) a department belongs to, so one district's 人社局 and
-- another's share a row of the department × district matrix (seed 003
-- 附件3); 'public_service' marks water, power, gas, heat and telecom.
ALTER TABLE departments ADD COLUMN line TEXT;
-- A staff member's own phone and ID number, to recognise 自评.
ALTER TABLE staff ADD COLUMN phone TEXT;
ALTER TABLE staff ADD COLUMN id_no TEXT;
CREATE INDEX staff_phone ON staff (phone);
CREATE INDEX staff_id_no ON staff (id_no);

-- Misuse flags (seed 002 二(一)): one row per rating and reason. A rating
-- with a flag not reviewed, or reviewed as fraud, is not valid; nothing is
-- deleted. The review is per rating (every reason of it at once).
CREATE TABLE rating_flags (
    rating_id   TEXT NOT NULL REFERENCES ratings (id),
    reason      TEXT NOT NULL CHECK (reason IN ('self_evaluation', 'batch_phone', 'device_burst')),
    detail      TEXT NOT NULL,
    flagged_at  BIGINT NOT NULL,
    verdict     TEXT CHECK (verdict IN ('genuine', 'fraud')),
    reviewed_by BIGINT REFERENCES staff (id),
    reviewed_at BIGINT,
    review_note TEXT,
    PRIMARY KEY (rating_id, reason)
);
CREATE INDEX rating_flags_pending ON rating_flags (verdict, flagged_at);
CREATE INDEX ratings_phone_rated ON ratings (evaluator_phone, rated_at) WHERE evaluator_phone IS NOT NULL;
CREATE INDEX ratings_device_rated ON ratings (device_id, rated_at);

-- Rollups: additive counts (app::domain::metrics::Counts, the rating and
-- case part) per day (China time, days since 1970-01-01) and unit. Written
-- in the same transaction as the rows they count; `server --rebuild-rollups`
-- recomputes them from the raw tables. 0 stands for "none" in a key.
CREATE TABLE rollup_day (
    day            BIGINT NOT NULL,
    department_id  BIGINT NOT NULL,
    district_id    BIGINT NOT NULL,
    place_kind     TEXT NOT NULL,
    cases          BIGINT NOT NULL,
    rated_cases    BIGINT NOT NULL,
    ratings        BIGINT NOT NULL,
    valid          BIGINT NOT NULL,
    active         BIGINT NOT NULL,
    on_site_active BIGINT NOT NULL,
    good           BIGINT NOT NULL,
    bad            BIGINT NOT NULL,
    valid_bad      BIGINT NOT NULL,
    PRIMARY KEY (day, department_id, district_id, place_kind)
);

CREATE TABLE rollup_unit (
    day            BIGINT NOT NULL,
    department_id  BIGINT NOT NULL,
    district_id    BIGINT NOT NULL,
    place_id       BIGINT NOT NULL,
    window_id      BIGINT NOT NULL,
    staff_id       BIGINT NOT NULL,
    cases          BIGINT NOT NULL,
    rated_cases    BIGINT NOT NULL,
    ratings        BIGINT NOT NULL,
    valid          BIGINT NOT NULL,
    active         BIGINT NOT NULL,
    on_site_active BIGINT NOT NULL,
    good           BIGINT NOT NULL,
    bad            BIGINT NOT NULL,
    valid_bad      BIGINT NOT NULL,
    PRIMARY KEY (day, department_id, district_id, place_id, window_id, staff_id)
);
CREATE INDEX rollup_unit_department ON rollup_unit (department_id, day);
CREATE INDEX rollup_unit_window ON rollup_unit (window_id, day);

CREATE TABLE rollup_item (
    day             BIGINT NOT NULL,
    service_item_id BIGINT NOT NULL,
    department_id   BIGINT NOT NULL,
    district_id     BIGINT NOT NULL,
    cases           BIGINT NOT NULL,
    rated_cases     BIGINT NOT NULL,
    ratings         BIGINT NOT NULL,
    valid           BIGINT NOT NULL,
    active          BIGINT NOT NULL,
    on_site_active  BIGINT NOT NULL,
    good            BIGINT NOT NULL,
    bad             BIGINT NOT NULL,
    valid_bad       BIGINT NOT NULL,
    PRIMARY KEY (day, service_item_id, department_id, district_id)
);
