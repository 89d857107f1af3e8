// The node agent's pure parts: /proc/meminfo, GPU change detection, flags.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectExo, diffGpus, parseMeminfo } from '../../agent/src/collect';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { credentialsFrom, parseInterval } from '../../agent/src/main';
import { factsFromSample } from '../../client/src/nats/telemetrySource';
import type { GpuSample } from '#core/nats';

const gpu = (index: number, uuid?: string, name = 'NVIDIA H100'): GpuSample => ({ index, vendor: 'nvidia', name, uuid });

describe('agent collection', () => {
  it('reads MemTotal and MemAvailable', () => {
    const text = 'MemTotal:       65536000 kB\nMemFree:         1000 kB\nMemAvailable:   32768000 kB\n';
    assert.deepEqual(parseMeminfo(text), { totalBytes: 65536000 * 1024, availableBytes: 32768000 * 1024 });
    assert.deepEqual(parseMeminfo('MemTotal: 10 kB\nMemFree: 5 kB\n'), { totalBytes: 10240, availableBytes: 5120 });
    assert.equal(parseMeminfo('garbage'), undefined);
  });

  it('detects a missing and a new GPU by UUID, not by position', () => {
    const before = [gpu(0, 'GPU-a'), gpu(1, 'GPU-b'), gpu(2, 'GPU-c')];
    const after = [gpu(0, 'GPU-a'), gpu(1, 'GPU-c'), gpu(2, 'GPU-d')];
    const { added, removed } = diffGpus(before, after);
    assert.deepEqual(
      added.map((g) => g.uuid),
      ['GPU-d'],
    );
    assert.deepEqual(
      removed.map((g) => g.uuid),
      ['GPU-b'],
    );
    assert.deepEqual(diffGpus(before, before), { added: [], removed: [] });
  });

  it('falls back to slot and model when the tool gives no UUID', () => {
    const { added, removed } = diffGpus([gpu(0), gpu(1)], [gpu(0)]);
    assert.equal(added.length, 0);
    assert.deepEqual(
      removed.map((g) => g.index),
      [1],
    );
  });

  it('parses intervals and refuses nonsense', () => {
    assert.equal(parseInterval('1s'), 1000);
    assert.equal(parseInterval('500ms'), 500);
    assert.equal(parseInterval('2m'), 120_000);
    assert.equal(parseInterval('5'), 5000);
    assert.throws(() => parseInterval('fast'), /invalid interval/);
    assert.throws(() => parseInterval('10ms'), /below 100ms/);
  });

  it('reads credentials from files, never from flag values', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agent-creds-'));
    try {
      writeFileSync(path.join(dir, 'pw'), 'secret\n');
      writeFileSync(path.join(dir, 'a.creds'), '-----BEGIN NATS USER JWT-----\nx\n');
      assert.deepEqual(credentialsFrom({ user: 'agent', passwordFile: path.join(dir, 'pw') }), {
        kind: 'userpass',
        user: 'agent',
        pass: 'secret',
      });
      assert.deepEqual(credentialsFrom({ creds: path.join(dir, 'a.creds') }), {
        kind: 'creds',
        creds: '-----BEGIN NATS USER JWT-----\nx\n',
      });
      assert.deepEqual(credentialsFrom({ tokenFile: path.join(dir, 'pw') }), { kind: 'token', token: 'secret' });
      assert.deepEqual(credentialsFrom({}), { kind: 'none' });
      assert.throws(() => credentialsFrom({ user: 'agent' }), /--password-file/);
      assert.throws(() => credentialsFrom({ creds: path.join(dir, 'missing.creds') }), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("maps a telemetry sample onto the state store's host facts", () => {
    const facts = factsFromSample({
      host: 'gpu-01',
      seq: 3,
      sentAt: 0,
      agentVersion: '0.1.0',
      gpus: [
        { index: 0, vendor: 'nvidia', name: 'NVIDIA H100', memoryUsedMiB: 10, memoryTotalMiB: 80, utilizationPct: 50, temperatureC: 60 },
      ],
      memory: { totalBytes: 100, availableBytes: 40 },
      exo: { up: true, instances: 2 },
    });
    assert.equal(facts.status, 'running');
    assert.deepEqual(facts.gpus, [
      { index: 0, model: 'NVIDIA H100', memoryUsedMiB: 10, memoryTotalMiB: 80, utilizationPct: 50, temperatureC: 60 },
    ]);
    assert.deepEqual(facts.services?.exo, { status: 'running', detail: '2 instances' });
    assert.deepEqual(facts.memory, { totalBytes: 100, availableBytes: 40 });
    const down = factsFromSample({ host: 'h', seq: 1, sentAt: 0, gpus: [], exo: { up: false, error: 'exo is not listening' } });
    assert.deepEqual(down.services?.exo, { status: 'stopped', detail: 'exo is not listening' });
    // The API host did not answer: nothing is known about this node, which is not "stopped".
    const unknown = factsFromSample({
      host: 'h',
      seq: 1,
      sentAt: 0,
      gpus: [],
      exo: { up: false, unknown: true, error: "exo's API (http://10.0.0.10:52415) is not listening" },
    });
    assert.equal(unknown.services?.exo?.status, 'unknown');
    const broken = factsFromSample({
      host: 'h',
      seq: 1,
      sentAt: 0,
      gpus: [],
      gpuError: 'nvidia-smi failed: NVIDIA-SMI has failed',
      agentVersion: '0.1.0',
    });
    assert.equal(broken.statusDetail, 'agent 0.1.0 reporting; nvidia-smi failed: NVIDIA-SMI has failed');
  });
});

describe("agent: its exo node, from the API host's /state", () => {
  const recorded = readFileSync(path.resolve(__dirname, '../../../test/fixtures/exo/recorded/state-downloading.json'), 'utf8');

  it("a worker-only host (exo --no-api) finds its node in the master's /state by address, else by name", async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/state' ? 200 : 404, { 'content-type': 'application/json' }).end(recorded);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const master = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // mac-studio (10.0.0.30) holds a shard of the instance; gpu-2 is in the cluster without one.
      assert.deepEqual(await collectExo(master, { host: 'mac-studio', addresses: ['10.0.0.30', 'fe80::1'] }), {
        up: true,
        node: '12D3KooWMcSt9RfV3aZq8LpW2xN6bT4yHkJ1eU7gD5oXiCs3vQmP',
        instances: 1,
      });
      assert.deepEqual(await collectExo(master, { host: 'gpu-2', addresses: ['192.168.1.5'] }), {
        up: true,
        node: '12D3KooWGp2KcN8sLw3yQeZ5vT7rXb1aMdH6jF9uPq4oCiE2nWkS',
        instances: 0,
      });
      const absent = await collectExo(master, { host: 'gpu-9', addresses: ['10.0.0.99'] });
      assert.equal(absent?.up, false);
      assert.equal(absent?.unknown, undefined);
      assert.match(absent!.error!, /not in exo's cluster/);
    } finally {
      await new Promise((r) => server.close(r));
    }
    // A closed port: the master is not answering, so this node's state is unknown, not stopped.
    const unused = http.createServer();
    await new Promise<void>((r) => unused.listen(0, '127.0.0.1', r));
    const closedUrl = `http://127.0.0.1:${(unused.address() as AddressInfo).port}`;
    await new Promise((r) => unused.close(r));
    const closed = await collectExo(closedUrl, { host: 'gpu-2', addresses: [] });
    assert.equal(closed?.up, false);
    assert.equal(closed?.unknown, true);
    assert.match(closed!.error!, /is not listening/);
    assert.equal(await collectExo('', { host: 'gpu-2', addresses: [] }), undefined, 'no exo on this host: nothing to report');
  });
});
