// A server span for every gRPC call, taken where call-observer.ts takes its access line: the
// server's request handler and the response's 'close', so the fast path and Connect's pipeline
// are traced alike without either knowing of it.
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { contextFrom, startSpan } from '../../shared/tracing.ts';
import type { ServedService } from './call-observer.ts';

/** gRPC status codes that the conventions count as a server's failure. */
const SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

/**
 * Returns the function to call as each call starts, while tracing is on: a span named by the
 * method (`service.MusicService/GetAlbum`), a child of the caller's `traceparent` when it sent
 * one, ended with the call's gRPC status when its response closes.
 */
export function callSpans(
  services: readonly ServedService[],
): (req: Http2ServerRequest, res: Http2ServerResponse) => void {
  const methods = new Map<string, { service: string; method: string }>();
  for (const s of services)
    for (const m of s.methods)
      methods.set(`/${s.typeName}/${m.name}`, { service: s.typeName, method: m.name });
  return (req, res) => {
    const m = methods.get(req.url);
    const grpc = String(req.headers['content-type'] ?? '').startsWith('application/grpc');
    const span = startSpan({
      name: m ? `${m.service}/${m.method}` : 'unknown method',
      kind: SpanKind.SERVER,
      parent: contextFrom(req.headers),
      attributes: {
        'rpc.system': grpc ? 'grpc' : 'connect_rpc',
        ...(m ? { 'rpc.service': m.service, 'rpc.method': m.method } : {}),
      },
    });
    if (span === undefined) return;
    res.once('close', () => {
      const { sentTrailers, sentHeaders } = res.stream;
      const status = sentTrailers?.['grpc-status'] ?? sentHeaders?.['grpc-status'];
      if (status !== undefined) {
        const code = Number(status);
        span.setAttribute('rpc.grpc.status_code', code);
        if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
  };
}
