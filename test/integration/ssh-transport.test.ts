// The SSH transport against real OpenSSH servers on loopback: host-key pinning and prompts, argv quoting,
// cancellation and dropped connections (checked on the "remote" side, which is this machine), ProxyJump,
// connection reuse, and clear errors for bad logins and closed ports.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SshError, SshPool } from '#core/ssh';
import { appendKnownHost, parsePublicKey } from '../../core/src/ssh/hostKeys';
import { argv, sh } from '../../core/src/ssh/quote';
import { freePort, pidsMatching, RecordingPolicy, sshdChildren, startSshd, type TestSshd } from '../fixtures/ops/sshd';

let sshd: TestSshd;
let tmp: string;
const pools: SshPool[] = [];

function pool(policy: RecordingPolicy, extra: Partial<ConstructorParameters<typeof SshPool>[0]> = {}): SshPool {
  const p = new SshPool({ policy, auth: { agent: '' }, readyTimeoutMs: 10_000, ...extra });
  pools.push(p);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(cond: () => boolean, ms = 8000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

before(async () => {
  sshd = await startSshd(3);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ops-transport-'));
});

after(async () => {
  for (const p of pools) p.closeAll();
  await sshd?.stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

describe('host keys', () => {
  it('asks about an unknown key with the fingerprint ssh-keygen prints, pins it when accepted, and does not ask again', async () => {
    const host = sshd.hosts[0];
    const managed = path.join(tmp, 'accept', 'known_hosts');
    const policy = new RecordingPolicy([managed], async (req) => {
      await appendKnownHost(managed, req.endpoint.address, req.endpoint.port, req.key);
      return true;
    });
    const p = pool(policy);
    const r = await p.exec(host.endpoint(), argv(['echo', 'hello']));
    assert.equal(r.stdout, 'hello\n');
    assert.equal(policy.asked.length, 1);
    const expected = execFileSync('ssh-keygen', ['-lf', path.join(sshd.dir, host.name, 'ssh_host_ed25519_key.pub')], {
      encoding: 'utf8',
    }).split(' ')[1];
    assert.equal(policy.asked[0].fingerprint, expected);
    assert.match(readFileSync(managed, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host.port} ssh-ed25519 `));

    const again = new RecordingPolicy([managed], () => assert.fail('must not ask for a pinned key'));
    const r2 = await pool(again).exec(host.endpoint(), argv(['echo', 'again']));
    assert.equal(r2.stdout, 'again\n');
  });

  it('refuses to connect when the user declines the unknown key, and runs nothing', async () => {
    const host = sshd.hosts[0];
    const marker = path.join(tmp, `declined-${process.pid}`);
    const policy = new RecordingPolicy([path.join(tmp, 'none')], () => false);
    await assert.rejects(pool(policy).exec(host.endpoint(), argv(['touch', marker])), (err: SshError) => err.kind === 'host-key-refused');
    assert.equal(policy.asked.length, 1);
    assert.equal(existsSync(marker), false);
  });

  it('connects without asking when the spec pins the right key', async () => {
    const host = sshd.hosts[1];
    const policy = new RecordingPolicy([], () => assert.fail('must not ask'));
    const r = await pool(policy).exec(host.endpoint({ hostKey: host.hostKey }), argv(['echo', 'pinned']));
    assert.equal(r.stdout, 'pinned\n');
  });

  it('stops hard when the pinned key does not match, naming both fingerprints, without asking', async () => {
    const host = sshd.hosts[1];
    const policy = new RecordingPolicy([], () => assert.fail('a changed key is never a question'));
    const wrong = sshd.hosts[2].hostKey;
    await assert.rejects(pool(policy).exec(host.endpoint({ hostKey: wrong }), argv(['true'])), (err: SshError) => {
      assert.equal(err.kind, 'host-key-changed');
      assert.match(err.message, /HOST KEY CHANGED/);
      assert.match(err.message, /ssh\.hostKey in the spec/);
      return true;
    });
    assert.equal(policy.asked.length, 0);
  });

  it('treats a different key in a hashed known_hosts entry as changed, and a matching hashed entry as known', async () => {
    const host = sshd.hosts[2];
    const file = path.join(tmp, 'hashed_known_hosts');
    const other = parsePublicKey(sshd.hosts[0].hostKey);
    writeFileSync(file, `[127.0.0.1]:${host.port} ${other.type} ${other.blob.toString('base64')}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    assert.match(readFileSync(file, 'utf8'), /^\|1\|/);
    const policy = new RecordingPolicy([file], () => assert.fail('must not ask'));
    await assert.rejects(
      pool(policy).exec(host.endpoint(), argv(['true'])),
      (err: SshError) => err.kind === 'host-key-changed' && err.message.includes(file),
    );

    writeFileSync(file, `[127.0.0.1]:${host.port} ${host.hostKey}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const r = await pool(policy).exec(host.endpoint(), argv(['echo', 'known']));
    assert.equal(r.stdout, 'known\n');
  });
});

describe('commands', () => {
  const trusted = () => new RecordingPolicy([], () => true);

  it('delivers a spec value full of shell metacharacters as one literal argument', async () => {
    const host = sshd.hosts[0];
    const pwned = path.join(tmp, 'pwned');
    const evil = `x$(touch ${pwned}); \`touch ${pwned}\` ' " \\ \n* $HOME && | ; > ${pwned} #`;
    const p = pool(trusted());
    const count = await p.exec(host.endpoint({ hostKey: host.hostKey }), sh`sh -c 'echo $#' sh ${evil}`);
    assert.equal(count.stdout, '1\n');
    const echoed = await p.exec(host.endpoint({ hostKey: host.hostKey }), argv(['printf', '%s', evil]));
    assert.equal(echoed.stdout, evil);
    assert.equal(existsSync(pwned), false);
  });

  it('reports exit status and stderr, and reuses one connection for many commands', async () => {
    const host = sshd.hosts[0];
    const p = pool(trusted());
    const ep = host.endpoint({ hostKey: host.hostKey });
    const results = await Promise.all([1, 2, 3, 4].map((n) => p.exec(ep, sh`echo out${n}; echo err${n} >&2; exit ${n}`)));
    results.forEach((r, i) => {
      assert.equal(r.code, i + 1);
      assert.equal(r.stdout, `out${i + 1}\n`);
      assert.equal(r.stderr, `err${i + 1}\n`);
    });
    assert.equal(p.size, 1);
  });

  it('cancelling stops the remote command and its children', async () => {
    const host = sshd.hosts[1];
    const marker = `4${String(process.pid).slice(-3)}.${Date.now() % 100000}`;
    const p = pool(trusted());
    const controller = new AbortController();
    const running = p.exec(host.endpoint({ hostKey: host.hostKey }), sh`sleep ${marker}; echo never`, { signal: controller.signal });
    assert.ok(await waitUntil(() => pidsMatching(`sleep ${marker}`).length > 0), 'remote sleep started');
    controller.abort();
    await assert.rejects(running, (err: SshError) => err.kind === 'cancelled');
    assert.ok(await waitUntil(() => pidsMatching(`sleep ${marker}`).length === 0), 'remote sleep was killed');
  });

  it('a timeout stops the command too, with a timeout error', async () => {
    const host = sshd.hosts[1];
    const marker = `5${String(process.pid).slice(-3)}.${Date.now() % 100000}`;
    const p = pool(trusted());
    await assert.rejects(
      p.exec(host.endpoint({ hostKey: host.hostKey }), sh`sleep ${marker}`, { timeoutMs: 500 }),
      (err: SshError) => err.kind === 'timeout',
    );
    assert.ok(await waitUntil(() => pidsMatching(`sleep ${marker}`).length === 0));
  });

  it('a connection dropped mid-command gives a clear error and leaves no process behind', async () => {
    const host = sshd.hosts[2];
    const before = new Set(sshdChildren(host.process));
    const marker = `6${String(process.pid).slice(-3)}.${Date.now() % 100000}`;
    const p = pool(trusted());
    const running = p.exec(host.endpoint({ hostKey: host.hostKey }), sh`sleep ${marker}`);
    assert.ok(await waitUntil(() => pidsMatching(`sleep ${marker}`).length > 0));
    const sessions = sshdChildren(host.process).filter((pid) => !before.has(pid));
    assert.ok(sessions.length > 0, 'found the per-connection sshd');
    for (const pid of sessions) process.kill(pid, 'SIGKILL');
    await assert.rejects(running, (err: SshError) => {
      assert.equal(err.kind, 'connection-lost');
      assert.match(err.message, /connection to test-3 .* was lost/);
      return true;
    });
    assert.ok(await waitUntil(() => pidsMatching(`sleep ${marker}`).length === 0), 'remote sleep was killed after the drop');
    // The pool notices and reconnects on the next command.
    const r = await p.exec(host.endpoint({ hostKey: host.hostKey }), argv(['echo', 'back']));
    assert.equal(r.stdout, 'back\n');
  });

  it('closes a connection once it has been idle, and opens a new one when needed', async () => {
    const host = sshd.hosts[0];
    const p = pool(trusted(), { idleCloseMs: 150 });
    const ep = host.endpoint({ hostKey: host.hostKey });
    await p.exec(ep, argv(['true']));
    assert.equal(p.size, 1);
    assert.ok(await waitUntil(() => p.size === 0, 3000), 'idle connection closed');
    const r = await p.exec(ep, argv(['echo', 'again']));
    assert.equal(r.stdout, 'again\n');
  });

  it('streams output as it arrives, multi-byte characters intact', async () => {
    const host = sshd.hosts[0];
    const chunks: string[] = [];
    const r = await pool(trusted()).exec(host.endpoint({ hostKey: host.hostKey }), sh`printf 'größe '; sleep 0.2; printf '→ ok'`, {
      onStdout: (c) => chunks.push(c),
    });
    assert.equal(chunks.join(''), 'größe → ok');
    assert.ok(chunks.length >= 2, 'arrived in more than one piece');
    assert.equal(r.stdout, 'größe → ok');
  });

  it('jumps through another host (ProxyJump)', async () => {
    const [jump, target] = sshd.hosts;
    const policy = new RecordingPolicy([], () => assert.fail('both keys are pinned'));
    const p = pool(policy);
    const r = await p.exec(
      target.endpoint({ hostKey: target.hostKey, jump: jump.endpoint({ hostKey: jump.hostKey }) }),
      sh`echo $OPS_TEST_HOST`,
    );
    assert.equal(r.stdout, `${target.name}\n`);
    assert.equal(p.size, 2, 'the jump connection is pooled too');
  });
});

describe('login failures', () => {
  it('names the refused login', async () => {
    const host = sshd.hosts[0];
    const stranger = path.join(tmp, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const p = pool(new RecordingPolicy([], () => true));
    await assert.rejects(
      p.exec(host.endpoint({ hostKey: host.hostKey, identity: stranger }), argv(['true'])),
      (err: SshError) => err.kind === 'auth' && /refused the login/.test(err.message),
    );
  });

  it('asks for the passphrase of an encrypted key, and says when it is wrong', async () => {
    const host = sshd.hosts[0];
    const locked = path.join(tmp, 'locked');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-f', locked]);
    writeFileSync(
      path.join(sshd.dir, 'authorized_keys'),
      readFileSync(`${sshd.userKey}.pub`, 'utf8') + readFileSync(`${locked}.pub`, 'utf8'),
    );
    const asked: string[] = [];
    const rejected: string[] = [];
    const good = pool(new RecordingPolicy([], () => true), {
      auth: {
        agent: '',
        passphrase: async (f) => {
          asked.push(f);
          return 'open sesame';
        },
      },
    });
    const r = await good.exec(host.endpoint({ hostKey: host.hostKey, identity: locked }), argv(['echo', 'unlocked']));
    assert.equal(r.stdout, 'unlocked\n');
    assert.deepEqual(asked, [locked]);
    const bad = pool(new RecordingPolicy([], () => true), {
      auth: { agent: '', passphrase: async () => 'wrong', passphraseRejected: (f) => rejected.push(f) },
    });
    await assert.rejects(
      bad.exec(host.endpoint({ hostKey: host.hostKey, identity: locked }), argv(['true'])),
      (err: SshError) => err.kind === 'identity' && /wrong/.test(err.message),
    );
    assert.deepEqual(rejected, [locked]);
  });

  it('logs in with a key held by a real ssh-agent', async () => {
    const host = sshd.hosts[0];
    const socket = path.join(tmp, 'agent.sock');
    const agent = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent)?.[1]);
    try {
      execFileSync('ssh-add', [sshd.userKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const p = pool(new RecordingPolicy([], () => true), { auth: { agent: socket } });
      const r = await p.exec(host.endpoint({ hostKey: host.hostKey, identity: undefined }), argv(['echo', 'agent']));
      assert.equal(r.stdout, 'agent\n');
    } finally {
      process.kill(agentPid, 'SIGTERM');
    }
  });

  it('says there is no way to log in without an identity or an agent', async () => {
    const host = sshd.hosts[0];
    await assert.rejects(
      pool(new RecordingPolicy([], () => true)).exec(host.endpoint({ identity: undefined }), argv(['true'])),
      (err: SshError) => err.kind === 'auth' && /set ssh\.identity/.test(err.message),
    );
  });

  it('times out on a server that never speaks SSH', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const p = pool(new RecordingPolicy([], () => true), { readyTimeoutMs: 500 });
      await assert.rejects(
        p.exec({ name: 'mute', address: '127.0.0.1', port, user: 'root', identity: sshd.userKey }, argv(['true'])),
        (err: SshError) => err.kind === 'timeout' && /handshake in time/.test(err.message),
      );
    } finally {
      silent.close();
    }
  });

  it('says the port is closed', async () => {
    const port = await freePort();
    const p = pool(new RecordingPolicy([], () => true));
    await assert.rejects(
      p.exec({ name: 'nowhere', address: '127.0.0.1', port, user: 'root', identity: sshd.userKey }, argv(['true'])),
      (err: SshError) => err.kind === 'unreachable' && /connection refused/.test(err.message),
    );
  });
});
