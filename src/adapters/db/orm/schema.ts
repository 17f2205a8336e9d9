import { sql } from 'drizzle-orm';
import { bigint, integer, numeric, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

/** The Drizzle view of db/migrations; a test compares it with the migrated database. */
export const music = pgSchema('music');

export const albums = music.table('albums', {
  id: integer('id').primaryKey(),
  title: text('title').notNull(),
  artist: text('artist').notNull(),
  price: numeric('price', { precision: 10, scale: 2 }).notNull().default('0'),
  eventTime: timestamp('event_time', { withTimezone: true, mode: 'string' })
    .notNull()
    .default(sql`'-infinity'`),
  eventPartition: integer('event_partition').notNull().default(-1),
  eventOffset: bigint('event_offset', { mode: 'bigint' }).notNull().default(-1n),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
