import { readFileSync } from 'node:fs';

/** CPU seconds (user + system), current and peak RSS of a process, from /proc (Linux). */
export function procStats(pid: number): { cpuSec: number; rssMB: number; peakRssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return {
    cpuSec: ticks / 100,
    rssMB: Math.round(kb('VmRSS') / 1024),
    peakRssMB: Math.round(kb('VmHWM') / 1024),
  };
}
