// Operations over SSH inside VS Code, against a real sshd on loopback (nvidia-smi stand-in on its PATH):
// Probe Hosts from a host node feeds the explorer's state store, Open SSH Terminal logs in with strict
// host-key checking, and a changed host key stops a probe with the explanation on the host.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterStateStore } from '../../../client/src/state/store';
import { startSshd, type TestSshd } from '../../fixtures/ops/sshd';
import { activateExtension, waitFor, workspaceUri } from './util';

const HOST = 'e2e-ssh';

describe('ops: operations over SSH', () => {
  let store: ClusterStateStore;
  let sshd: TestSshd;
  let state: string;
  let hostFile: string;

  const writeHost = (hostKey: string) =>
    fs.writeFileSync(
      hostFile,
      [
        `name: ${HOST}`,
        'addresses: [127.0.0.1]',
        `ssh: { port: ${sshd.hosts[0].port}, identity: ${JSON.stringify(sshd.userKey)}, hostKey: ${JSON.stringify(hostKey)} }`,
        'roles: [checkpoint-agent]',
        'hardware:',
        '  gpus:',
        '    - { vendor: nvidia, model: RTX 4090, count: 2 }',
        '',
      ].join('\n'),
    );
  const hostKeyInSpec = () => store.spec?.hosts.find((h) => h.name === HOST)?.ssh?.hostKey;

  before(async function () {
    this.timeout(60_000);
    store = (await activateExtension()).state;
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-ops-'));
    sshd = await startSshd(1, { env: { OPS_FIXTURE_STATE: state } });
    hostFile = workspaceUri('hosts', `${HOST}.yaml`).fsPath;
    writeHost(sshd.hosts[0].hostKey);
    await waitFor('the test host in the spec', () => hostKeyInSpec() === sshd.hosts[0].hostKey, 30_000);
  });

  after(async function () {
    this.timeout(30_000);
    for (const t of vscode.window.terminals.filter((t) => t.name === `ssh ${HOST}`)) t.dispose();
    fs.rmSync(hostFile, { force: true });
    await waitFor('the test host gone from the spec', () => !store.spec?.hosts.some((h) => h.name === HOST), 20_000).catch(() => undefined);
    await sshd?.stopAll();
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('Probe Hosts on a host node feeds the explorer with what the host reports over SSH', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('gpuCluster.probeHosts', { host: HOST });
    const host = await waitFor('probe facts in the store', () => (store.host(HOST).gpus.length === 2 ? store.host(HOST) : undefined));
    assert.equal(host.status, 'reachable');
    assert.deepEqual(
      host.gpus.map((g) => [g.model, g.memoryUsedMiB, g.memoryTotalMiB]),
      [
        ['NVIDIA GeForce RTX 4090', 18211, 24564],
        ['NVIDIA GeForce RTX 4090', 3, 24564],
      ],
    );
    assert.match(host.statusDetail ?? '', /x86_64 · kernel .*NVIDIA driver 550\.54\.14/);
    assert.ok((host.memory?.totalBytes ?? 0) > 0);
  });

  it('Open SSH Terminal logs in with strict host-key checking against the key the spec pins', async function () {
    this.timeout(60_000);
    const marker = path.join(state, 'terminal-was-here');
    await vscode.commands.executeCommand('gpuCluster.openSshTerminal', { host: HOST });
    const terminal = await waitFor('the ssh terminal', () => vscode.window.terminals.find((t) => t.name === `ssh ${HOST}`));
    terminal.sendText(`echo "$OPS_TEST_HOST" > ${marker}`);
    const written = await waitFor(
      'the command typed into the ssh session to run on the host',
      () => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim(),
      30_000,
    );
    assert.equal(written, 'test-1');
    terminal.sendText('exit');
  });

  it('a changed host key stops the probe and says so on the host', async function () {
    this.timeout(60_000);
    const impostor = path.join(state, 'impostor');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', impostor]);
    const wrongKey = fs.readFileSync(`${impostor}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    writeHost(wrongKey);
    await waitFor('the new pinned key in the spec', () => hostKeyInSpec() === wrongKey, 30_000);
    await vscode.commands.executeCommand('gpuCluster.probeHosts', { host: HOST });
    const host = await waitFor('the host marked unreachable', () =>
      store.host(HOST).status === 'unreachable' ? store.host(HOST) : undefined,
    );
    assert.match(host.statusDetail ?? '', /HOST KEY CHANGED/);
    assert.match(host.statusDetail ?? '', /ssh\.hostKey in the spec/);
  });
});
