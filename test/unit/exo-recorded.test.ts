// The extension's reading of exo against documents made by exo's own code (test/fixtures/exo/recorded, exo
// b5375f8, made by test/fixtures/exo/py/make_fixtures.py): the lab cluster idle, a 70B model placed across
// hub-1 and mac-studio, downloading, loading, ready, failed; previews; exo's error bodies.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { exoError, placeInstance, placeInstanceBody, placementProgress, readPreviews, type Fetch } from '../../core/src/ops/exo';
import { downloadsOf, instancesOf, type ExoState } from '#core/ops';
import { findExoModel } from '#core/catalog';
import { mapExoState } from '../../client/src/state/exoSource';
import { placementChoices, placementLinks, progressLines } from '../../client/src/state/exoPlacement';
import { loadSpec } from '#core/validate';
import type { ClusterSpec } from '#core/spec';

const root = path.resolve(__dirname, '../../..');
const recorded = (name: string) => readFileSync(path.join(root, 'test/fixtures/exo/recorded', name), 'utf8');
const state = (name: string) => JSON.parse(recorded(`state-${name}.json`)) as ExoState;
const MODEL = 'mlx-community/Llama-3.3-70B-Instruct-4bit';
let spec: ClusterSpec;
before(async () => {
  spec = (await loadSpec(path.join(root, 'examples/lab'))).model.spec;
});

describe('exo recorded: the place request', () => {
  it("is snake_case with exo's parameter names, as the request exo accepted", () => {
    assert.deepEqual(
      placeInstanceBody({ id: MODEL, sharding: 'pipeline', minNodes: 2 }),
      JSON.parse(recorded('place-instance-request.json')),
    );
    assert.ok(findExoModel(MODEL), 'the recorded model is in the catalogue');
  });

  it("posts it and reads exo's refusals: 422 (FastAPI), 500 plain text, ErrorResponse", async () => {
    let sent = '';
    const ok: Fetch = async (_url, init) => {
      sent = String(init?.body);
      return new Response(recorded('place-instance-response.json'), { status: 200 });
    };
    const answer = (await placeInstance('http://x', { id: MODEL, minNodes: 2 }, { fetch: ok })) as {
      command_id: string;
      model_card: { modelId: string };
    };
    assert.equal(answer.model_card.modelId, MODEL, 'response snake_case outside, the card camelCase inside');
    assert.deepEqual(JSON.parse(sent), JSON.parse(recorded('place-instance-request.json')));
    const e422 = await exoError(new Response(recorded('error-place-camelcase-422.json'), { status: 422 }), 'place');
    assert.equal(e422.message, 'place: exo answered 422 model_id: Field required');
    const e500 = await exoError(
      new Response(recorded('error-place-unknown-model.txt'), { status: 500, headers: { 'content-type': 'text/plain' } }),
      'place',
    );
    assert.match(e500.message, /^place: exo answered 500 Internal Server Error \(.*model card.*Hugging Face/);
    const e404 = await exoError(new Response(recorded('error-instance-not-found.json'), { status: 404 }), 'delete');
    assert.equal(e404.message, 'delete: exo answered 404 Instance not found');
  });
});

describe('exo recorded: /state', () => {
  it('finds the instance, its pipeline shards and runners in the tagged unions', () => {
    const [inst] = instancesOf(state('downloading'));
    assert.equal(inst.kind, 'MlxRingInstance');
    assert.equal(inst.modelId, MODEL);
    assert.deepEqual(
      inst.shards.map((s) => [s.sharding, s.startLayer, s.endLayer, s.nLayers]),
      [
        ['Pipeline', 0, 47, 80],
        ['Pipeline', 47, 80, 80],
      ],
    );
    const dls = downloadsOf(state('downloading'));
    assert.deepEqual(
      dls.map((d) => [d.kind, d.modelId, Math.round((100 * d.doneBytes) / d.totalBytes)]),
      [
        ['ongoing', MODEL, 35],
        ['ongoing', MODEL, 60],
      ],
    );
    assert.ok(dls.every((d) => d.totalBytes > 0 && d.speed! > 0));
  });

  it('follows a placement: nothing, placed, downloading, loading, ready, and both kinds of failure', () => {
    assert.deepEqual(placementProgress(state('idle'), MODEL), { placed: false, nodes: [], ready: false });
    const placed = placementProgress(state('placed'), MODEL);
    assert.equal(placed.placed, true);
    assert.deepEqual(
      placed.nodes.map((n) => n.phase.phase),
      ['waiting', 'waiting'],
    );
    const downloading = placementProgress(state('downloading'), MODEL);
    assert.deepEqual(
      downloading.nodes.map((n) => n.phase.phase),
      ['downloading', 'downloading'],
    );
    assert.ok(
      downloading.download && downloading.download.doneBytes > 0 && downloading.download.doneBytes < downloading.download.totalBytes,
    );
    assert.deepEqual(progressLines(downloading, state('downloading'), spec), ['hub-1 downloading 35%', 'mac-studio downloading 60%']);
    const loading = placementProgress(state('loading'), MODEL);
    assert.deepEqual(progressLines(loading, state('loading'), spec), ['hub-1 loading 49%', 'mac-studio loading 48%']);
    assert.equal(loading.ready, false);
    const ready = placementProgress(state('ready'), MODEL);
    assert.equal(ready.ready, true);
    assert.equal(ready.failed, undefined);
    assert.match(placementProgress(state('download-failed'), MODEL).failed!, /^download failed: .*401 Unauthorized/);
    assert.match(placementProgress(state('runner-failed'), MODEL).failed!, /exited with code -9/);
    assert.equal(placementProgress(state('ready'), 'mlx-community/other').placed, false);
  });

  it("maps exo's nodes to the spec's hosts and gives each exo row its lifecycle", () => {
    const rows = (name: string) =>
      Object.fromEntries(
        [...mapExoState(state(name), spec).hosts].map(([h, f]) => [
          h,
          `${f.services?.exo?.status}${f.services?.exo?.progressPct !== undefined ? ` ${f.services.exo.progressPct}%` : ''} ${f.services?.exo?.detail ?? ''}`.trim(),
        ]),
      );
    assert.deepEqual(rows('idle'), {
      'hub-1': 'running idle (no instance on this node)',
      'gpu-2': 'running idle (no instance on this node)',
      'mac-studio': 'running idle (no instance on this node)',
    });
    assert.deepEqual(rows('downloading'), {
      'hub-1': 'downloading 35% Llama-3.3-70B-Instruct-4bit layers 0–47/80',
      'gpu-2': 'running idle (no instance on this node)',
      'mac-studio': 'downloading 60% Llama-3.3-70B-Instruct-4bit layers 47–80/80',
    });
    assert.equal(rows('loading')['hub-1'], 'loading 49% Llama-3.3-70B-Instruct-4bit layers 0–47/80');
    assert.equal(rows('ready')['mac-studio'], 'ready Llama-3.3-70B-Instruct-4bit layers 47–80/80');
    assert.match(rows('runner-failed')['mac-studio'], /^failed Llama-3\.3-70B-Instruct-4bit layers 47–80\/80: Runner process exited/);
    assert.match(rows('download-failed')['hub-1'], /^failed .*download failed: .*401/);
    // Only hub-1 left: the others are stopped, whatever exo said about them before.
    assert.deepEqual(rows('hub-only'), {
      'hub-1': 'running idle (no instance on this node)',
      'gpu-2': "stopped not in exo's topology",
      'mac-studio': "stopped not in exo's topology",
    });
  });

  it('Linux nodes have no nodeSystem: no GPU usage or temperature from exo; the Mac has them', () => {
    const m = mapExoState(state('idle'), spec);
    assert.equal(m.hosts.get('hub-1')!.acceleratorUsagePct, undefined);
    assert.equal(m.hosts.get('hub-1')!.temperatureC, undefined);
    assert.equal(state('idle').nodeIdentities![[...m.nodeToHost].find(([, h]) => h === 'hub-1')![0]].modelId, 'Unknown Model');
    assert.equal(m.hosts.get('mac-studio')!.temperatureC, 41.5);
    assert.equal(m.hosts.get('mac-studio')!.gpus![0].memoryTotalMiB, 192 * 1024);
    assert.deepEqual(m.unmatched, []);
    assert.deepEqual(m.links.map((l) => `${l.from}-${l.to} ${l.kind}`).sort(), [
      'gpu-2-mac-studio socket',
      'hub-1-gpu-2 socket',
      'hub-1-mac-studio socket',
    ]);
  });
});

describe('exo recorded: previews as a choice', () => {
  it("reads every preview: placeable ones with nodes and memory, the others with exo's reason", () => {
    const previews = readPreviews(JSON.parse(recorded('previews-idle.json')));
    assert.deepEqual(readPreviews(JSON.parse(recorded('previews-none.json'))), []);
    const choices = placementChoices(previews, state('idle'), spec);
    assert.deepEqual(
      choices.map((c) => c.label),
      [
        'Pipeline · 1 node · sockets (MlxRing)',
        'Pipeline · 2 nodes · sockets (MlxRing)',
        'Pipeline · 3 nodes · sockets (MlxRing)',
        '$(circle-slash) Pipeline · RDMA (MlxJaccl)',
        'Tensor · 1 node · sockets (MlxRing)',
        'Tensor · 2 nodes · sockets (MlxRing)',
        '$(circle-slash) Tensor · sockets (MlxRing)',
        '$(circle-slash) Tensor · RDMA (MlxJaccl)',
      ],
    );
    const two = choices[1];
    assert.equal(two.description, 'hub-1 layers 0–47 (18.9 GB), mac-studio layers 47–80 (18.9 GB)');
    assert.equal(two.detail, 'links: hub-1 ↔ mac-studio via mac-studio:tb0');
    assert.equal(choices[0].detail, 'one node, no links');
    assert.equal(choices[3].detail, 'Requested RDMA (MlxJaccl) but no RDMA-connected cycles available');
    assert.match(choices[6].detail, /No tensor sharding found for model with hidden_size=8192/);
  });

  it('names the links between any set of nodes, by the spec interface of the address exo dialled', () => {
    const m = mapExoState(state('idle'), spec);
    const ids = [...m.nodeToHost.keys()];
    assert.deepEqual(placementLinks(state('idle'), ids, spec), [
      'hub-1 ↔ gpu-2 via gpu-2:eth1',
      'hub-1 ↔ mac-studio via mac-studio:tb0',
      'gpu-2 ↔ mac-studio via mac-studio:en0',
    ]);
  });
});
