-- Dead letters the consumers keep until the dead-letter topic acknowledged them. A consumer
-- writes a batch's dead letters here before it commits the batch, and a relay in every consumer
-- publishes them in id order and deletes what the broker acknowledged: a dead-letter topic that
-- cannot be written for a while then never holds back the albums around them.
CREATE TABLE IF NOT EXISTS music.dead_letter_outbox (
  id         bigserial   PRIMARY KEY,
  -- The dead-letter topic the letter goes to (each deployment relays its own).
  topic      text        NOT NULL,
  -- Exactly the bytes of the source record; NULL stays NULL.
  key        bytea,
  value      bytea,
  -- JSON array of [name, value] pairs, as bytes: jsonb cannot hold U+0000, which header values may.
  headers    bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS dead_letter_outbox_topic_idx ON music.dead_letter_outbox (topic, id);
