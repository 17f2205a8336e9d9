// A private Jaeger for one test: OTLP over HTTP in, its query API out, spans kept in memory, every
// port a free one of its own, stopped at cleanup.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservedPort } from '../../infra/reserved-ports.ts';
import type { Defer } from './cleanup.ts';
import { waitFor } from './stack.ts';

export interface PrivateJaeger {
  /** The OTLP endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (the exporter adds /v1/traces). */
  readonly otlpEndpoint: string;
  /** The query API and UI. */
  readonly queryUrl: string;
  output(): string;
}

/** Only what the test needs: the OTLP/HTTP receiver, the memory store and the query API. */
function configYaml(otlp: number, query: number, queryGrpc: number): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${query}
    grpc:
      endpoint: 127.0.0.1:${queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** Starts `binary` and resolves once its query API answers. */
export async function privateJaeger(defer: Defer, binary: string): Promise<PrivateJaeger> {
  const [otlp, query, queryGrpc] = [
    await reservedPort(),
    await reservedPort(),
    await reservedPort(),
  ] as const;
  const dir = mkdtempSync(join(tmpdir(), 'music-jaeger-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, configYaml(otlp, query, queryGrpc));
  const child: ChildProcess = spawn(binary, ['--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  const queryUrl = `http://127.0.0.1:${query}`;
  await waitFor(
    'Jaeger to answer',
    async () => {
      if (child.exitCode !== null) throw new Error(`Jaeger exited:\n${output}`);
      const answer = await fetch(`${queryUrl}/api/services`).catch(() => null);
      return answer?.ok ? true : undefined;
    },
    60_000,
  );
  return { otlpEndpoint: `http://127.0.0.1:${otlp}`, queryUrl, output: () => output };
}
