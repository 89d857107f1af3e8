// Background threads (the validation worker) run at a lower CPU priority than the server's thread, so a request
// is not slowed by a validation on a machine with few cores. On Linux the nice value belongs to each thread, not
// to the process: setpriority(PRIO_PROCESS, tid) changes that thread only (man 2 setpriority, "BUGS": "under the
// current Linux/NPTL implementation of POSIX threads, the nice value is a per-thread attribute"). Elsewhere the
// same call would lower the whole process, server included, so nothing is changed there.

import { readlinkSync } from 'node:fs';
import os from 'node:os';

/** The kernel's id of the calling thread on Linux (from /proc/thread-self → <pid>/task/<tid>), else undefined. */
export function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(/\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]);
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises the calling thread's nice value by `steps` (up to 19, the lowest priority; no privilege needed). Returns
 * the new nice value, or undefined where threads have no priority of their own.
 */
export function lowerThreadPriority(steps: number): number | undefined {
  const tid = currentThreadId();
  if (tid === undefined) return undefined;
  try {
    const nice = Math.min(19, os.getPriority(tid) + steps);
    os.setPriority(tid, nice);
    return os.getPriority(tid);
  } catch {
    return undefined;
  }
}
