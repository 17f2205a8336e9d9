import type { AlbumChange, AlbumDeletion, AlbumUpsert } from '../../domain/batch.ts';
import { deleteAlbumRow, deleteAlbums } from './album-deletes.ts';
import { upsertAlbums } from './album-upsert.ts';
import type { Sql } from './client.ts';
import { unwatched, type Watch } from './query-deadline.ts';

/** The advisory-lock class of album changes; the second key is a slot of album ids. */
export const LOCK_CLASS = 0x6d75; // "mu"
/** Ids share this many lock slots: few enough per batch, many enough to rarely wait. */
const LOCK_SLOTS = 64;

export const slotOf = (id: number) => ((id % LOCK_SLOTS) + LOCK_SLOTS) % LOCK_SLOTS;

/**
 * Stores a batch's changes (at most one per id) in one transaction: deletions, then upserts.
 * Returns the ids whose rows changed, deleted ones included.
 *
 * Why the locks: an upsert and a delete of one id by two transactions at once (a member that lost
 * its partitions still storing while their new owner stores, or keyless updates on another
 * partition) would not see each other's uncommitted rows, and an older insert could outlive a
 * newer delete. Taking the ids' slots first, in order, makes such transactions take turns; the
 * one after sees the other's rows and tombstones, and the order guards decide.
 *
 * A slot is taken exclusively only for a deletion; upserts take theirs shared. Two upserts of one
 * id need no turns (the second waits for the first's row and its newer-event guard decides), and
 * batches of upserts, nearly all of them, would otherwise hold every slot (a batch of 1,000 ids
 * covers all 64) and store one member at a time, however many members the group has. Upserts go
 * in id order (upsertAlbums), so that two batches with ids in common lock their rows alike.
 */
export async function storeAlbumChanges(
  sql: Sql,
  changes: readonly AlbumChange[],
  watch: Watch = unwatched,
): Promise<number[]> {
  if (changes.length === 0) return [];
  const upserts: AlbumUpsert[] = [];
  const deletions: AlbumDeletion[] = [];
  for (const c of changes) {
    if ('album' in c) upserts.push(c);
    else deletions.push(c);
  }
  const exclusive = new Set(deletions.map((d) => slotOf(d.deletedId)));
  const slots = [...new Set([...exclusive, ...upserts.map((u) => slotOf(u.album.id))])];
  // 1 for a slot taken exclusively (postgres.js sends no boolean arrays).
  const exclusively = slots.map((s) => (exclusive.has(s) ? 1 : 0));
  return sql.begin(async (tx) => {
    // Sorted in a subquery, so that every transaction takes its slots in the same order. The
    // transaction's statements share one connection: watching the first watches them all.
    await watch(tx`
      select case when x = 1 then pg_advisory_xact_lock(${LOCK_CLASS}, s)
                  else pg_advisory_xact_lock_shared(${LOCK_CLASS}, s) end
      from (select s, x from unnest(${slots}::int4[], ${exclusively}::int4[]) as u(s, x)
            order by s) as sorted`);
    const deleted = await deleteAlbums(tx, deletions);
    const stored = await upsertAlbums(tx, upserts);
    return [...deleted, ...stored];
  });
}

/**
 * `music db delete`: deletes one album row outside Kafka (deleteAlbumRow) with its slot taken
 * exclusively, so that a consumer's upsert of the id takes turns with it as with a deletion.
 */
export function deleteStoredAlbum(sql: Sql, id: number): Promise<boolean> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_CLASS}, ${slotOf(id)})`;
    return deleteAlbumRow(tx, id);
  });
}
