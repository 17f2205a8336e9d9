import type http2 from 'node:http2';

/** Closes the server, giving streams in flight up to `graceMs` before their sessions end. */
export type CloseGracefully = (graceMs: number) => Promise<void>;

/**
 * Follows the sessions of an HTTP/2 server from now on, so that it can be closed as a careful
 * server is: no new connections, a GOAWAY on every session (clients stop opening streams on it
 * and reconnect elsewhere, streams in flight go on), and once the grace period is over the
 * sessions still open are destroyed with whatever streams they hold. Resolves when the server
 * has no connection left. Call it before the server listens.
 */
export function gracefulClose(server: http2.Http2Server): CloseGracefully {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return (graceMs) =>
    new Promise<void>((resolve) => {
      const late = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, graceMs);
      server.close(() => {
        clearTimeout(late);
        resolve();
      });
      // GOAWAY (Node's server.close does so too): each session ends once its last stream is done.
      for (const session of sessions) session.close();
    });
}
