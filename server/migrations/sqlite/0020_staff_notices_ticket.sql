-- The notices already told about given tickets (a sync's new tickets,
-- `Store::ticket_notices_told`) are found by ticket, not by reading every
-- notice ever recorded.
CREATE INDEX staff_notices_ticket ON staff_notices (ticket_id);
