-- The REST API sorts listings by title, artist or price (sort=-price,title) and pages them by
-- keyset: each page is `(field, id) > (last values)` in (field, id) order, ties broken by id in
-- the direction of the field. One index per field, read forwards or backwards, makes every page
-- of a one-field sort an index range scan however deep it is. Sorts by several fields with
-- mixed directions are rarer and sort what the filter finds. Indexes need no grants.
-- (The artist sort is by the name as stored; albums_artist_lower_idx serves the artist filter.)
CREATE INDEX IF NOT EXISTS albums_title_id_idx ON music.albums (title, id);
CREATE INDEX IF NOT EXISTS albums_artist_id_idx ON music.albums (artist, id);
CREATE INDEX IF NOT EXISTS albums_price_id_idx ON music.albums (price, id);
