import { basename, sep } from 'node:path';
import type { FastifyStaticOptions } from '@fastify/static';
import type { FastifyReply } from 'fastify';

/** A year: what "never changes" means to caches (RFC 9111 gives no longer max-age meaning). */
const YEAR_S = 365 * 24 * 3600;

// Vite names each built asset after its content (index-0HJMMyvZ.js): a new build is a new URL,
// so an asset's answer can be cached for good. index.html names the current assets, so it is
// revalidated on every load (its ETag makes that a 304).
const HASHED = /-[\w-]{8}\.\w+$/;

/** Whether a file of the built UI carries its content's hash in its name. */
export function isHashedAsset(path: string): boolean {
  return path.includes(`${sep}assets${sep}`) && HASHED.test(basename(path));
}

/** @fastify/static's options for the built UI at `root`, with the cache headers above. */
export function uiStaticOptions(root: string): FastifyStaticOptions {
  return {
    root,
    wildcard: false,
    // Set here per file instead of send's one max-age for all.
    cacheControl: false,
    setHeaders: (reply: FastifyReply, path: string) => {
      reply.header(
        'cache-control',
        isHashedAsset(path) ? `public, max-age=${YEAR_S}, immutable` : 'no-cache',
      );
    },
  };
}
