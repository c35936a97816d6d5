-- Several servers on one database (issue 15). The periodic jobs run once
-- per tick cluster-wide: a server runs a tick only if it inserted its row.
CREATE TABLE job_ticks (
    tick BIGINT PRIMARY KEY,
    instance TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- Every new ticket is announced to every server's tablets' streams at its
-- commit (NOTIFY is transactional and delivered in commit order), so a
-- ticket whose id became visible after a higher one is never skipped.
CREATE FUNCTION hcp_notify_ticket() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('hcp_tickets', NEW.id::text);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_notify AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION hcp_notify_ticket();

-- Window pads connected to each server, so that any server knows whether a
-- window's pad is listening; a running server refreshes its rows.
CREATE TABLE pad_links (
    window_id BIGINT NOT NULL,
    instance TEXT NOT NULL,
    connections INTEGER NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (window_id, instance)
);
