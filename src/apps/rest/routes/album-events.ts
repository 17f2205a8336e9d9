import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

/** Starts listening for the ids of stored albums; resolves to a function that stops it. */
export type ListenStored = (onIds: (ids: number[]) => void) => Promise<() => Promise<void>>;

export interface AlbumEventDeps {
  /** Where stored-album notifications come from; without it the stream only sends heartbeats. */
  readonly events?: ListenStored | undefined;
  /** How often an idle stream gets a comment line, so proxies and browsers keep it open. */
  readonly heartbeatMs?: number | undefined;
}

const HEARTBEAT_MS = 15_000;
const example = 'event: stored\ndata: {"ids":[42,43]}\n\n';

/**
 * `GET /api/v1/events`: Server-Sent Events of albums stored by the consumers. The process holds
 * one LISTEN, opened with its first client, and fans every notification out to all streams.
 */
export const albumEventRoutes: FastifyPluginAsyncTypebox<AlbumEventDeps> = async (
  app,
  { events, heartbeatMs = HEARTBEAT_MS },
) => {
  const clients = new Set<ServerResponse>();
  let listening: Promise<(() => Promise<void>) | null> | null = null;

  const broadcast = (ids: number[]) => {
    const frame = `event: stored\ndata: ${JSON.stringify({ ids })}\n\n`;
    for (const res of clients) res.write(frame);
  };
  const listen = () => {
    if (!events || listening) return;
    listening = events(broadcast).catch((err: unknown) => {
      // Try again with the next client; until then streams carry heartbeats only.
      app.log.warn({ err }, 'could not listen for stored albums');
      listening = null;
      return null;
    });
  };

  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': heartbeat\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  // preClose, not onClose: the server waits for open streams before onClose hooks run.
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    for (const res of clients) res.end();
    clients.clear();
    const stop = await listening;
    await stop?.().catch((err: unknown) => app.log.warn({ err }, 'could not unlisten'));
  });

  app.get('/api/v1/events', {
    schema: {
      tags: ['albums'],
      summary: 'Stream album changes',
      description:
        'Server-Sent Events. `event: stored` with `data: {"ids":[…]}` each time the consumers ' +
        'wrote or deleted albums; read them with `GET /api/v1/albums/{id}` (404 once deleted). ' +
        'A comment line every ' +
        `${HEARTBEAT_MS / 1000} s keeps the stream open.`,
      response: {
        200: {
          description: 'An endless event stream',
          content: {
            'text/event-stream': { schema: Type.String({ examples: [example] }) },
          },
        },
      },
    },
    logLevel: 'warn',
    handler: async (request, reply) => {
      listen();
      reply.hijack();
      const res = reply.raw;
      // Headers set through the reply (CORS, rate limit) are written by hand after a hijack.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) res.setHeader(name, value);
      }
      res.writeHead(200, {
        'x-request-id': request.id,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      clients.add(res);
      request.raw.on('close', () => clients.delete(res));
    },
  });
};
