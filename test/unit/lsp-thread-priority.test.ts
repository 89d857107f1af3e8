// The validation worker lowers its own thread's CPU priority (server/src/lsp/threadPriority.ts) and nothing else:
// on Linux the nice value is per thread, so the server's thread keeps its priority. Read back from the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { currentThreadId } from '../../server/src/lsp/threadPriority';

/** The nice value the kernel reports for a thread of this process (field 19 of /proc/<pid>/task/<tid>/stat). */
function kernelNice(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test('a worker thread lowers its own priority; the thread that started it keeps its own', async () => {
  assert.equal(process.platform, 'linux');
  const main = currentThreadId();
  assert.equal(main, process.pid, "the main thread's id is the process id");
  const before = os.getPriority();
  const module = path.join(__dirname, '../../server/src/lsp/threadPriority.js');
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const p = require(${JSON.stringify(module)});
     const tid = p.currentThreadId();
     parentPort.postMessage({ tid, nice: p.lowerThreadPriority(5) });
     setTimeout(() => {}, 60_000);`,
    { eval: true },
  );
  try {
    const { tid, nice } = await new Promise<{ tid: number; nice: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.notEqual(tid, main);
    assert.equal(nice, Math.min(19, before + 5));
    assert.equal(kernelNice(tid), nice, "the kernel's view of the worker thread");
    assert.equal(kernelNice(main!), before, 'the main thread is unchanged');
    assert.equal(os.getPriority(), before);
  } finally {
    await worker.terminate();
  }
});
