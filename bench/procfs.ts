/** What the benchmarks read of their own processes from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

/** Our descendants (host pids), from /proc: the runtime's processes (bwrap, slirp4netns, Node, theirs). */
export function descendants(): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const todo = [process.pid];
  while (todo.length) {
    for (const c of children.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** utime + stime of each pid, clock ticks (10 ms). */
export function ticks(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const rest = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ').at(-1)!.split(' ');
      out.set(pid, Number(rest[11]) + Number(rest[12]));
    } catch {
      // Gone.
    }
  }
  return out;
}

/** Ticks spent between two readings, by the processes present in both. */
export function ticksBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, t] of after) {
    const t0 = before.get(pid);
    if (t0 !== undefined) sum += t - t0;
  }
  return sum;
}
