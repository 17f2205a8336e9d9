-- The four albums every fresh catalogue starts with. Existing rows are left as they are.
INSERT INTO music.albums (id, title, artist, price) VALUES
  (1, 'Blue Train', 'John Coltrane', 56.99),
  (2, 'Giant Steps', 'John Coltrane', 63.99),
  (3, 'Jeru', 'Gerry Mulligan', 17.99),
  (4, 'Sarah Vaughan', 'Sarah Vaughan', 34.98)
ON CONFLICT (id) DO NOTHING;
