-- ANALYZE skips the columns no query filters, joins or groups on (the
-- rating's text as sent, its items, reasons and comment, the device's own
-- clock, a flag's detail) and the id, whose unique index already tells the
-- planner each value is distinct. On a growing ratings table the server
-- re-analyses every 20 % of growth (Store::refresh_statistics); computing
-- statistics of the wide text was a third of each ANALYZE's time
-- (docs/scale.md).
ALTER TABLE ratings
    ALTER COLUMN id SET STATISTICS 0,
    ALTER COLUMN payload SET STATISTICS 0,
    ALTER COLUMN items SET STATISTICS 0,
    ALTER COLUMN reasons SET STATISTICS 0,
    ALTER COLUMN comment SET STATISTICS 0,
    ALTER COLUMN device_time SET STATISTICS 0;
ALTER TABLE rating_flags ALTER COLUMN detail SET STATISTICS 0;
