// Where a CPU profile (`npm run bench -- --profile`, or node --cpu-prof) spends its time: self
// time by function and by package, heaviest first. Usage: node bench/profile-top.ts FILE [N]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { PROJECT_ROOT } from '../infra/provision.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The package a script belongs to: a node_modules package, a project folder, or Node itself. */
export function packageOf(url: string): string {
  if (url === '') return '(native or idle)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith('node:')) return 'node';
  const path = relative(PROJECT_ROOT, url.replace(/^file:\/\//, ''));
  return path.split('/').slice(0, 3).join('/');
}

/** Self time in milliseconds per key, heaviest first. */
export function selfTimes(
  profile: Profile,
  keyOf: (node: ProfileNode) => string,
): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const key = keyOf(node);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}

if (import.meta.main) {
  const [file, count = '25'] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/profile-top.ts FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const idle = new Set(['(idle)', '(program)', '(garbage collector)']);
  const all = selfTimes(profile, () => 'all')[0]?.[1] ?? 0;
  const busy = selfTimes(profile, (n) => (idle.has(n.callFrame.functionName) ? 'idle' : 'busy'));
  const print = (title: string, rows: [string, number][]) => {
    process.stdout.write(`\n${title}\n`);
    for (const [key, ms] of rows.slice(0, Number(count)))
      process.stdout.write(
        `${ms.toFixed(0).padStart(8)} ms ${((ms / all) * 100).toFixed(1).padStart(5)}%  ${key}\n`,
      );
  };
  print(`${file}: ${(all / 1000).toFixed(1)} s sampled`, busy);
  print(
    'self time by package',
    selfTimes(profile, (n) => {
      const name = n.callFrame.functionName;
      return idle.has(name) ? name : packageOf(n.callFrame.url);
    }),
  );
  print(
    'self time by function',
    selfTimes(profile, (n) => {
      const { functionName, url, lineNumber } = n.callFrame;
      return `${functionName || '(anonymous)'} ${packageOf(url)}:${lineNumber + 1}`;
    }),
  );
}
