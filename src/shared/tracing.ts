import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from './config.ts';

/** The settings tracing reads (the standard OTEL_* variables, through the one loader). */
export type TracingSettings = Pick<
  Config,
  | 'OTEL_SERVICE_NAME'
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
  | 'OTEL_TRACES_SAMPLER'
  | 'OTEL_TRACES_SAMPLER_ARG'
>;

/** Tracing as a process part: close() exports what is left and stops. */
export interface Tracing {
  close(): Promise<void>;
}

/** The one tracer's name: the instrumentation is this project's own code. */
const TRACER = 'music-service';

/** W3C Trace Context (`traceparent`, `tracestate`): what HTTP callers and Kafka records carry. */
const propagator = new W3CTraceContextPropagator();

/**
 * What a process registered, shared by the runtimes of one process (tests run several in one):
 * the first start registers the provider, the last close flushes and unregisters it.
 */
let active: { readonly provider: TracerProvider; readonly tracer: Tracer; users: number } | null =
  null;

/**
 * True while spans are recorded. Callers on a hot path test it first, so that with tracing off
 * nothing is allocated for it: no span, no context, no header.
 */
export function tracingOn(): boolean {
  return active !== null;
}

/** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or the endpoint + /v1/traces. */
export function tracesUrl(s: TracingSettings): string | undefined {
  if (s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined)
    return s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (s.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) return undefined;
  return `${s.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/** The sampler OTEL_TRACES_SAMPLER names, as the specification defines each one. */
function samplerOf(s: TracingSettings): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(s.OTEL_TRACES_SAMPLER_ARG ?? 1);
  switch (s.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Starts tracing for a process named `service` (music-rest, music-consumer-…) when an OTLP
 * endpoint is configured, or when a test hands its own exporter; otherwise does nothing, and the
 * API's no-op tracer stays in place. Spans leave over OTLP http/protobuf in batches; the exporter
 * itself reads the other OTEL_EXPORTER_OTLP_* variables (headers, timeout, certificates).
 */
export function startTracing(
  settings: TracingSettings,
  service: string,
  exporter?: SpanExporter,
): Tracing {
  const url = tracesUrl(settings);
  if (url === undefined && exporter === undefined) return { close: async () => {} };
  if (active === null) {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: settings.OTEL_SERVICE_NAME ?? `music-${service}`,
      }),
      sampler: samplerOf(settings),
      spanProcessors: [
        exporter
          ? new SimpleSpanProcessor({ exporter })
          : new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: url as string }) }),
      ],
    });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    active = { provider, tracer: provider.getTracer(TRACER), users: 0 };
  }
  const mine = active;
  mine.users += 1;
  let closed = false;
  return {
    async close() {
      if (closed) return;
      closed = true;
      mine.users -= 1;
      if (mine.users > 0 || active !== mine) return;
      active = null;
      trace.disable();
      context.disable();
      // Exports the spans still queued, so that a graceful stop loses none.
      await mine.provider.shutdown();
    },
  };
}

/** A carrier of W3C trace context: HTTP headers, a Kafka record's headers. */
export type Carrier = Readonly<Record<string, string | string[] | undefined>>;

/** The span context a carrier's `traceparent` names, as a parent; the root when it has none. */
export function contextFrom(carrier: Carrier | ReadonlyMap<string, string>): Context {
  const record = carrier instanceof Map ? Object.fromEntries(carrier) : carrier;
  return propagator.extract(ROOT_CONTEXT, record, defaultTextMapGetter);
}

/** `headers` plus the `traceparent` of the active span, for a record to carry it along. */
export function withTraceparent(
  headers: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  const out: Record<string, string> = { ...headers };
  propagator.inject(context.active(), out, defaultTextMapSetter);
  return out;
}

/** The linkable span context of a carrier, when it carries a valid one. */
export function linkFrom(carrier: ReadonlyMap<string, string>): Link | undefined {
  const spanContext = trace.getSpanContext(contextFrom(carrier));
  return spanContext && trace.isSpanContextValid(spanContext)
    ? { context: spanContext }
    : undefined;
}

export interface SpanSpec {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: Link[];
  /** The parent; the active context when absent. */
  readonly parent?: Context;
}

/** Starts a span (not made active); undefined while tracing is off. */
export function startSpan(spec: SpanSpec): Span | undefined {
  if (active === null) return undefined;
  return active.tracer.startSpan(
    spec.name,
    { kind: spec.kind, attributes: spec.attributes ?? {}, links: spec.links ?? [] },
    spec.parent ?? context.active(),
  );
}

/** Marks `span` failed with `err` (its type and message), as the conventions ask. */
export function failSpan(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.setAttribute('error.type', error.name);
}

/**
 * Runs `work` inside a new span, active for everything it starts, and ends the span when it
 * settles (failed, when it rejects). With tracing off, it is `work()` and nothing more.
 */
export async function inSpan<T>(
  spec: SpanSpec | (() => SpanSpec),
  work: () => Promise<T>,
): Promise<T> {
  if (active === null) return work();
  const s = typeof spec === 'function' ? spec() : spec;
  const span = startSpan(s) as Span;
  try {
    return await context.with(trace.setSpan(s.parent ?? context.active(), span), work);
  } catch (err: unknown) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Runs `work` with `span` active, e.g. a request's handler inside its server span. */
export function withActiveSpan<A extends unknown[], R>(
  span: Span,
  work: (...args: A) => R,
  self: unknown,
  ...args: A
): R {
  return context.with(trace.setSpan(context.active(), span), work, self, ...args);
}
