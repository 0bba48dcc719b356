// `node --import tsx bench/profile-summary.ts FILE.cpuprofile`: self time by function and by
// package (node_modules name, or the repo folder), the top of each.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const profile = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = (byId.get(id) as Node).callFrame;
  const where = url.replace(/^file:\/\//, '');
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  const group = m
    ? m[1]
    : where.includes('/work/')
      ? where.replace(/^.*?\/(packages|services|bench|sdk|web)\//, '$1/').replace(/\/[^/]*$/, '')
      : where || functionName;
  pkg.set(group as string, (pkg.get(group as string) ?? 0) + us);
  const key = `${functionName || '(anonymous)'} ${where.split('/').slice(-2).join('/')}:${lineNumber}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
}
const top = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');
console.log(`total ${(total / 1e6).toFixed(1)} s sampled\n\nby package:\n${top(pkg, 15)}\n\nby function:\n${top(fn, 25)}`);
