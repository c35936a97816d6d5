-- PostgreSQL's 0021 keeps ANALYZE off the wide rating columns; SQLite's
-- ANALYZE reads only indexes, so there is nothing to change here. The file
-- keeps both databases' migration numbers in step.
SELECT 1;
