// The server's side of the validation worker (specWorker.ts): one worker thread, one job at a time. A newer job
// for a root replaces the one waiting for it and makes the worker abandon the one it runs for it (through a
// shared slot it checks between files), so typing in a big spec never queues stale validations.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from 'vscode-languageserver/node';
import type { WorkerData, WorkerJob, WorkerReadAhead, WorkerReply } from './specWorker';
import { SupersededError, type SpecFileText } from '#core/validate';

interface Pending {
  id: number;
  root: string;
  files: SpecFileText[];
  resolve(d: Map<string, Diagnostic[]>): void;
  reject(e: Error): void;
}

export class ValidationWorker {
  private worker: Worker | undefined;
  private readonly abort = new Int32Array(new SharedArrayBuffer(4));
  private running: Pending | undefined;
  private readonly waiting = new Map<string, Pending>();
  private nextId = 1;

  constructor(
    private readonly file: string,
    private readonly log: (message: string) => void,
  ) {}

  /** The bundled worker beside this file (dist/specWorker.js), if it was built. */
  static beside(dir: string, log: (message: string) => void): ValidationWorker | undefined {
    const file = path.join(dir, 'specWorker.js');
    return existsSync(file) ? new ValidationWorker(file, log) : undefined;
  }

  /** Diagnostics of a root's files, by uri; rejects with SupersededError when a newer job for the root came. */
  validate(root: string, files: SpecFileText[]): Promise<Map<string, Diagnostic[]>> {
    return new Promise((resolve, reject) => {
      this.waiting.get(root)?.reject(new SupersededError());
      this.waiting.set(root, { id: this.nextId++, root, files, resolve, reject });
      if (this.running?.root === root) Atomics.store(this.abort, 0, this.running.id);
      this.dispatch();
    });
  }

  /** Files a job for their root will soon include: the worker parses them meanwhile (see WorkerReadAhead). */
  readAhead(root: string, files: SpecFileText[]): void {
    this.start().postMessage({ root, readAhead: files } satisfies WorkerReadAhead);
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private dispatch(): void {
    if (this.running) return;
    const next = this.waiting.values().next();
    if (next.done) return;
    const job = next.value;
    this.waiting.delete(job.root);
    this.running = job;
    this.start().postMessage({ id: job.id, root: job.root, files: job.files } satisfies WorkerJob);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // A larger young generation: parsing thousands of files makes short-lived garbage, and the default spent a
    // third of the worker's time in scavenges.
    const worker = new Worker(this.file, {
      workerData: { abort: this.abort.buffer as SharedArrayBuffer } satisfies WorkerData,
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const job = this.running;
      if (!job || job.id !== reply.id) return;
      this.running = undefined;
      if ('diagnostics' in reply) job.resolve(new Map(reply.diagnostics));
      else if ('superseded' in reply) job.reject(new SupersededError());
      else job.reject(new Error(`validation worker: ${reply.error}`));
      this.dispatch();
    });
    worker.on('error', (err) => this.log(`validation worker failed: ${err.stack ?? err}`));
    worker.on('exit', () => {
      // a crash loses the job in flight, not the server: the next job starts a new worker
      this.worker = undefined;
      const job = this.running;
      this.running = undefined;
      job?.reject(new Error('the validation worker stopped'));
      this.dispatch();
    });
    this.worker = worker;
    return worker;
  }
}
