// Place Model Instance against a recorded exo: a loopback stand-in for exo's API (exo cannot run here) serving
// only documents made by exo's own code (test/fixtures/exo/fake-exo.mjs, scenario "place": the lab cluster,
// exo commit b5375f8). A real model id from the catalogue (exo's model cards) is previewed, placed on two nodes
// and followed through download progress to ready, in the command's progress and in the explorer's exo rows.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findExoModel } from '#core/catalog';
import type { ClusterStateStore, ServiceStatus } from '../../../client/src/state/store';
import type { PlaceModelResult } from '../../../client/src/ops/exoPlaceModel';
import { childrenOf, nodeRoots } from '../../../client/src/explorer/model';
import { freePort, REPO_ROOT } from '../../fixtures/ops/sshd';
import { activateExtension, waitFor, workspaceUri } from './util';

const MODEL = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/exo/recorded/manifest.json'), 'utf8')).model as string;

describe('exo: place a model from the catalogue', () => {
  let store: ClusterStateStore;
  let exo: ChildProcess;
  let specFile: string;
  let originalSpec: string;
  let port: number;

  before(async function () {
    this.timeout(60_000);
    store = (await activateExtension()).state;
    port = await freePort();
    exo = spawn(process.execPath, [path.join(REPO_ROOT, 'test/fixtures/exo/fake-exo.mjs')], {
      env: {
        ...process.env,
        ELECTRON_RUN_AS_NODE: '1',
        FAKE_EXO_PORT: String(port),
        FAKE_EXO_SCENARIO: 'place',
        FAKE_EXO_LOOPBACK_OFFSET: '100',
      },
      stdio: 'ignore',
    });
    await waitFor(
      'the exo stand-in listening',
      () =>
        fetch(`http://127.0.0.1:${port}/state`).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
    );
    specFile = workspaceUri('cluster.yaml').fsPath;
    originalSpec = fs.readFileSync(specFile, 'utf8');
    // exo's API is on hub-1 (exo-api): put it on loopback; exo's nodes still match hosts by their addresses.
    const edited = originalSpec
      .replace('addresses: [127.100.0.10]', 'addresses: [127.0.0.1]')
      .replace(/^exo:\n {2}enable: true\n/m, `exo:\n  enable: true\n  ports: { api: ${port} }\n`);
    assert.notEqual(edited, originalSpec);
    fs.writeFileSync(specFile, edited);
    await waitFor('the API on loopback in the spec', () => store.spec?.exo?.ports?.api === port, 60_000).catch((err: Error) => {
      throw new Error(
        `${err.message}; the store has exo ${JSON.stringify(store.spec?.exo)} and hub-1 at ${store.spec?.hosts.find((h) => h.name === 'hub-1')?.addresses}`,
      );
    });
    // The explorer's exo rows follow the poller of exo's API, which runs once the user has connected.
    await vscode.commands.executeCommand('gpuCluster.connect');
  });

  after(async function () {
    this.timeout(20_000);
    await vscode.commands.executeCommand('gpuCluster.disconnect');
    fs.writeFileSync(specFile, originalSpec);
    exo?.kill();
    await waitFor('the spec restored', () => store.spec?.exo?.ports?.api !== port, 15_000).catch(() => undefined);
  });

  it("the example's model is a real exo model id from the catalogue", () => {
    assert.ok(findExoModel(MODEL), MODEL);
    assert.ok(
      store.spec?.exo?.models?.some((m) => m.id === MODEL),
      'examples/lab places it',
    );
  });

  it('previews, places on two nodes, shows download progress per host and ends ready', async function () {
    this.timeout(90_000);
    const seen = new Map<string, ServiceStatus[]>();
    const watch = store.onDidChange(() => {
      for (const h of ['hub-1', 'mac-studio']) {
        const status = store.host(h).services.exo?.status;
        const list = seen.get(h) ?? [];
        if (status && list[list.length - 1] !== status) seen.set(h, [...list, status]);
      }
    });
    try {
      const result = await vscode.commands.executeCommand<PlaceModelResult>('gpuCluster.exo.placeModel', {
        model: { id: MODEL, sharding: 'pipeline', minNodes: 2 },
        nodes: 2,
      });
      assert.equal(result?.outcome, 'ready', JSON.stringify(result));
      // What the notification showed: the instance per host, downloading with its percentage, then loading.
      assert.ok(result.progress.includes('hub-1 downloading 35% · mac-studio downloading 60%'), result.progress.join(' | '));
      assert.ok(
        result.progress.some((p) => /^hub-1 loading \d+%/.test(p)),
        result.progress.join(' | '),
      );
      // The explorer's exo rows, from exo's /state: ready with the host's shard of the model.
      await waitFor(
        'exo ready on hub-1 and mac-studio',
        () => store.host('hub-1').services.exo?.status === 'ready' && store.host('mac-studio').services.exo?.status === 'ready',
        30_000,
      );
      const hub = nodeRoots(store, 'tag')
        .filter((n) => n.kind === 'group')
        .flatMap((g) => childrenOf(store, g))
        .find((n) => n.kind === 'host' && n.host === 'hub-1')!;
      const row = childrenOf(store, hub).find((n) => n.kind === 'service' && n.service === 'exo')!;
      assert.equal(row.description, 'ready · Llama-3.3-70B-Instruct-4bit layers 0–47/80');
      assert.ok(seen.get('hub-1')?.includes('downloading'), `hub-1's exo row showed the download: ${seen.get('hub-1')?.join(' → ')}`);
    } finally {
      watch.dispose();
    }
  });

  it('a short id is refused by exo as exo refuses it, and the command says why', async function () {
    this.timeout(30_000);
    const result = await vscode.commands.executeCommand<PlaceModelResult>('gpuCluster.exo.placeModel', {
      model: { id: 'llama-3.1-70b', minNodes: 2 },
      nodes: 2,
    });
    assert.equal(result?.outcome, 'failed');
    assert.match(result.reason!, /exo could not preview llama-3\.1-70b: exo answered 400 Failed to load model card/);
  });
});
