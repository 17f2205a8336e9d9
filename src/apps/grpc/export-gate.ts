/**
 * How many exports (GetAlbumList, StreamAlbums) are answered at once. Each holds a pooled
 * connection and up to a catalogue's worth of memory until its client has read the answer, so
 * clients that never read could otherwise starve the other calls and grow the process without
 * bound (40 unread GetAlbumList calls grew it by 500 MB).
 */
export interface ExportGate {
  /** Takes a place, or returns false when every place is taken. */
  tryEnter(): boolean;
  /** Gives a place back; called once per place taken. */
  leave(): void;
}

/** Said to a client refused a place. */
export const EXPORTS_BUSY =
  'Too many exports (GetAlbumList, StreamAlbums) are being answered at once; retry later';

export function createExportGate(max: number): ExportGate {
  let taken = 0;
  return {
    tryEnter() {
      if (taken >= max) return false;
      taken += 1;
      return true;
    },
    leave() {
      taken = Math.max(0, taken - 1);
    },
  };
}

/**
 * At most half the pool goes to exports, so that slow readers cannot starve the other calls and
 * the health check.
 */
export const exportsFor = (poolMax: number): number => Math.max(1, Math.floor(poolMax / 2));
