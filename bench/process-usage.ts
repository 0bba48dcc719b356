import { readdirSync, readFileSync } from 'node:fs';

export interface Usage {
  /** CPU time, user + system. */
  cpuMs: number;
  /** Times its threads went to sleep and were woken again (voluntary context switches). */
  wakeups: number;
}

/**
 * CPU time and wake-ups of every process now running, summed by kind: PostgreSQL, Redis,
 * each Hookline role, the naive relay, this load generator (from /proc). A process that
 * exits meanwhile drops out: the targets keep their connections for the whole run.
 */
export function processUsage(): Map<string, Usage> {
  const tick = 10; // ms per clock tick (USER_HZ 100)
  const out = new Map<string, Usage>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const kind = cmd.startsWith('postgres')
        ? 'postgres'
        : cmd.includes('redis-server')
          ? 'redis'
          : cmd.includes('naive/server.ts')
            ? 'naive'
            : Number(pid) === process.pid
              ? 'load generator'
              : (/main\.[jt]s (relay|worker|api|all)/.exec(cmd)?.[1] ?? null);
      if (!kind) continue;
      let wakeups = 0;
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
        wakeups += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      }
      const usage = out.get(kind) ?? { cpuMs: 0, wakeups: 0 };
      usage.cpuMs += (Number(fields[11]) + Number(fields[12])) * tick;
      usage.wakeups += wakeups;
      out.set(kind, usage);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
