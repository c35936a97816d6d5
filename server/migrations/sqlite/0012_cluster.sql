-- Several servers on one database (issue 15). The periodic jobs run once
-- per tick cluster-wide: a server runs a tick only if it inserted its row.
CREATE TABLE job_ticks (
    tick BIGINT PRIMARY KEY,
    instance TEXT NOT NULL,
    at BIGINT NOT NULL
);
