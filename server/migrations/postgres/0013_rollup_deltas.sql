-- Rollup deltas (issue 15, item 2): every write that changes a rollup
-- appends its aggregated counts here (no key, no conflict, no row lock)
-- instead of upserting the rollup's hot rows inside its transaction, where
-- concurrent batches of one hall queued on the same rows. Reports sum a
-- rollup and its deltas, so they stay exact; the periodic fold
-- (Store::fold_rollups) moves the deltas into the rollup in one statement.
CREATE TABLE rollup_day_delta (LIKE rollup_day);
CREATE TABLE rollup_unit_delta (LIKE rollup_unit);
CREATE TABLE rollup_item_delta (LIKE rollup_item);
CREATE TABLE rollup_hour_delta (LIKE rollup_hour);
