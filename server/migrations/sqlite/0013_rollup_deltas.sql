-- Rollup deltas (issue 15, item 2): every write that changes a rollup
-- appends its aggregated counts here (no key, no conflict, no row lock)
-- instead of upserting the rollup's hot rows inside its transaction.
-- Reports sum a rollup and its deltas, so they stay exact; the periodic
-- fold (Store::fold_rollups) moves the deltas into the rollup in one
-- transaction.
CREATE TABLE rollup_day_delta AS SELECT * FROM rollup_day WHERE 0;
CREATE TABLE rollup_unit_delta AS SELECT * FROM rollup_unit WHERE 0;
CREATE TABLE rollup_item_delta AS SELECT * FROM rollup_item WHERE 0;
CREATE TABLE rollup_hour_delta AS SELECT * FROM rollup_hour WHERE 0;
