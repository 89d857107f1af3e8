// A command whose connection is lost in a way the host cannot notice (a network cut: our keep-alive gives up, the
// host's end of the connection stays open, so its sshd never closes the command's stdin). A loopback TCP relay in
// front of a real sshd plays the network: "cut" stops forwarding in both directions without closing the host's side
// and refuses new connections; "heal" forwards again. The error must say the command may still be running (and
// it is), and the pool must stop it once the host answers.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sh, SshError, SshPool } from '#core/ssh';
import { freePort, pidsMatching, RecordingPolicy, startSshd, type TestSshd } from '../fixtures/ops/sshd';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

/** A TCP relay on loopback that can cut the link without either end being told. */
class CuttableLink {
  cut = false;
  readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  port = 0;
  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = net.createServer((client) => {
      if (this.cut) {
        client.destroy();
        return;
      } // the host is unreachable: nothing gets through
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      client.on('data', (d) => {
        if (!this.cut) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!this.cut) client.write(d);
      });
      // Across a cut, neither end hears that the other went away.
      client.on('close', () => {
        if (!this.cut) upstream.destroy();
      });
      upstream.on('close', () => {
        if (!this.cut) client.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

describe('SSH: a command left running by a lost connection', () => {
  let sshd: TestSshd;
  let link: CuttableLink;
  const pools: SshPool[] = [];
  before(async () => {
    sshd = await startSshd(1);
    link = new CuttableLink(sshd.hosts[0].port);
    await link.start();
  });
  after(async () => {
    for (const p of pools) p.closeAll();
    await link?.stop();
    await sshd?.stopAll();
  });

  it('says it may still be running, and stops it when the host answers again', async () => {
    const host = sshd.hosts[0];
    const logs: string[] = [];
    const pool = new SshPool({
      policy: new RecordingPolicy([], () => true),
      auth: { agent: '' },
      readyTimeoutMs: 15_000,
      keepaliveIntervalMs: 500,
      keepaliveCountMax: 3,
      strandedRetryMs: 300,
      log: (m) => logs.push(m),
    });
    pools.push(pool);
    const marker = `7${String(process.pid).slice(-3)}.${Date.now() % 100000}`;
    const endpoint = host.endpoint({ hostKey: host.hostKey, port: link.port });
    const running = pool.exec(endpoint, sh`sleep ${marker}`);
    running.catch(() => undefined); // asserted below; this keeps an early failure from leaving it unhandled
    assert.ok(await waitUntil(() => pidsMatching(`sleep ${marker}`).length > 0, 30_000), 'the remote command started');

    link.cut = true;
    const cutAt = Date.now();
    await assert.rejects(running, (err: SshError) => {
      assert.equal(err.kind, 'connection-lost');
      assert.match(err.message, /was lost while a command was running/);
      assert.match(err.message, /may still be running there; it will be stopped when test-1 answers again/);
      assert.doesNotMatch(err.message, /was stopped on the host/);
      return true;
    });
    const noticedMs = Date.now() - cutAt;
    assert.equal(pool.strandedCount, 1);
    // The honest part: the host never heard, so the command does still run, through failed stop attempts.
    await sleep(1500);
    assert.ok(pidsMatching(`sleep ${marker}`).length > 0, 'still running on the host while it cannot be reached');
    assert.ok(
      logs.some((m) => /cannot stop the command\(s\) a lost connection left on test-1 yet, will retry/.test(m)),
      logs.join('\n'),
    );

    link.cut = false;
    const healedAt = Date.now();
    // The next retry comes at most 30 × 300 ms after the last failed one; then a login and the stop's 2 s grace.
    assert.ok(
      await waitUntil(() => pidsMatching(`sleep ${marker}`).length === 0, 45_000),
      `stopped once the host answered: ${logs.join('\n')}`,
    );
    console.log(
      `# lost connection noticed after ${noticedMs} ms; the stranded command was stopped ${Date.now() - healedAt} ms after the host answered again`,
    );
    assert.ok(await waitUntil(() => pool.strandedCount === 0, 5000));
    assert.ok(
      logs.some((m) => /test-1 answers again: stopped \d+ process\(es\) of 1 command\(s\)/.test(m)),
      logs.join('\n'),
    );
  });
});
