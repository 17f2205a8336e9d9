import type { Album } from './api.ts';

/** Where a write of this session stands: Kafka took it, or a consumer wrote it. */
export type RowStatus = 'accepted' | 'stored';

/** One line of the album table. */
export interface Row {
  album: Album;
  status?: RowStatus | undefined;
  /** Changed by someone a moment ago. */
  fresh?: boolean | undefined;
}
