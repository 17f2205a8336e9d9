// One access line and the metrics of every gRPC call, taken at the one place where every call
// starts and ends (the server's request handler and the response's 'close'), so that the fast
// path and Connect's pipeline are observed alike.
import { randomUUID } from 'node:crypto';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { Code } from '@connectrpc/connect';
import { codeFromHttpStatus } from '@connectrpc/connect/protocol-connect';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../shared/logger.ts';

/** The canonical name of each gRPC status code, as grpc-status carries it by number. */
const CODE_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** The label of a path that names no method we serve: raw paths would make the set unbounded. */
const UNKNOWN_METHOD = 'unknown';

/** A client's request id is kept when it is sane (as the REST API keeps it), else one is made. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** A service as protobuf-es describes it: its full name and its methods. */
export interface ServedService {
  readonly typeName: string;
  readonly methods: readonly { readonly name: string }[];
}

/** How a call ended: its gRPC status code, by name. */
function codeOf(req: Http2ServerRequest, res: Http2ServerResponse): string {
  const { sentTrailers, sentHeaders } = res.stream;
  const status = sentTrailers?.['grpc-status'] ?? sentHeaders?.['grpc-status'];
  if (status !== undefined) return CODE_NAMES[Number(status)] ?? 'UNKNOWN';
  // A gRPC call that closed without a status was cut short (the client went away).
  if (String(req.headers['content-type'] ?? '').startsWith('application/grpc')) return 'CANCELLED';
  // The Connect protocol says how a unary call ended by its HTTP status.
  const code = res.statusCode === 200 ? 0 : codeFromHttpStatus(res.statusCode);
  return CODE_NAMES[code] ?? CODE_NAMES[Code.Unknown] ?? 'UNKNOWN';
}

/**
 * Returns the function to call as each call starts: it keeps the request id (answered in
 * `x-request-id`), and when the response closes writes one access line (method, code, duration,
 * request id) and counts and times the call by method and code. Label pairs are looked up once
 * and kept, so a call costs two map reads and two increments.
 */
export function callObserver(
  registry: Registry,
  log: Logger,
  services: readonly ServedService[],
): (req: Http2ServerRequest, res: Http2ServerResponse) => void {
  const methods = new Map<string, { service: string; method: string }>();
  for (const s of services)
    for (const m of s.methods)
      methods.set(`/${s.typeName}/${m.name}`, { service: s.typeName, method: m.name });
  const labelNames = ['grpc_service', 'grpc_method', 'grpc_code'] as const;
  const handled = new Counter({
    name: 'grpc_server_handled_total',
    help: 'gRPC calls answered, by service, method and status code',
    labelNames,
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Time from a call arriving to its response closing, by service, method and status code',
    labelNames,
    // Reads answer in milliseconds; exports and streams of the whole catalogue take seconds.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  type Children = {
    count: ReturnType<typeof handled.labels>;
    time: ReturnType<typeof seconds.labels>;
  };
  const children = new Map<string, Children>();
  // Without the logger's path redaction: its wildcard paths make pino walk every field of every
  // line (15 µs a line with them, 3 without, on the loaded 2-core VM), and these fields are fixed
  // and hold no credential. The finished line is still scrubbed of secrets (src/shared/logger.ts).
  const access = log.child({}, { redact: { paths: [] } });
  const childrenOf = (path: string, code: string) => {
    const key = `${path} ${code}`;
    let found = children.get(key);
    if (found === undefined) {
      const m = methods.get(path) ?? { service: UNKNOWN_METHOD, method: UNKNOWN_METHOD };
      const labels = { grpc_service: m.service, grpc_method: m.method, grpc_code: code };
      found = { count: handled.labels(labels), time: seconds.labels(labels) };
      children.set(key, found);
    }
    return found;
  };

  return (req, res) => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.once('close', () => {
      const ms = performance.now() - started;
      const path = methods.has(req.url) ? req.url : UNKNOWN_METHOD;
      const code = codeOf(req, res);
      const { count, time } = childrenOf(path, code);
      count.inc();
      time.observe(ms / 1000);
      access.info(
        { method: path === UNKNOWN_METHOD ? req.url.slice(0, 256) : path, code, ms, requestId },
        'grpc call',
      );
    });
  };
}
