import { type Link, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type { ConsumedMessage } from '../../domain/events.ts';
import { contextFrom, linkFrom, type SpanSpec } from '../../shared/tracing.ts';

/** The header a producer span's context travels in (W3C Trace Context). */
const TRACEPARENT = 'traceparent';

/**
 * The span of one batch, "process <topic>", in the messaging conventions: a link to the context
 * of each publish its records came from (once per publish, not per record: a publish of a
 * thousand albums is one producer span). When every record came from one publish, the batch
 * also continues that trace as its child, so that the trace of a request holds its storing;
 * a batch mixing publishes starts a trace of its own and is found through its links.
 */
export function processSpan(batch: readonly ConsumedMessage[], client: string): SpanSpec {
  const topic = batch[0]?.topic ?? '';
  const links: Link[] = [];
  const seen = new Set<string>();
  let untraced = 0;
  for (const m of batch) {
    const traceparent = m.headers.get(TRACEPARENT);
    if (traceparent === undefined) untraced += 1;
    if (traceparent === undefined || seen.has(traceparent)) continue;
    seen.add(traceparent);
    const link = linkFrom(m.headers);
    if (link) links.push(link);
  }
  const onePublish = links.length === 1 && untraced === 0 && seen.size === 1;
  return {
    name: `process ${topic}`,
    kind: SpanKind.CONSUMER,
    parent: onePublish ? contextFrom((batch[0] as ConsumedMessage).headers) : ROOT_CONTEXT,
    links,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': topic,
      'messaging.batch.message_count': batch.length,
      'music.consumer.client': client,
    },
  };
}
