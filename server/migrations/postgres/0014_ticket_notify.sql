-- New tickets are announced by the server that opened them, after their
-- commit, gathered per 50 ms (`push::TicketNotifier`): a NOTIFY in every
-- ticket-opening transaction took PostgreSQL's database-wide notify lock
-- at each commit and serialised them all under load.
DROP TRIGGER tickets_notify ON tickets;
DROP FUNCTION hcp_notify_ticket();
