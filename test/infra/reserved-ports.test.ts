import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../infra/provision.ts';
import { reservedPort } from '../../infra/reserved-ports.ts';

test('reserved ports lie below the ephemeral range, are claimed, and never handed out twice', async () => {
  const low = Number(
    readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
  );
  const ports = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const first = await reservedPort(2);
    for (const port of [first, first + 1]) {
      assert.ok(port >= 20_000 && port < low, `${port} below ${low}`);
      assert.ok(!ports.has(port), `${port} handed out twice`);
      ports.add(port);
      const claim = join(PROJECT_ROOT, '.data', 'reserved-ports', String(port));
      assert.equal(readFileSync(claim, 'utf8'), String(process.pid), `${claim} names this process`);
    }
  }
});
