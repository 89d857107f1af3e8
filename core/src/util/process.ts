// Runs a local program from an argument vector (never through a shell), with cancellation that stops
// the whole process group, and a typed result.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  cancelled: boolean;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Write standard output to this file instead of keeping it in memory (large outputs). */
  stdoutFile?: string;
  /** Called with each chunk of output as it arrives (for streaming to a terminal or log). */
  onOutput?(chunk: string, stream: 'stdout' | 'stderr'): void;
}

export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ code: null, signal: null, stdout: '', stderr: '', cancelled: true });
      return;
    }
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let cancelled = false;
    const sink = options.stdoutFile ? createWriteStream(options.stdoutFile) : undefined;
    const stop = () => {
      cancelled = true;
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
      setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000).unref();
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (sink) sink.write(d); else stdout += d;
      options.onOutput?.(d, 'stdout');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onOutput?.(d, 'stderr');
    });
    child.on('error', (err) => {
      options.signal?.removeEventListener('abort', stop);
      sink?.end();
      reject(err);
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', stop);
      const done = () => resolve({ code, signal, stdout, stderr, cancelled });
      if (sink) sink.end(done); else done();
    });
  });
}
