import diagnostics from 'node:diagnostics_channel';
import type { EventEmitter } from 'node:events';

/** What @platformatic/kafka publishes on its instances channel as each object is made. */
interface Created {
  readonly type?: unknown;
  readonly instance?: unknown;
}

/** Where the error of a connection that nobody waits for any more goes: nowhere else. */
const heardElsewhere = (): void => {};

let installed = false;

/**
 * @platformatic/kafka 2.12 emits 'error' on a Connection that may have no 'error' listener left,
 * which Node turns into an uncaught exception that ends the process: when a broker is slow to
 * answer the SASL handshake (a node just restarted, a loaded machine), the wait for the
 * connection times out and removes its listener, and the handshake's failure, coming after, is
 * emitted to nobody (seen as "SASL authentication failed" failing a rolling-restart test). The
 * waiter already had its error (the timeout); this listener only keeps the late one from
 * throwing. Relies on the library publishing every Connection it makes on the
 * `plt:kafka:instances` channel (checked by
 * test/adapters/kafka/shims/platformatic-connection-errors.test.ts). Installed once per process.
 */
export function keepLateConnectionErrors(): void {
  if (installed) return;
  installed = true;
  diagnostics.channel('plt:kafka:instances').subscribe((message) => {
    const { type, instance } = message as Created;
    if (type === 'connection') (instance as EventEmitter).on('error', heardElsewhere);
  });
}
