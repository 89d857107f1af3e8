// Small helpers the benchmarks share.

import { appendFileSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** The middle value (upper middle for an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A process's resident memory now and at its peak, in MB (VmRSS/VmHWM from /proc). */
export function processMemory(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

/** One responsiveness target's figure (issue 13), with the peers measured beside it. */
export interface TargetFigure {
  name: string;
  ms: number;
  limitMs: number;
  /** What the peers measured in the same run, or why there is none. */
  peers: string;
}

/**
 * Records a target's figure for the summary `npm run bench` prints after the last benchmark (scripts/bench.mjs
 * names the file in BENCH_SUMMARY); run alone, a benchmark only prints its own lines.
 */
export function reportTarget(figure: TargetFigure): void {
  const file = process.env.BENCH_SUMMARY;
  if (file) appendFileSync(file, `${JSON.stringify({ ...figure, load: os.loadavg()[0] })}\n`);
}
