-- `ratings_device_seq` (device_id, device_seq) served no query: nothing
-- reads ratings by their device's sequence number, and the one read by
-- device (the burst detector's, device and a span of rated_at) has
-- `ratings_device_rated`. Every rating was written into it all the same:
-- one B-tree insert fewer per rating on the hottest path (docs/scale.md).
DROP INDEX IF EXISTS ratings_device_seq;
