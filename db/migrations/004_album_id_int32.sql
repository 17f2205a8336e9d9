-- Album ids are any int32 but 0, as the original's plain `integer` column took them: its REST
-- testers send random int32 ids. 0 stays out: it is protobuf's "not set", the id of no album.
-- Idempotent like every migration: the same file runs for `npm start`, Compose and Kubernetes.
ALTER TABLE music.albums DROP CONSTRAINT IF EXISTS albums_id_check;
ALTER TABLE music.albums DROP CONSTRAINT IF EXISTS albums_id_not_zero;
ALTER TABLE music.albums ADD CONSTRAINT albums_id_not_zero CHECK (id <> 0);
-- Ids the REST API allocates stay positive: the sequence neither starts below 1 nor wraps.
ALTER SEQUENCE music.album_id_seq MINVALUE 1 NO CYCLE;
