// Runs a local program (nixos-anywhere, nixos-rebuild, nix) from an argument vector — never through a shell —
// streaming its output line by line; cancelling stops its whole process group (TERM, then KILL).

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface LocalRunOptions {
  cwd?: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Each complete output line (stdout and stderr interleaved as they arrive). */
  onLine?(line: string, stream: 'stdout' | 'stderr'): void;
  /** Raw chunks, for a terminal. */
  onData?(chunk: string, stream: 'stdout' | 'stderr'): void;
  /** Grace period between TERM and KILL on cancel. */
  killGraceMs?: number;
  /** Write standard output to this file as it arrives instead of reading it as lines (large JSON output). */
  stdoutFile?: string;
}

export interface LocalRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  /** The last lines of output (for failure classification and messages). */
  tail: string[];
}

const TAIL_LINES = 400;

export function runLocal(file: string, args: readonly string[], options: LocalRunOptions = {}): Promise<LocalRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so cancel reaches ssh/nix children too
    });
    const tail: string[] = [];
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      cancelled = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 5000);
      killTimer.unref();
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const lineReader = (stream: 'stdout' | 'stderr') => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        options.onData?.(text, stream);
        const parts = (partial + text).split(/\r?\n/);
        partial = parts.pop() ?? '';
        for (const line of parts) emit(line, stream);
      };
    };
    const emit = (line: string, stream: 'stdout' | 'stderr') => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      options.onLine?.(line, stream);
    };
    const sink = options.stdoutFile ? createWriteStream(options.stdoutFile) : undefined;
    if (sink) child.stdout!.pipe(sink);
    else child.stdout!.on('data', lineReader('stdout'));
    child.stderr!.on('data', lineReader('stderr'));
    child.once('error', (err) => {
      options.signal?.removeEventListener('abort', onAbort);
      sink?.destroy();
      reject(err);
    });
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (cancelled) killGroup('SIGKILL'); // stragglers that ignored TERM
      const done = () => resolve({ code, signal, cancelled, tail });
      if (sink && !sink.writableFinished) sink.once('finish', done);
      else done();
    });
  });
}
