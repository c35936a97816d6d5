-- Organisation admin: units are deactivated, never deleted (ratings point
-- at them); public-service providers (water, power, gas, heat, telecom).
ALTER TABLE regions ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE departments ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE places ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE windows ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE service_items ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE providers (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('water', 'power', 'gas', 'heat', 'telecom')),
    region_id BIGINT NOT NULL REFERENCES regions (id),
    active    BOOLEAN NOT NULL DEFAULT TRUE
);
