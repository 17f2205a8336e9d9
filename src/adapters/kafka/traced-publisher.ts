import { SpanKind } from '@opentelemetry/api';
import type { OutgoingMessage } from '../../domain/events.ts';
import { inSpan, tracingOn, withTraceparent } from '../../shared/tracing.ts';
import type { Publisher } from './publisher.ts';

/** The messaging conventions' attributes of a publish to Kafka. */
export function sendAttributes(topic: string, count: number) {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'send',
    'messaging.destination.name': topic,
    'messaging.batch.message_count': count,
  };
}

type Headers = NonNullable<OutgoingMessage['headers']>;

/**
 * Each publish in a producer span, "send <topic>", whose context every record carries in its
 * `traceparent` header (W3C Trace Context, as the messaging conventions say), so that the
 * consumer that stores it can link its batch to it. The messages of one publish that shared a
 * headers object still share one (the publisher turns each object into one header map). While
 * tracing is off, the publisher itself is returned.
 */
export function tracedPublisher<P extends Publisher>(real: P): P {
  if (!tracingOn()) return real;
  const publish = (topic: string, messages: readonly OutgoingMessage[]) =>
    inSpan(
      () => ({
        name: `send ${topic}`,
        kind: SpanKind.PRODUCER,
        attributes: sendAttributes(topic, messages.length),
      }),
      () => {
        const stamped = new Map<Headers | undefined, Headers>();
        const stamp = (headers: Headers | undefined): Headers => {
          let out = stamped.get(headers);
          if (out === undefined) {
            out = withTraceparent(headers ?? {});
            stamped.set(headers, out);
          }
          return out;
        };
        return real.publish(
          topic,
          messages.map((m) => ({ ...m, headers: stamp(m.headers) })),
        );
      },
    );
  return { ...real, publish };
}
