import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A route's onSend hook that tags a 200 answer with a weak ETag of its body and of the headers
 * that describe it (`alsoOf`), and answers 304 with no body when `If-None-Match` names that tag.
 * Weak (RFC 9110 8.8.1): the same JSON whatever its compression. Hashing the serialized body
 * costs microseconds for a page and needs no version column; the query still runs, but a client
 * that polls transfers nothing that it already has. Runs before compression (@fastify/compress
 * appends its hook after the route's own).
 */
export function etagged(alsoOf: readonly string[] = []) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    // An answer tagged already (a kept one, tagged once) was compared by its route.
    if (reply.statusCode !== 200 || typeof payload !== 'string' || reply.hasHeader('etag'))
      return payload;
    const described = alsoOf.map((name) => `${reply.getHeader(name) ?? ''}\n`).join('');
    const tag = weakTag(described, payload);
    reply.header('etag', tag);
    if (!ifNoneMatches(request.headers['if-none-match'], tag)) return payload;
    reply.code(304);
    return '';
  };
}

/** The weak tag of a body and of the header lines that describe it. */
export function weakTag(described: string, body: string): string {
  return `W/"${hash('sha1', described + body, 'base64url').slice(0, 22)}"`;
}

/** If-None-Match's weak comparison: any listed tag, or `*`, equal once `W/` is set aside. */
export function ifNoneMatches(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  const opaque = tag.replace(/^W\//, '');
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === opaque);
}
