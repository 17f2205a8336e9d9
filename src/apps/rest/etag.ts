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
    if (reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    const described = alsoOf.map((name) => `${reply.getHeader(name) ?? ''}\n`).join('');
    const tag = `W/"${hash('sha1', described + payload, 'base64url').slice(0, 22)}"`;
    reply.header('etag', tag);
    if (!matches(request.headers['if-none-match'], tag)) return payload;
    reply.code(304);
    return '';
  };
}

/** If-None-Match's weak comparison: any listed tag, or `*`, equal once `W/` is set aside. */
function matches(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  const opaque = tag.replace(/^W\//, '');
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === opaque);
}
