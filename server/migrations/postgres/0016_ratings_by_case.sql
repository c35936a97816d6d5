-- A window's current case (the pad's stream, the clerk's tablet) and each
-- case's rating count ask the ratings of each case. Without an index on
-- case_id every case scanned the whole ratings table: after a 10,000-case
-- import a window pad took 25 s to connect (found by the browser tests).
CREATE INDEX ratings_case ON ratings (case_id) WHERE case_id IS NOT NULL;
