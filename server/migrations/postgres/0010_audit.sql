-- The audit history of edits (issue 13 item 14): organisation units, staff
-- accounts, devices and cases, like the tickets' `ticket_events`. One line
-- per change, written in the change's own transaction: who (a staff
-- account, or NULL for an integration, a device or the system, with a
-- label), when, what, and the entity's fields before and after as small
-- JSON objects. Never a password hash, a token, an enrolment code or a
-- whole phone or ID number. Never updated or deleted.
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             BIGINT NOT NULL,
    actor_staff_id BIGINT REFERENCES staff (id),
    actor_label    TEXT NOT NULL,
    entity         TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    action         TEXT NOT NULL,
    before_json    TEXT,
    after_json     TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
