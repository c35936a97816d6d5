-- PostgreSQL drops its ticket NOTIFY trigger here (new tickets are
-- announced by the server after commit); SQLite never had one.
SELECT 1;
