-- The artist filter of both read APIs (gRPC ListAlbums/StreamAlbums and REST ?artist=) compares
-- names case-insensitively and pages in id order: this index answers both without a table scan.
-- Title and free-text search (?q=) stay scans: a trigram index would tax every upsert of the
-- write path for a search that scans a catalogue of this size in milliseconds.
CREATE INDEX IF NOT EXISTS albums_artist_lower_idx ON music.albums (lower(artist), id);
