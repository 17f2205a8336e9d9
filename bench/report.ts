import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart } from './chart.ts';
import type { BenchResult } from './result.ts';
import { renderTable, replaceFigures } from './table.ts';

/**
 * Writes the chart (benchmarks.svg) into `outDir`, and the figures table into the
 * benchmarks.md there when it has one; returns what it wrote.
 */
export async function writeReport(outDir: string, result: BenchResult): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const chart = join(outDir, 'benchmarks.svg');
  await writeFile(chart, renderChart(result));
  const written = [chart];
  const doc = join(outDir, 'benchmarks.md');
  if (existsSync(doc)) {
    const text = await readFile(doc, 'utf8');
    const updated = replaceFigures(text, renderTable(result));
    if (updated !== text) {
      await writeFile(doc, updated);
      written.push(doc);
    }
  }
  return written;
}
