// `gpu-cluster update | rollback | status` (the bundled CLI, as CI runs it) against two sshd hosts with
// NixOS-style profiles (test/fixtures/rollout): the preview as JSON, nothing switched without --yes, the
// rollout with progress on stderr and the result as JSON, status from the journal, rollback of one host. Every
// step is a cluster event on a real nats-server (--nats-url), none with --no-events; events of a run that could
// not reach NATS (a closed loopback port) wait in the outbox file and the next run publishes them.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EventStore, type StoredEvent } from '#core/nats';
import { REPO_ROOT } from '../fixtures/ops/sshd';
import { freePort, NatsServer } from './nats-harness';
import { startRolloutHosts, type RolloutHost, type SystemSpec } from '../fixtures/rollout/hosts';

const CLI = path.join(REPO_ROOT, 'dist/cli.js');
const CURRENT: SystemSpec = {
  units: { 'exo.service': 'active', 'nats.service': 'active' },
  closure: [
    ['exo', '1.0.0', 900_000],
    ['glibc', '2.39', 30_000_000],
  ],
};
const NEXT: SystemSpec = {
  units: { 'exo.service': 'active changed', 'nats.service': 'active' },
  closure: [
    ['exo', '1.1.0', 1_000_000],
    ['glibc', '2.39', 30_000_000],
  ],
};

let hosts: RolloutHost[];
let stop: () => Promise<void>;
let specDir: string;
let exo: ChildProcess | undefined;
let nats: NatsServer;
let nc: NatsConnection;
const systems = new Map<string, string>();

/** The events of one rollout on the stream, oldest first. */
async function eventsOf(rolloutId: string): Promise<StoredEvent[]> {
  const store = new EventStore(nc, 't');
  try {
    return (await store.page({ correlationId: rolloutId }, { limit: 500 })).events.reverse();
  } finally {
    store.close();
  }
}
const stepsOf = (events: StoredEvent[], host: string) =>
  events.filter((e) => e.aggregate === host && e.action === 'rollout-step').map((e) => (e.data as { phase: string }).phase);

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, SSH_AUTH_SOCK: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const roots = () => hosts.flatMap((h) => ['--root', `${h.name}=${h.root}`]);
const running = (h: RolloutHost) => path.basename(readlinkSync(path.join(h.root, 'run/current-system')));

before(async () => {
  assert.ok(existsSync(CLI), 'dist/cli.js is built (node scripts/build.mjs)');
  nats = new NatsServer();
  await nats.start();
  nc = await connect({ servers: nats.url });
  const started = await startRolloutHosts(['gpu-a', 'gpu-b'], CURRENT);
  hosts = started.hosts;
  stop = started.stop;
  for (const h of hosts) systems.set(h.name, h.addSystem('gen2', NEXT));
  // gpu-a runs exo: its health check asks exo's /state (the recorded documents' stand-in) for gpu-a's node.
  const exoPort = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  exo = spawn(process.execPath, [path.join(REPO_ROOT, 'test/fixtures/exo/fake-exo.mjs')], {
    env: { ...process.env, FAKE_EXO_PORT: String(exoPort), FAKE_EXO_NAME: 'gpu-a', FAKE_EXO_ADDRESS: '127.0.1.1' },
    stdio: 'ignore',
  });
  specDir = mkdtempSync(path.join(os.tmpdir(), 'rollout-cli-'));
  const hostYaml = hosts
    .map((h, i) =>
      [
        `  - name: ${h.name}`,
        `    addresses: [127.0.1.${i + 1}]`,
        '    tags: [gpu]',
        `    roles: [${i === 0 ? 'exo-worker, nats-hub' : 'nats-leaf'}]`,
        `    ssh: { address: 127.0.0.1, port: ${h.endpoint.port}, user: root, identity: ${h.endpoint.identity}, hostKey: "${h.endpoint.hostKey}" }`,
      ].join('\n'),
    )
    .join('\n');
  writeFileSync(
    path.join(specDir, 'cluster.yaml'),
    [
      'cluster:',
      '  name: t',
      '  domain: t',
      '  nixpkgs: github:NixOS/nixpkgs/nixos-26.05',
      '  system: x86_64-linux',
      '  stateVersion: "26.05"',
      '  tags:',
      '    gpu: GPU nodes',
      'exo:',
      `  ports: { api: ${exoPort} }`,
      'hosts:',
      hostYaml,
      // The spec's own check runs on every host over SSH: gpu-a and gpu-b each find their profile.
      'rollout:',
      '  healthChecks:',
      '    - name: profile present',
      '      command: [sh, -c, \'test -L "$0"\', "' + path.join(hosts[0].root, 'nix/var/nix/profiles/system') + '"]',
      '      hosts: [gpu-a]',
      '',
    ].join('\n'),
  );
});
after(async () => {
  await nc?.close();
  await nats?.stop();
  exo?.kill();
  await stop?.();
  if (specDir) rmSync(specDir, { recursive: true, force: true });
});

describe('gpu-cluster rollout commands', () => {
  const systemArgs = () => hosts.flatMap((h) => ['--system', `${h.name}=${systems.get(h.name)}`]);

  it("update --preview --json prints every host's preview and switches nothing", () => {
    const r = cli(['update', specDir, ...systemArgs(), ...roots(), '--preview', '--json']);
    assert.equal(r.code, 0, r.err);
    const { previews } = JSON.parse(r.out);
    assert.deepEqual(
      previews.map((p: { host: string }) => p.host),
      ['gpu-a', 'gpu-b'],
    );
    assert.deepEqual(
      previews[0].packages.map((c: { name: string; before: string[]; after: string[] }) => [c.name, c.before, c.after]),
      [['exo', ['1.0.0'], ['1.1.0']]],
    );
    assert.deepEqual(previews[0].units.restart, ['exo.service']);
    assert.ok(hosts.every((h) => running(h) === `gen1-nixos-system-${h.name}`));
  });

  it('without --yes only the preview is printed', () => {
    const r = cli(['update', specDir, ...systemArgs(), ...roots()]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /## gpu-a\nrunning .* \(generation 1\)/);
    assert.match(r.err, /nothing was switched; run again with --yes/);
    assert.ok(hosts.every((h) => running(h) === `gen1-nixos-system-${h.name}`));
  });

  it('update --yes --json rolls both hosts out, with progress on stderr and every step on NATS; status reads the journal', async () => {
    const r = cli([
      'update',
      specDir,
      ...systemArgs(),
      ...roots(),
      '--yes',
      '--json',
      '--concurrency',
      '2',
      '--health-timeout',
      '5',
      '--nats-url',
      nats.url,
    ]);
    assert.equal(r.code, 0, r.err);
    const result = JSON.parse(r.out); // one JSON document on stdout
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.previews.map((p: { host: string; units: { restart: string[] } }) => [p.host, p.units.restart]),
      [
        ['gpu-a', ['exo.service']],
        ['gpu-b', ['exo.service']],
      ],
    );
    assert.deepEqual(
      result.hosts.map((h: { phase: string }) => h.phase),
      ['done', 'done'],
    );
    assert.match(r.err, /gpu-a: switching — generation 1 → 2/);
    assert.match(r.err, /gpu-b: confirming — over a fresh SSH connection/);
    assert.ok(hosts.every((h) => running(h) === `gen2-nixos-system-${h.name}`));
    const s = cli(['status', specDir, '--json']);
    assert.equal(s.code, 0, s.err);
    const status = JSON.parse(s.out);
    assert.equal(status.rolloutId, result.rolloutId);
    assert.equal(status.finished, true);
    assert.deepEqual(
      status.hosts.map((h: { host: string; phase: string }) => `${h.host}:${h.phase}`),
      ['gpu-a:done', 'gpu-b:done'],
    );
    assert.match(r.err, new RegExp(`events: recorded on NATS ${nats.url.replace(/[.]/g, '\\.')} \\(t\\.events\\.>\\)`));
    const events = await eventsOf(result.rolloutId);
    assert.ok(events.every((e) => e.source === 'cli' && e.correlationId === result.rolloutId));
    assert.equal(events[0].type, 'cluster.rollout-started');
    assert.deepEqual((events[0].data as { hosts: string[] }).hosts, ['gpu-a', 'gpu-b']);
    assert.equal(events.at(-1)!.type, 'cluster.rollout-finished');
    assert.equal((events.at(-1)!.data as { ok: boolean }).ok, true);
    // the journal's steps, one event each, in the order they were taken
    const journal = readFileSync(path.join(specDir, '.gpu-cluster/rollouts', `${result.rolloutId}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    assert.equal(events.length, journal.length);
    for (const host of ['gpu-a', 'gpu-b']) {
      const steps = stepsOf(events, host);
      assert.deepEqual(steps.slice(-5), ['switching', 'checking', 'restoring', 'confirming', 'done']);
    }
  });

  it('rollback --host switches one host back to its previous generation (--no-events: the journal only)', async () => {
    const r = cli([
      'rollback',
      specDir,
      '--host',
      'gpu-b',
      ...roots(),
      '--yes',
      '--json',
      '--health-timeout',
      '5',
      '--nats-url',
      nats.url,
      '--no-events',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(await eventsOf(JSON.parse(r.out).rolloutId), []);
    assert.doesNotMatch(r.err, /events:/);
    assert.equal(running(hosts[1]), 'gen1-nixos-system-gpu-b');
    assert.equal(running(hosts[0]), 'gen2-nixos-system-gpu-a', 'the other host is not touched');
    assert.equal(readlinkSync(path.join(hosts[1].root, 'nix/var/nix/profiles/system')), 'system-3-link');
  });

  let offlineRollout = '';
  it("a host failing the spec's own health check is rolled back, with the check's name and output as the reason (NATS unreachable: events wait)", async () => {
    const closed = await freePort();
    const file = path.join(specDir, 'cluster.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8') +
        ['    - name: model loaded', "      command: [sh, -c, 'echo no model on $0 >&2; exit 4', gpu-b]", '      hosts: [gpu-b]', ''].join(
          '\n',
        ),
    );
    const r = cli([
      'update',
      specDir,
      '--host',
      'gpu-b',
      '--system',
      `gpu-b=${systems.get('gpu-b')}`,
      ...roots(),
      '--yes',
      '--json',
      '--health-timeout',
      '3',
      '--nats-url',
      `nats://127.0.0.1:${closed}`,
    ]);
    assert.equal(r.code, 1, r.err);
    offlineRollout = JSON.parse(r.out).rolloutId;
    assert.match(
      r.err,
      /events: NATS server not reachable .*connection refused; they wait in .*event-outbox\.jsonl for the next run that reaches NATS/,
    );
    const waiting = readFileSync(path.join(specDir, '.gpu-cluster/event-outbox.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event as StoredEvent);
    assert.ok(waiting.every((e) => e.correlationId === offlineRollout));
    assert.deepEqual([waiting[0].type, waiting.at(-1)!.type], ['cluster.rollout-started', 'cluster.rollout-finished']);
    assert.equal(stepsOf(waiting, 'gpu-b').at(-1), 'rolled-back');
    assert.deepEqual(await eventsOf(offlineRollout), []);
    const [b] = JSON.parse(r.out).hosts;
    assert.equal(b.phase, 'rolled-back');
    assert.match(r.err, /health check failed: model loaded: exit 4: no model on gpu-b/);
    assert.equal(running(hosts[1]), 'gen1-nixos-system-gpu-b');
  });

  it('the next run that reaches NATS publishes the waiting events first, then its own', async () => {
    const r = cli(['rollback', specDir, '--host', 'gpu-a', ...roots(), '--yes', '--json', '--health-timeout', '5', '--nats-url', nats.url]);
    assert.equal(r.code, 0, r.err);
    assert.equal(running(hosts[0]), 'gen1-nixos-system-gpu-a');
    const earlier = await eventsOf(offlineRollout);
    assert.equal(earlier[0].type, 'cluster.rollout-started');
    assert.equal(earlier.at(-1)!.type, 'cluster.rollout-finished');
    assert.equal((earlier.at(-1)!.data as { ok: boolean }).ok, false);
    assert.equal(stepsOf(earlier, 'gpu-b').at(-1), 'rolled-back');
    const own = await eventsOf(JSON.parse(r.out).rolloutId);
    assert.ok(own[0].seq > earlier.at(-1)!.seq, 'in order: the waiting ones first');
    assert.equal(stepsOf(own, 'gpu-a').at(-1), 'done');
    assert.equal(readFileSync(path.join(specDir, '.gpu-cluster/event-outbox.jsonl'), 'utf8'), '', 'nothing waits any more');
  });

  it('bad usage exits 2 with the reason', () => {
    const r = cli(['update', specDir, '--tag', 'tpu']);
    assert.equal(r.code, 2);
    assert.match(r.err, /No host matches tag "tpu"/);
    assert.equal(cli(['rollback', specDir, '--system', 'a=b']).code, 2);
  });
});
