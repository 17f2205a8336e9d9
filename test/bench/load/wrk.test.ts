import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { onPath } from '../../../bench/load/tools.ts';
import { wrkLoad, wrkScript } from '../../../bench/load/wrk.ts';

test('wrk POSTs the JSON body as it is and counts 2xx answers as OK, 4xx and 5xx as failed', async (t) => {
  // npm test installs it (infra/system-packages.txt).
  const wrk = onPath('wrk');
  assert.ok(wrk !== null, 'wrk is not installed (Debian package wrk)');
  // What could end or bend a Lua string: closing brackets (also the body's last character), quotes,
  // backslashes, newlines; a script Lua cannot parse makes wrk GET without a body.
  const body = JSON.stringify([{ title: 'a]=]b', artist: '"quoted"\n\\', price: 1.5 }]);
  const seen = { accepted: 0, refused: 0, wrong: [] as string[] };
  const server = createServer((req, res) => {
    let got = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      got += d;
    });
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.headers['content-type'] !== 'application/json' ||
        got !== body
      )
        seen.wrong.push(`${req.method} ${req.headers['content-type']} ${got}`);
      // Every fourth request is refused.
      const refuse = (seen.accepted + seen.refused + 1) % 4 === 0;
      if (refuse) seen.refused++;
      else seen.accepted++;
      res.writeHead(refuse ? 503 : 202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;

  const connections = 4;
  const result = await wrkLoad(
    wrk,
    { url: `http://127.0.0.1:${port}/api/v1/album`, connections, seconds: 1 },
    wrkScript({ method: 'POST', body }),
  );
  assert.deepEqual(seen.wrong.slice(0, 3), [], 'every request the same POST with its body');
  assert.equal(result.generator, 'wrk');
  assert.ok(seen.accepted > 100, `${seen.accepted} requests accepted`);
  // Answers sent while wrk stopped (one per connection at most) are not counted.
  assert.ok(
    result.ok <= seen.accepted && result.ok >= seen.accepted - connections,
    `${result.ok} OK for ${seen.accepted} answered 202`,
  );
  assert.ok(
    result.failed <= seen.refused && result.failed >= seen.refused - connections,
    `${result.failed} failed for ${seen.refused} answered 503`,
  );
  assert.ok(result.latency.p99_ms > 0 && result.latency.count === result.ok);
});
