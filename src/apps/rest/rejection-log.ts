import type { FastifyRequest } from 'fastify';
import { LogSampler, type LogSamplerOptions } from '../../shared/log-sampler.ts';
import type { Logger } from '../../shared/logger.ts';

/**
 * Ten full lines per status and route every 10 s: enough to see what a misbehaving client sends
 * (each with its request id), while a flood of 400s, 404s or 429s costs one summary per window.
 */
export const REJECTION_SAMPLING: LogSamplerOptions = { perWindow: 10, windowMs: 10_000 };

interface Rejection {
  readonly status: number;
  readonly method: string;
  readonly route: string;
}

/**
 * Decides, once per request, whether the lines about a rejected request are written: every
 * answer below 400 or from 500 is (accepted writes and server faults are always worth a line),
 * a 4xx only while its (status, method, route) has not had its share of the window. What was
 * left out is logged as a count, at warn since it means a flood.
 */
export class RejectionLog {
  readonly #log: Logger;
  readonly #sampler: LogSampler<Rejection>;
  readonly #decided = new WeakMap<FastifyRequest, boolean>();
  readonly #timer: NodeJS.Timeout;

  constructor(log: Logger, options = REJECTION_SAMPLING, now: () => number = Date.now) {
    this.#log = log;
    this.#sampler = new LogSampler(options, now);
    this.#timer = setInterval(() => this.flush(), options.windowMs).unref();
  }

  /** Whether the lines about `request`, answered with `status`, are written. */
  logs(request: FastifyRequest, status: number): boolean {
    if (status < 400 || status >= 500) return true;
    // The error handler and the access line both ask: they must agree.
    const known = this.#decided.get(request);
    if (known !== undefined) return known;
    // The route's pattern, never the URL: keys stay a closed set whatever clients send.
    const route = request.routeOptions.url ?? '(no route)';
    const rejection = { status, method: request.method, route };
    const logged = this.#sampler.admit(`${status} ${request.method} ${route}`, rejection);
    this.#decided.set(request, logged);
    return logged;
  }

  /** Logs the counts of the windows that have ended (all of them with `all`). */
  flush(all = false): void {
    for (const { sample, count, from, to } of this.#sampler.flush(all)) {
      const seconds = Math.max(1, Math.round((to - from) / 1000));
      this.#log.warn(
        { ...sample, suppressed: count, since: new Date(from).toISOString() },
        `${count} more ${sample.status}s on ${sample.method} ${sample.route} in the last ${seconds} s`,
      );
    }
  }

  /** Stops the timer and logs what is still counted. */
  close(): void {
    clearInterval(this.#timer);
    this.flush(true);
  }
}
