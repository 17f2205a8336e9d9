-- Every statement that changes music.albums, whoever runs it (the consumers, `music db`, psql),
-- announces it on the channel music_albums_changed. PostgreSQL delivers a notification only when
-- its transaction commits, and folds a transaction's identical ones into one, so a listener
-- learns of each committed change exactly once and never of one that rolled back. The read APIs
-- keep encoded answers until they hear of a change (src/adapters/db/album-generations.ts). The
-- payload is empty: listeners only need to know that the table changed, not how.
CREATE OR REPLACE FUNCTION music.notify_albums_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('music_albums_changed', '');
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS albums_changed ON music.albums;
CREATE TRIGGER albums_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON music.albums
  FOR EACH STATEMENT EXECUTE FUNCTION music.notify_albums_changed();
