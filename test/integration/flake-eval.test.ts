// The generated flake evaluated with nixpkgs' real module system: every host of every example and of generated
// variants (1 host, 100 hosts, TLS and leaf nodes, AMD, the NVIDIA datacenter driver, a facter report, nix-darwin hosts)
// goes through the generated flake.nix's `outputs` into lib.evalModules (../shared/upstream/nixpkgs-lib), with the
// upstream options declared from the option facts and disko layouts checked by disko's own types. An unknown option,
// a value of the wrong type or a failed assertion fails the test. test/support/eval-flake.nix says what is stood in for.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadSpec } from '../../core/src/spec/load';
import { generateFlake } from '../../core/src/flake/index';
import { SUPPORTED_RELEASE } from '../../core/src/flake/pins';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, planWrite } from '../../core/src/flake/write';
import type { ClusterSpec } from '../../core/src/spec/types';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { syntheticCluster } from '../support/flakeClusters';
import { declarationsModule, readOptionFacts } from '../support/optionDeclarations';
import { nixpkgsLib, upstreamSource } from '../support/upstream';

const run = promisify(execFile);
const repo = path.dirname(findTemplatesDir(__dirname));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'flake-eval-'));
const harness = path.join(repo, 'test/support/eval-flake.nix');
const hostCounts = new Map<string, number>();

interface HostReport {
  forced: number;
  failedAssertions: string[];
  warnings: string[];
  nats: { settings: Record<string, any>; validateConfig: boolean } | null;
  polkit: boolean | null;
  videoDrivers: string[] | null;
  tmpfiles: string[] | null;
  execStart: Record<string, string | null> | null;
  fileSystems: string[] | null;
}
type FlakeReport = { nixos: Record<string, HostReport>; darwin: Record<string, HostReport> };
let reports: Record<string, FlakeReport>;

after(() => rmSync(tmp, { recursive: true, force: true }));

async function writeFlake(name: string, spec: ClusterSpec, facterReports?: Map<string, string>): Promise<string> {
  const templates = await readTemplates(findTemplatesDir(repo));
  const dir = path.join(tmp, name);
  await applyPlan(await planWrite(dir, generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN, facterReports }).files));
  hostCounts.set(name, spec.hosts.length);
  return dir;
}

/** One nix-instantiate for all flakes: the harness applied to each. */
async function evaluate(flakes: Record<string, string>): Promise<Record<string, FlakeReport>> {
  const nixosDeclarations = path.join(tmp, 'nixos-declarations.nix');
  const darwinDeclarations = path.join(tmp, 'darwin-declarations.nix');
  writeFileSync(nixosDeclarations, declarationsModule(readOptionFacts('nixos')));
  writeFileSync(darwinDeclarations, declarationsModule(readOptionFacts('darwin')));
  const entries = Object.entries(flakes).map(([name, dir]) => `${JSON.stringify(name)} = harness { flakeDir = ${dir}; };`);
  const expr = `let
    lib = import ${nixpkgsLib()};
    harness = args: import ${harness} ({ inherit lib; nixosDeclarations = ${nixosDeclarations}; darwinDeclarations = ${darwinDeclarations};
      disko = ${upstreamSource('disko')}; } // args);
  in { ${entries.join(' ')} }`;
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--store', 'dummy://', '-E', expr],
    { maxBuffer: 256 << 20, timeout: 110_000 });
  return JSON.parse(stdout);
}

async function evaluationError(flakeDir: string): Promise<string> {
  try {
    await evaluate({ bad: flakeDir });
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  return '';
}

before(async () => {
  const flakes: Record<string, string> = {};
  for (const example of ['two-node-nvidia', 'mixed-thunderbolt', 'lab', 'hundred-node']) {
    const loaded = await loadSpec(path.join(repo, 'examples', example));
    flakes[example] = await writeFlake(example, loaded.model.spec);
  }
  flakes['one-host'] = await writeFlake('one-host', syntheticCluster(1));
  const facter = syntheticCluster(2);
  facter.hosts[1].hardware = { ...facter.hosts[1].hardware, facterReport: 'facter/node-0002.json' };
  flakes.facter = await writeFlake('facter', facter, new Map([['node-0002', '{"version":1,"system":"x86_64-linux","hardware":{}}']]));
  // The datacenter driver (Fabric Manager) is a choice for custom.nix; the generated gpu module must stay consistent.
  flakes.datacenter = await writeFlake('datacenter', syntheticCluster(2));
  writeFileSync(path.join(flakes.datacenter, 'hosts/node-0001/custom.nix'), '{ ... }: { gpuCluster.gpu.nvidia.datacenter = true; }\n');
  const tls = syntheticCluster(3);
  tls.nats = {
    url: 'tls://10.100.0.10:4222', leaf: { remotes: [{ url: 'tls://10.100.0.10:7422', credentials: '/var/lib/nats/leaf.creds', account: 'CLUSTER' }] },
    jetstream: { domain: 'dc' }, tls: { certFile: '/var/lib/nats/tls/server.crt', keyFile: '/var/lib/nats/tls/server.key', caFile: '/var/lib/nats/tls/ca.crt', verify: true },
  };
  flakes.tls = await writeFlake('tls', tls);
  reports = await evaluate(flakes);
});

test('every host of every example and variant evaluates with the real module system: no unknown option, type error or failed assertion', () => {
  let hosts = 0;
  for (const [name, report] of Object.entries(reports)) {
    const all = { ...report.nixos, ...report.darwin };
    assert.equal(Object.keys(all).length, hostCounts.get(name), `${name}: every host evaluated`);
    for (const [host, r] of Object.entries(all)) {
      assert.deepEqual(r.failedAssertions, [], `${name}/${host}`);
      // Enough defined options to be a whole host (networking, users, services, the gpuCluster modules).
      assert.ok(r.forced > 40, `${name}/${host}: ${r.forced} options forced`);
      hosts++;
    }
  }
  console.log(`evaluated ${hosts} hosts in ${Object.keys(reports).length} flakes with lib.evalModules`);
  assert.ok(Object.keys(reports['hundred-node'].nixos).length === 100);
});

test('the evaluation reports an option upstream does not declare and a value of the wrong type', async () => {
  const dir = await writeFlake('bad-option', syntheticCluster(1));
  writeFileSync(path.join(dir, 'hosts/node-0001/custom.nix'), '{ ... }: { services.nats.host = "0.0.0.0"; }\n');
  assert.match(await evaluationError(dir), /The option `services\.nats\.host' does not exist/);
  writeFileSync(path.join(dir, 'hosts/node-0001/custom.nix'), '{ ... }: { services.k3s.role = "master"; }\n');
  assert.match(await evaluationError(dir), /services\.k3s\.role' is not of type `one of "server", "agent"'/);
  writeFileSync(path.join(dir, 'hosts/node-0001/custom.nix'), '{ ... }: { gpuCluster.checkpoint.storeDir = "/srv/x\\nf+ /etc/sudoers.d/x"; }\n');
  assert.match(await evaluationError(dir), /gpuCluster\.checkpoint\.storeDir' is not of type `string matching the pattern/);
});

test('disko layouts go through disko\'s own types into fileSystems and swap', () => {
  const nv1 = reports['mixed-thunderbolt'].nixos['nv-1'];
  assert.deepEqual([...nv1.fileSystems!].sort(), ['/', '/boot', '/nix', '/var/lib/nats']);
  const gpuB = reports['two-node-nvidia'].nixos['gpu-b'];
  assert.ok(gpuB.fileSystems!.includes('/') && gpuB.fileSystems!.includes('/var/lib/exo'));
});

test('the rows of the upstream-truth table hold on the evaluated hosts', () => {
  const hub = reports['mixed-thunderbolt'].nixos['nv-1'];
  // services.nats has no `host`; the listen address is settings.host.
  assert.equal(hub.nats!.settings.host, '0.0.0.0');
  // TLS files exist on the host, not in the build sandbox where validateConfig runs nats-server -t.
  assert.equal(hub.nats!.validateConfig, false);
  assert.equal(reports['two-node-nvidia'].nixos['gpu-a'].nats!.validateConfig, true);
  // The leaf defines the account its remote names, verifies the hub with the cluster CA, and has its own domain.
  const leaf = reports['mixed-thunderbolt'].nixos['amd-1'].nats!.settings;
  assert.ok(leaf.accounts.CLUSTER);
  assert.equal(leaf.leafnodes.remotes[0].tls.ca_file, '/var/lib/nats/tls/ca.crt');
  assert.notEqual(leaf.jetstream.domain, hub.nats!.settings.jetstream.domain);
  // The agent's polkit rule needs polkit itself.
  assert.equal(hub.polkit, true);
  // The datacenter driver without X11's nvidia driver (nixpkgs asserts they exclude each other).
  assert.deepEqual(reports.datacenter.nixos['node-0001'].videoDrivers!.includes('nvidia'), false);
  assert.deepEqual(reports.datacenter.nixos['node-0002'].videoDrivers!.includes('nvidia'), true);
});

test('the flake pins the supported release, and nix-darwin\'s branch matches the nixpkgs it follows', () => {
  const flake = readFileSync(path.join(tmp, 'mixed-thunderbolt/flake.nix'), 'utf8');
  const darwin = JSON.parse(readFileSync(path.join(upstreamSource('nix-darwin'), 'version.json'), 'utf8')) as { release: string; isReleaseBranch: boolean };
  assert.equal(darwin.release, SUPPORTED_RELEASE);
  assert.equal(darwin.isReleaseBranch, true);
  assert.match(flake, new RegExp(`nixpkgs\\.url = "github:NixOS/nixpkgs/nixos-${SUPPORTED_RELEASE}";`));
  assert.match(flake, new RegExp(`nixpkgs-darwin\\.url = "github:NixOS/nixpkgs/nixpkgs-${darwin.release}-darwin";`));
  assert.match(flake, new RegExp(`url = "github:nix-darwin/nix-darwin/nix-darwin-${darwin.release}";`));
});
