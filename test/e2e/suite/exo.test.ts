// Launch and stop exo from VS Code, against a real sshd on loopback: the command runs `systemctl start
// exo.service` over SSH (a systemctl stand-in on the test host, since this sandbox has no systemd, starts an
// exo API stand-in: test/fixtures/exo/fake-exo.mjs), then waits on real HTTP until the API answers and the node
// is in GET /state, and shows exo running on the host; Stop stops it and says so.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterStateStore } from '../../../client/src/state/store';
import { clusterStateOf } from '../../../client/src/state/shared';
import { freePort, REPO_ROOT, startSshd, type TestSshd } from '../../fixtures/ops/sshd';
import { activateExtension, waitFor, workspaceUri } from './util';

const HOST = 'e2e-exo';

describe('exo: launch and stop over SSH', () => {
  let store: ClusterStateStore;
  let sshd: TestSshd;
  let state: string;
  let hostFile: string;
  let specFile: string;
  let originalSpec: string;
  let apiPort: number;

  const exoRunning = () => {
    const pidFile = path.join(state, 'exo.pid');
    if (!fs.existsSync(pidFile)) return false;
    try { process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 0); return true; } catch { return false; }
  };

  before(async function () {
    this.timeout(60_000);
    store = clusterStateOf(await activateExtension());
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-exo-'));
    apiPort = await freePort();
    sshd = await startSshd(1, {
      env: { OPS_FIXTURE_STATE: state, FAKE_EXO: path.join(REPO_ROOT, 'test/fixtures/exo/fake-exo.mjs'), FAKE_EXO_PORT: String(apiPort), FAKE_EXO_NAME: HOST },
      pathPrefix: [path.join(REPO_ROOT, 'test/fixtures/ops/exo-bin')],
    });
    specFile = workspaceUri('cluster.yaml').fsPath;
    originalSpec = fs.readFileSync(specFile, 'utf8');
    const withPort = originalSpec.replace(/^exo:\n {2}enable: true\n/m, `exo:\n  enable: true\n  ports: { api: ${apiPort} }\n`);
    assert.notEqual(withPort, originalSpec, 'the example spec has an exo section to point at the test API port');
    fs.writeFileSync(specFile, withPort);
    hostFile = workspaceUri('hosts', `${HOST}.yaml`).fsPath;
    fs.writeFileSync(hostFile, [
      `name: ${HOST}`,
      'addresses: [127.0.0.1]',
      `ssh: { port: ${sshd.hosts[0].port}, identity: ${JSON.stringify(sshd.userKey)}, hostKey: ${JSON.stringify(sshd.hosts[0].hostKey)} }`,
      'roles: [exo-worker]',
      '',
    ].join('\n'));
    await waitFor('the test host and the API port in the spec', () => store.spec?.hosts.some((h) => h.name === HOST) && store.spec?.exo?.ports?.api === apiPort, 30_000);
  });

  after(async function () {
    this.timeout(30_000);
    fs.rmSync(hostFile, { force: true });
    fs.writeFileSync(specFile, originalSpec);
    await waitFor('the test host gone from the spec', () => !store.spec?.hosts.some((h) => h.name === HOST), 20_000).catch(() => undefined);
    const pidFile = path.join(state, 'exo.pid');
    if (fs.existsSync(pidFile)) { try { process.kill(Number(fs.readFileSync(pidFile, 'utf8'))); } catch { /* gone */ } }
    await sshd?.stopAll();
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('Launch exo starts its unit over SSH, waits for the API and the node in /state, and shows it running', async function () {
    this.timeout(90_000);
    assert.equal(exoRunning(), false);
    await vscode.commands.executeCommand('gpuCluster.exo.launch', { host: HOST });
    // The command returns once the node is in exo's /state (the stand-in announces it after 1.5 s).
    assert.equal(exoRunning(), true, 'systemctl start exo.service ran on the host');
    const host = await waitFor('exo running on the host in the store', () => (store.host(HOST).services.exo?.status === 'running' ? store.host(HOST) : undefined), 10_000);
    assert.equal(host.services.exo?.status, 'running');
  });

  it('Stop exo stops the unit over SSH and shows it stopped', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('gpuCluster.exo.stop', { host: HOST });
    await waitFor('the exo stand-in stopped', () => !exoRunning(), 10_000);
    assert.equal(store.host(HOST).services.exo?.status, 'stopped');
  });
});
