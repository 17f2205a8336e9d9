import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { listAllAlbums } from '../../adapters/db/album-sql.ts';
import type { Sql } from '../../adapters/db/client.ts';
import { type Album, toCents } from '../../domain/album.ts';
import {
  AlbumSchema as AlbumMessage,
  GetAlbumsResponseSchema,
  type MusicService,
} from '../../gen/service/music_pb.js';
import { toConnectError } from './status.ts';

export const toMessage = (a: Album) =>
  create(AlbumMessage, {
    id: a.id,
    title: a.title,
    artist: a.artist,
    price: a.price,
    priceCents: toCents(a.price),
  });

/** service.MusicService on raw SQL. */
export function musicService(sql: Sql): ServiceImpl<typeof MusicService> {
  return {
    async getAlbumList() {
      try {
        const albums = await listAllAlbums(sql);
        return create(GetAlbumsResponseSchema, { albums: albums.map(toMessage) });
      } catch (err) {
        throw toConnectError(err);
      }
    },
  };
}
