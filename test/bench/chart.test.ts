import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber, linearScale, logScale, renderChart } from '../../bench/chart.ts';
import { shapeResult } from '../../bench/result.ts';
import { complete, machine } from './fixtures.ts';

const result = shapeResult(complete, {
  mode: 'quick',
  startedAt: new Date('2026-01-02T03:04:05Z'),
  seconds: 150,
  machine,
  loads: {},
});

interface Element {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** Text inside, entities decoded. */
  text: string;
}

const decode = (text: string) =>
  text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

/** Checks that the SVG is well-formed XML (balanced tags, no raw < or & in text) and lists its elements. */
function parseSvg(svg: string): Element[] {
  const elements: Element[] = [];
  const open: Element[] = [];
  const tag = /<(\/?)([a-z]+)((?:\s+[a-zA-Z0-9-]+="[^"<&]*")*)\s*(\/?)>|([^<]+)/gy;
  let consumed = 0;
  for (const m of svg.matchAll(tag)) {
    consumed += m[0].length;
    const [, closing, name, attrs = '', selfClosing, text] = m;
    if (text !== undefined) {
      assert.ok(!/&(?!#\d+;)/.test(text), `raw & in ${JSON.stringify(text)}`);
      const current = open.at(-1);
      if (current) current.text += decode(text);
      continue;
    }
    if (closing) {
      assert.equal(open.pop()?.name, name, `</${name}> closes another element`);
      continue;
    }
    const attributes = Object.fromEntries(
      [...attrs.matchAll(/([a-zA-Z0-9-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]),
    );
    const element = { name: name ?? '', attributes, text: '' };
    elements.push(element);
    if (!selfClosing) open.push(element);
  }
  assert.equal(consumed, svg.length, 'every character belongs to a tag or to text');
  assert.deepEqual(open, [], 'every element is closed');
  return elements;
}

test('the chart is a well-formed SVG with every figure, its unit, and escaped text', () => {
  const elements = parseSvg(renderChart(result));
  assert.equal(elements[0]?.name, 'svg');
  const text = elements
    .filter((e) => e.name === 'text')
    .map((e) => e.text)
    .join('\n');
  for (const expected of [
    '50,000 albums/s',
    '12,346 albums/s',
    '100,000 rows/s',
    '400,000 msgs/s',
    '20,500 req/s',
    '7.46 ms',
    '39 ms',
    'Intel(R) Xeon(R) <Processor> & co',
    'Missed: rest_list_rps, grpc_list_rps.',
  ])
    assert.ok(text.includes(expected), `chart text lacks ${expected}`);
});

test('bars grow with their figures; unmeasured figures are said to be so', () => {
  const widths = parseSvg(renderChart(result))
    .filter((e) => e.name === 'rect')
    .slice(1)
    .map((r) => Number(r.attributes.width));
  // Throughput rows in order: ingest 50k, platformatic 12.3k, confluent 25k, db 100k, ...
  const [ingest = 0, platformatic = 0, confluent = 0, db = 0] = widths;
  assert.ok(platformatic < confluent && confluent < ingest && ingest < db, widths.join(' '));
  const { ingest: _, ...rest } = complete;
  const partial = shapeResult(rest, {
    mode: 'quick',
    startedAt: new Date(),
    seconds: 1,
    machine,
    loads: {},
  });
  assert.ok(renderChart(partial).includes('not measured'));
});

test('scales: log over powers of ten around the values, linear with round ticks', () => {
  const log = logScale([2500, 400_000]);
  assert.deepEqual(log.ticks, [1000, 10_000, 100_000, 1_000_000]);
  assert.ok(Math.abs(log.x(10_000) - log.x(1000) - (log.x(100_000) - log.x(10_000))) < 1e-9);
  const linear = linearScale([124, 100]);
  assert.deepEqual(linear.ticks, [0, 20, 40, 60, 80, 100, 120, 140]);
  assert.equal(linear.x(70) - linear.x(0), (linear.x(140) - linear.x(0)) / 2);
  assert.equal(formatNumber(1234567.8), '1,234,568');
  assert.equal(formatNumber(18.456), '18.46');
});
