// Starts a real nats-server (Debian's, JetStream on) on a free loopback port with its store in a temp dir,
// and can restart it on the same port and store to test what survives.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT } from '../fixtures/ops/sshd';
import { loopbackCertificates } from '../support/loopbackCertificates';

export { freePort };

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class NatsServer {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'nats-test-'));
  port = 0;
  private proc: ChildProcess | undefined;
  log = '';

  /** `config` is the body of a nats-server config file (auth, accounts); JetStream and the port are added. */
  constructor(public config = '') {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Serves TLS only (before start), with a throwaway CA's certificate for 127.0.0.1; returns the CA file a client trusts. */
  serveTls(): string {
    const tls = loopbackCertificates(this.dir);
    this.config += `\ntls { cert_file: ${JSON.stringify(tls.certFile)}, key_file: ${JSON.stringify(tls.keyFile)} }`;
    return tls.caFile;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const conf = path.join(this.dir, 'server.conf');
    writeFileSync(
      conf,
      [`listen: "127.0.0.1:${this.port}"`, `jetstream { store_dir: ${JSON.stringify(path.join(this.dir, 'js'))} }`, this.config].join('\n'),
    );
    this.proc = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.on('data', (d) => {
      this.log += d;
    });
    this.proc.stderr?.on('data', (d) => {
      this.log += d;
    });
    const proc = this.proc;
    let onExit: ((code: number | null) => void) | undefined;
    const exited = new Promise<never>((_, reject) => {
      onExit = (code) => reject(new Error(`nats-server exited (${code}):\n${this.log}`));
      proc.once('exit', onExit);
    });
    try {
      await Promise.race([waitForPort(this.port, 10_000), exited]);
    } finally {
      if (onExit) proc.off('exit', onExit);
      exited.catch(() => undefined);
    }
  }

  /** Graceful stop (SIGTERM: the server flushes its store, as on a systemd restart). */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      p.kill('SIGTERM');
    });
  }

  /** kill -9: the server gets no chance to flush or say goodbye, as in a crash or a power cut of its process. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  /** Deletes the JetStream store (call while the server is down): it comes back with no streams. */
  wipeStore(): void {
    rmSync(path.join(this.dir, 'js'), { recursive: true, force: true });
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The body of a server config with one JetStream account, CLUSTER: user `admin` (password `admin-secret`) and `users` (config entries). */
export function clusterAccountConfig(...users: string[]): string {
  return `
accounts {
  CLUSTER {
    jetstream: enabled
    users: [
      { user: admin, password: "admin-secret" }
      ${users.join('\n      ')}
    ]
  }
}`;
}

/** The repository root, from the source tree (tsx) or from out/ (compiled). */
export const repoRoot = () => REPO_ROOT;

export const natsFixtures = () => path.join(repoRoot(), 'test/fixtures/nats');

/**
 * Puts fixture `name` (from test/fixtures/nats) at `target` in one step (copy beside it, then rename), so a stand-in
 * tool reading `target` meanwhile sees the old content or the new, never a half-written file.
 */
export function placeFixture(name: string, target: string): void {
  copyFileSync(path.join(natsFixtures(), name), `${target}.tmp`);
  renameSync(`${target}.tmp`, target);
}

/** Polls `check` (after running `refresh`, if given) until it holds. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000, refresh?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await refresh?.();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
