// Launch and stop exo from VS Code, against a real sshd on loopback: the command runs `systemctl start
// exo.service` over SSH (a systemctl stand-in on the test host, since this sandbox has no systemd, starts an
// exo API stand-in serving documents recorded by exo's own code: test/fixtures/exo/fake-exo.mjs), then waits on
// real HTTP until the cluster's API (on hub-1, the exo-api host, moved to 127.0.0.1) has the node in GET /state,
// and shows exo running on the host; Stop stops it and says so. A launch that fails (no SSH, or a node that never
// joins) ends the host's `starting` spinner with `failed` and the reason.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterStateStore } from '../../../client/src/state/store';
import { childrenOf, nodeRoots, type TreeNodeModel } from '../../../client/src/explorer/model';
import { freePort, REPO_ROOT, startSshd, type TestSshd } from '../../fixtures/ops/sshd';
import { activateExtension, waitFor, workspaceUri } from './util';

const HOST = 'e2e-exo';
const LOST = 'e2e-exo-lost';
const DOWN = 'e2e-exo-down';

/** The exo row of a host in the Nodes view's model. */
function exoRow(store: ClusterStateStore, host: string): TreeNodeModel | undefined {
  const hostNode = nodeRoots(store, 'tag')
    .filter((n) => n.kind === 'group')
    .flatMap((g) => childrenOf(store, g))
    .find((n) => n.host === host && n.kind === 'host');
  return hostNode && childrenOf(store, hostNode).find((n) => n.kind === 'service' && n.service === 'exo');
}

describe('exo: launch and stop over SSH', () => {
  let store: ClusterStateStore;
  let sshd: TestSshd;
  let state: string;
  let hostFiles: string[];
  let specFile: string;
  let originalSpec: string;
  let apiPort: number;

  const exoRunning = () => {
    const pidFile = path.join(state, 'exo.pid');
    if (!fs.existsSync(pidFile)) return false;
    try {
      process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 0);
      return true;
    } catch {
      return false;
    }
  };

  before(async function () {
    this.timeout(60_000);
    store = (await activateExtension()).state;
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-exo-'));
    apiPort = await freePort();
    sshd = await startSshd(1, {
      env: {
        OPS_FIXTURE_STATE: state,
        FAKE_EXO: path.join(REPO_ROOT, 'test/fixtures/exo/fake-exo.mjs'),
        FAKE_EXO_PORT: String(apiPort),
        FAKE_EXO_NAME: HOST,
        FAKE_EXO_ADDRESS: '127.0.0.2',
      },
      pathPrefix: [path.join(REPO_ROOT, 'test/fixtures/ops/exo-bin')],
    });
    specFile = workspaceUri('cluster.yaml').fsPath;
    originalSpec = fs.readFileSync(specFile, 'utf8');
    // exo's API is on the exo-api host (hub-1): put it on loopback, on the stand-in's port.
    const withApi = originalSpec
      .replace('addresses: [127.100.0.10]', 'addresses: [127.0.0.1]')
      .replace(/^exo:\n {2}enable: true\n/m, `exo:\n  enable: true\n  ports: { api: ${apiPort} }\n`);
    assert.notEqual(withApi, originalSpec, 'the example spec has hub-1 and an exo section to point at the test API');
    fs.writeFileSync(specFile, withApi);
    const closedPort = await freePort();
    const ssh = (port: number) =>
      `ssh: { address: 127.0.0.1, port: ${port}, identity: ${JSON.stringify(sshd.userKey)}, hostKey: ${JSON.stringify(sshd.hosts[0].hostKey)} }`;
    const hosts: [string, string, number][] = [
      [HOST, '127.0.0.2', sshd.hosts[0].port],
      [LOST, '127.0.0.3', sshd.hosts[0].port],
      [DOWN, '127.0.0.4', closedPort],
    ];
    hostFiles = hosts.map(([name, address, port]) => {
      const file = workspaceUri('hosts', `${name}.yaml`).fsPath;
      fs.writeFileSync(file, [`name: ${name}`, `addresses: [${address}]`, ssh(port), 'roles: [exo-worker]', ''].join('\n'));
      return file;
    });
    await waitFor(
      'the test hosts and the API port in the spec',
      () => [HOST, LOST, DOWN].every((h) => store.spec?.hosts.some((x) => x.name === h)) && store.spec?.exo?.ports?.api === apiPort,
      30_000,
    );
    // exo's rows follow the poller of exo's API, which runs once the user has connected to the cluster.
    await vscode.commands.executeCommand('gpuCluster.connect');
  });

  after(async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('gpuCluster.disconnect');
    for (const f of hostFiles ?? []) fs.rmSync(f, { force: true });
    fs.writeFileSync(specFile, originalSpec);
    await vscode.workspace.getConfiguration('gpuCluster').update('exo.launchTimeoutMs', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('the test hosts gone from the spec', () => !store.spec?.hosts.some((h) => h.name.startsWith('e2e-exo')), 20_000).catch(
      () => undefined,
    );
    const pidFile = path.join(state, 'exo.pid');
    if (fs.existsSync(pidFile)) {
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8')));
      } catch {
        /* gone */
      }
    }
    await sshd?.stopAll();
    fs.rmSync(state, { recursive: true, force: true });
  });

  it("Launch exo starts its unit over SSH, waits for the node in the API host's /state, and shows it running", async function () {
    this.timeout(90_000);
    assert.equal(exoRunning(), false);
    await vscode.commands.executeCommand('gpuCluster.exo.launch', { host: HOST });
    // The command returns once the node is in exo's /state (the stand-in announces it after 1.5 s).
    assert.equal(exoRunning(), true, 'systemctl start exo.service ran on the host');
    const host = await waitFor(
      'exo running on the host in the store',
      () => (store.host(HOST).services.exo?.status === 'running' ? store.host(HOST) : undefined),
      10_000,
    );
    assert.equal(host.services.exo?.status, 'running');
  });

  it('Stop exo stops the unit over SSH and shows it stopped', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('gpuCluster.exo.stop', { host: HOST });
    await waitFor('the exo stand-in stopped', () => !exoRunning(), 10_000);
    assert.equal(store.host(HOST).services.exo?.status, 'stopped');
  });

  it('a failed Launch exo ends the spinner: failed with the reason, for a node that never joins and for a host SSH cannot reach', async function () {
    this.timeout(90_000);
    await vscode.workspace.getConfiguration('gpuCluster').update('exo.launchTimeoutMs', 4000, vscode.ConfigurationTarget.Workspace);
    // What each host's exo row went through (the store delivers changes in batches).
    const seen = new Map<string, string[]>();
    const watch = store.onDidChange(() => {
      for (const h of [LOST, DOWN]) {
        const exo = store.host(h).services.exo;
        const line = `${exo?.status}${exo?.detail ? `: ${exo.detail}` : ''}`;
        const list = seen.get(h) ?? [];
        if (list[list.length - 1] !== line) seen.set(h, [...list, line]);
      }
    });
    try {
      // Both hosts at once (a multi-selection); the command returns when both have ended.
      await vscode.commands.executeCommand('gpuCluster.exo.launch', { host: LOST }, [{ host: LOST }, { host: DOWN }]);
      store.flush();
    } finally {
      watch.dispose();
    }
    const lost = seen.get(LOST) ?? [];
    assert.ok(
      lost.some((l) => l.startsWith('starting')),
      `the launch showed starting: ${lost.join(' → ')}`,
    );
    // The launch ends it as failed (timed out); exo's own /state, polled while connected, may report the same end
    // first or right after it: the node is not in its topology (stopped). Either way it no longer says starting.
    assert.ok(
      lost.some((l) => /^failed: exo did not come up: timed out after 4 s|^stopped: not in exo's topology/.test(l)),
      `the node that never joined ended failed (timed out) or stopped: ${lost.join(' → ')}`,
    );
    assert.ok(!lost[lost.length - 1]?.startsWith('starting'), `the node that never joined is no longer starting: ${lost.join(' → ')}`);
    const down = seen.get(DOWN) ?? [];
    assert.ok(
      down.some((l) => /^failed: ./.test(l)),
      `the host without SSH ended failed with the reason: ${down.join(' → ')}`,
    );
    // Whatever reports next (exo's /state says the node is not in its topology), nothing spins any more.
    for (const h of [LOST, DOWN]) {
      const row = exoRow(store, h);
      assert.ok(row, `${h} has an exo row`);
      assert.notEqual(row.icon.id, 'loading~spin', `${h}'s exo row no longer spins`);
      assert.match(row.description ?? '', /^(failed|stopped) · /);
      assert.notEqual(store.host(h).services.exo?.status, 'starting');
    }
  });
});
