// `gpu-cluster deploy | update | rollback | status`: the GPU-aware safe rollout with the engine the editor uses
// (core/src/rollout). deploy builds each host's system from the flake and copies it over; update takes systems
// built elsewhere (`--system HOST=/nix/store/…`, already in the hosts' stores, e.g. by CI); rollback switches
// each host to its previous generation. All three print the preview first; `--preview` stops there, and
// nothing switches without `--yes`. Progress goes to stderr (one line per step), `--json` prints the result (or
// the previews) as JSON on stdout for CI. status shows where each host of a rollout stands (from its journal);
// `--resume ID` on deploy/update/rollback picks a killed rollout up where it stopped. Every step is also a cluster
// event on NATS (the spec's nats.url, or --nats-url; the same events the editor records), unless --no-events.

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EventPublisher, openEventPublisher } from '#core/nats';
import { hostEndpoint, type HostKeyPolicy, type SshEndpoint, SshPool } from '#core/ssh';
import { findClusterFile, loadSpec } from '#core/validate';
import type { ClusterSpec, HostSpec } from '#core/spec';
import {
  buildAndCopySystem,
  checkOptions,
  rolloutJournalDir,
  DEFAULT_ROLLOUT_OPTIONS,
  exoHealthCheck,
  listJournals,
  newRolloutId,
  previewTarget,
  renderPreview,
  resumeRollout,
  RolloutJournal,
  rolloutStatus,
  rolloutTargets,
  runRollout,
  selectHosts,
  specHealthChecks,
  type HostPreview,
  type HostStanding,
  type RolloutOptions,
  type RolloutPlanRecord,
  type RolloutTarget,
} from '#core/rollout';
import { fanOut } from '#core/ops';
import { escapeControl, processIo, type CliIo } from '../common/io';

type Kind = 'deploy' | 'update' | 'rollback';

const COMMON =
  '  SPEC                 cluster.yaml, or the folder holding it\n' +
  '  --host H, --tag T, --segment S   the hosts (any of them; repeatable; default: every host)\n' +
  '  --concurrency N      hosts at once (default 4)\n' +
  '  --continue           go on with the other hosts after a failure (default: stop)\n' +
  '  --no-checkpoint      do not checkpoint the GPU processes a switch interrupts\n' +
  '  --confirm-timeout S  seconds a host waits for the confirmation before it switches back by itself (default 120)\n' +
  '  --health-timeout S   seconds the health checks may take (default 60)\n' +
  '  --preview            print the preview and stop\n' +
  '  --yes                switch (without it only the preview is printed)\n' +
  '  --resume ID          resume the rollout ID (see gpu-cluster status)\n' +
  '  --json               JSON on stdout (the previews, or the result), progress on stderr\n' +
  '  --known-hosts FILE   known_hosts file to verify host keys with (also ~/.ssh/known_hosts; unknown keys are refused)\n' +
  "  --root HOST=DIR      the host's filesystem root, for hosts in a chroot or a test (default /)\n" +
  "  --nats-url URL       where every step goes as a cluster event (default: the spec's nats.url); credentials: NATS_CREDS\n" +
  '  --no-events          record the steps in the journal only, not as NATS events\n';

export const DEPLOY_USAGE =
  "usage: gpu-cluster deploy SPEC [options] [--flake DIR]\n  builds every selected host's system from the flake, copies it to the host and rolls it out\n" +
  `${COMMON}  --flake DIR          the flake (default: the generated one, SPEC's folder/flake)\n` +
  '  --remote-store HOST=STORE  the store nix-daemon opens on HOST for the copy (default: its system store), e.g. local?root=/srv/HOST\n';
export const UPDATE_USAGE =
  'usage: gpu-cluster update SPEC --system HOST=PATH... [options]\n  rolls out systems already built and copied to the hosts\n' +
  `${COMMON}  --system HOST=PATH   the new toplevel of HOST, already in its store (repeatable)\n`;
export const ROLLBACK_USAGE = `usage: gpu-cluster rollback SPEC [options]\n  switches every selected host to its previous generation, with the same checks and timer\n${COMMON}`;
export const STATUS_USAGE =
  'usage: gpu-cluster status SPEC [ID] [--json]\n  where each host of a rollout stands (the newest when ID is not given), from its journal\n';

interface Args {
  spec?: string;
  id?: string;
  hosts: string[];
  tags: string[];
  segments: string[];
  systems: Map<string, string>;
  roots: Map<string, string>;
  remoteStores: Map<string, string>;
  options: RolloutOptions;
  preview: boolean;
  yes: boolean;
  json: boolean;
  resume?: string;
  flake?: string;
  knownHosts?: string;
  natsUrl?: string;
  events: boolean;
}

function parse(args: readonly string[], kind: Kind | 'status'): Args | string {
  const a: Args = {
    hosts: [],
    tags: [],
    segments: [],
    systems: new Map(),
    roots: new Map(),
    remoteStores: new Map(),
    options: { ...DEFAULT_ROLLOUT_OPTIONS },
    preview: false,
    yes: false,
    json: false,
    events: true,
  };
  const value = (i: number, name: string) => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const pair = (v: string, name: string): [string, string] => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new Error(`${name} takes HOST=PATH (got ${v})`);
    return [v.slice(0, eq), v.slice(eq + 1)];
  };
  const num = (v: string, name: string) => {
    if (!/^\d+$/.test(v)) throw new Error(`${name} takes a whole number (got ${v})`);
    return Number(v);
  };
  try {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      const withValue = (fn: (v: string) => void) => {
        fn(value(i, arg));
        i++;
      };
      switch (arg) {
        case '--json':
          a.json = true;
          break;
        case '--preview':
          if (kind === 'status') return `unknown option ${arg}`;
          a.preview = true;
          break;
        case '--yes':
          a.yes = true;
          break;
        case '--no-events':
          if (kind === 'status') return `unknown option ${arg}`;
          a.events = false;
          break;
        case '--nats-url':
          if (kind === 'status') return `unknown option ${arg}`;
          withValue((v) => {
            a.natsUrl = v;
          });
          break;
        case '--continue':
          a.options.onFailure = 'continue';
          break;
        case '--no-checkpoint':
          a.options.checkpoint = false;
          break;
        case '--host':
          withValue((v) => a.hosts.push(v));
          break;
        case '--tag':
          withValue((v) => a.tags.push(v));
          break;
        case '--segment':
          withValue((v) => a.segments.push(v));
          break;
        case '--concurrency':
          withValue((v) => {
            a.options.concurrency = num(v, arg);
          });
          break;
        case '--confirm-timeout':
          withValue((v) => {
            a.options.confirmTimeoutSec = num(v, arg);
          });
          break;
        case '--health-timeout':
          withValue((v) => {
            a.options.healthTimeoutSec = num(v, arg);
          });
          break;
        case '--resume':
          withValue((v) => {
            a.resume = v;
          });
          break;
        case '--flake':
          if (kind !== 'deploy') return `${arg} is an option of deploy`;
          withValue((v) => {
            a.flake = v;
          });
          break;
        case '--known-hosts':
          withValue((v) => {
            a.knownHosts = path.resolve(v);
          });
          break;
        case '--system':
          if (kind !== 'update') return `${arg} is an option of update`;
          withValue((v) => a.systems.set(...pair(v, arg)));
          break;
        case '--root':
          withValue((v) => a.roots.set(...pair(v, arg)));
          break;
        case '--remote-store':
          if (kind !== 'deploy') return `${arg} is an option of deploy`;
          withValue((v) => a.remoteStores.set(...pair(v, arg)));
          break;
        default:
          if (arg.startsWith('-')) return `unknown option ${arg}`;
          if (a.spec === undefined) a.spec = arg;
          else if (kind === 'status' && a.id === undefined) a.id = arg;
          else return `unexpected argument ${arg}`;
      }
    }
    checkOptions(a.options);
  } catch (err) {
    return (err as Error).message;
  }
  if (!a.spec) return 'SPEC is missing';
  return a;
}

/** Host keys: the spec's pinned keys and the known_hosts files; an unknown key is refused (no one to ask). */
function cliPolicy(knownHosts?: string): HostKeyPolicy {
  return {
    knownHostsFiles: () => [...(knownHosts ? [knownHosts] : []), path.join(os.homedir(), '.ssh', 'known_hosts')],
    confirmUnknownKey: async () => false,
  };
}

/**
 * Where the steps go as events: the spec's NATS (or --nats-url) under cluster.domain, through an outbox file beside
 * the journals, so events of a run that could not reach NATS are published by the next one that can.
 */
async function openEvents(
  a: Args,
  spec: ClusterSpec,
  clusterPath: string,
  progress: (line: string) => void,
): Promise<EventPublisher | undefined> {
  const url = a.natsUrl ?? spec.nats?.url;
  if (!a.events || !url) return undefined;
  if (!spec.cluster?.domain) {
    progress('events: not recorded on NATS: the spec has no cluster.domain (the subject prefix)');
    return undefined;
  }
  const caFile = spec.nats?.tls?.caFile && path.resolve(path.dirname(clusterPath), spec.nats.tls.caFile);
  const publisher = await openEventPublisher({
    url,
    domain: spec.cluster.domain,
    credentials: process.env.NATS_CREDS ? { kind: 'creds', creds: readFileSync(process.env.NATS_CREDS, 'utf8') } : undefined,
    tls: caFile && existsSync(caFile) ? { caFile } : undefined,
    outboxFile: eventOutboxFile(clusterPath),
    name: 'gpu-cluster cli rollout',
    log: (_level, message) => progress(`events: ${escapeControl(message)}`),
    connectTimeoutMs: 3000,
  });
  progress(
    publisher.offline
      ? `events: ${escapeControl(publisher.offline)}; they wait in ${eventOutboxFile(clusterPath)} for the next run that reaches NATS`
      : `events: recorded on NATS ${escapeControl(url)} (${escapeControl(spec.cluster.domain)}.events.>)`,
  );
  return publisher;
}

const eventOutboxFile = (clusterPath: string) => path.join(path.dirname(rolloutJournalDir(clusterPath)), 'event-outbox.jsonl');

/** Lets the stream take the last events (a few seconds at most) and says what is still waiting. */
async function closeEvents(publisher: EventPublisher | undefined, clusterPath: string, progress: (line: string) => void): Promise<void> {
  if (!publisher) return;
  const left = await publisher.finish(5000);
  if (left) progress(`events: ${left} not yet on NATS; they wait in ${eventOutboxFile(clusterPath)}`);
}

function describeStep(s: HostStanding): string {
  return escapeControl(`${s.host}: ${s.phase}${s.detail ? ` — ${s.detail}` : ''}`);
}

async function load(a: Args, io: CliIo, name: string): Promise<{ spec: ClusterSpec; clusterPath: string } | undefined> {
  const loaded = await loadSpec(a.spec!);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const shown = errors
      .slice(0, 5)
      .map((d) => `  ${escapeControl(`${d.code} ${d.message}`)}\n`)
      .join('');
    io.err(
      `gpu-cluster ${name}: the spec has ${errors.length} error(s); nothing was touched:\n${shown}(gpu-cluster validate ${escapeControl(a.spec!)} lists them all)\n`,
    );
    return undefined;
  }
  return { spec: loaded.model.spec, clusterPath: loaded.clusterPath };
}

async function runKind(kind: Kind, args: readonly string[], io: CliIo): Promise<number> {
  const usage = kind === 'deploy' ? DEPLOY_USAGE : kind === 'update' ? UPDATE_USAGE : ROLLBACK_USAGE;
  const a = parse(args, kind);
  if (typeof a === 'string') {
    io.err(`gpu-cluster ${kind}: ${a}\n${usage}`);
    return 2;
  }
  const loaded = await load(a, io, kind);
  if (!loaded) return 1;
  const { spec, clusterPath } = loaded;
  let hosts: HostSpec[];
  try {
    hosts = selectHosts(spec, { hosts: a.hosts, tags: a.tags, segments: a.segments });
  } catch (err) {
    io.err(`gpu-cluster ${kind}: ${(err as Error).message}\n`);
    return 2;
  }
  if (kind === 'update' && !a.resume) {
    const missing = hosts.filter((h) => !a.systems.has(h.name)).map((h) => h.name);
    if (missing.length) {
      io.err(`gpu-cluster update: no --system for ${missing.join(', ')}\n`);
      return 2;
    }
  }
  const policy = cliPolicy(a.knownHosts);
  const newPool = () => new SshPool({ policy, auth: {} });
  const pool = newPool();
  const endpoint = (h: HostSpec): SshEndpoint => hostEndpoint(spec, clusterPath, h);
  // Besides the units: exo's node and runners, and the spec's own checks. The agent's heartbeat needs a live NATS
  // session, which only the editor keeps.
  const checks = [exoHealthCheck(spec), ...specHealthChecks(spec, pool)];
  const progress = (line: string) => io.err(`${line}\n`);
  let events: EventPublisher | undefined;
  try {
    const systems = new Map(a.systems);
    if (kind === 'deploy' && !a.resume) {
      const flakeDir = path.resolve(a.flake ?? path.join(path.dirname(clusterPath), 'flake'));
      const built = await fanOut(
        hosts,
        async (h) => {
          progress(`${h.name}: building and copying its system`);
          return buildAndCopySystem({
            flakeDir,
            host: h.name,
            endpoint: endpoint(h),
            knownHostsFile: a.knownHosts,
            remoteStore: a.remoteStores.get(h.name),
          });
        },
        { limit: a.options.concurrency },
      );
      for (const r of built) {
        if (!r.ok) {
          io.err(`gpu-cluster deploy: ${r.item.name}: ${r.error.message}\n`);
          return 1;
        }
        systems.set(r.item.name, r.value);
      }
    }
    const targets = rolloutTargets(spec, hosts, { endpoint, newSystems: systems, root: (h) => a.roots.get(h.name) ?? '/' });
    const dir = rolloutJournalDir(clusterPath);
    if (a.resume) {
      const file = path.join(dir, `${a.resume}.jsonl`);
      const status = rolloutStatus(file);
      if (!status.plan) {
        io.err(`gpu-cluster ${kind}: cannot resume ${a.resume}: ${status.problems.join('; ')}\n`);
        return 1;
      }
      const all = rolloutTargets(
        spec,
        spec.hosts.filter((h) => status.plan!.hosts.includes(h.name)),
        { endpoint, newSystems: systems, root: (h) => a.roots.get(h.name) ?? '/' },
      );
      events = await openEvents(a, spec, clusterPath, progress);
      const result = await resumeRollout(file, all, {
        pool,
        freshPool: newPool,
        checks,
        journal: new RolloutJournal(dir, a.resume, events, 'cli'),
        onStep: (s) => progress(describeStep(s)),
      });
      return report(result.hosts, result.ok, result.rolloutId, a, io);
    }
    // Preview every host first: nothing switches before all of them were looked at.
    const previews = await previewAll(kind, targets, pool, a.options.concurrency);
    // With --json stdout holds exactly one JSON document: the previews, or (after --yes) the result with them.
    const stop = a.preview || !a.yes || previews.some((p) => 'error' in p);
    if (a.json && stop) io.out(`${JSON.stringify({ previews }, null, 2)}\n`);
    else if (!a.json)
      for (const p of previews)
        io.out(('error' in p ? `## ${p.host}\npreview failed: ${p.error}\n` : renderPreview(p)).split('\n').map(escapeControl).join('\n'));
    if (previews.some((p) => 'error' in p)) return 1;
    if (a.preview) return 0;
    if (!a.yes) {
      io.err(`gpu-cluster ${kind}: nothing was switched; run again with --yes to roll this out\n`);
      return 0;
    }
    const plan: RolloutPlanRecord = {
      rolloutId: newRolloutId(),
      createdAt: new Date().toISOString(),
      hosts: targets.map((t) => t.name),
      options: a.options,
      kind: kind === 'rollback' ? 'rollback' : 'update',
    };
    progress(
      `rollout ${plan.rolloutId}: ${plan.hosts.length} host(s), ${plan.options.concurrency} at once, ${plan.options.onFailure === 'stop' ? 'stop on the first failure' : 'continue after failures'}`,
    );
    events = await openEvents(a, spec, clusterPath, progress);
    const result = await runRollout(plan, targets, {
      pool,
      freshPool: newPool,
      checks,
      journal: new RolloutJournal(dir, plan.rolloutId, events, 'cli'),
      onStep: (s) => progress(describeStep(s)),
    });
    return report(result.hosts, result.ok, result.rolloutId, a, io, previews);
  } finally {
    pool.closeAll();
    await closeEvents(events, clusterPath, progress);
  }
}

type PreviewOrError = HostPreview | { host: string; error: string };

async function previewAll(kind: Kind, targets: readonly RolloutTarget[], pool: SshPool, limit: number): Promise<PreviewOrError[]> {
  const results = await fanOut(targets, (t) => previewTarget(pool, t, kind === 'rollback' ? 'rollback' : 'update'), { limit });
  return results.map((r) => (r.ok ? r.value : { host: r.item.name, error: r.error.message }));
}

function report(hosts: readonly HostStanding[], ok: boolean, rolloutId: string, a: Args, io: CliIo, previews?: PreviewOrError[]): number {
  if (a.json)
    io.out(
      `${JSON.stringify({ rolloutId, ok, hosts: hosts.map((h) => ({ host: h.host, phase: h.phase, detail: h.detail, facts: h.facts })), previews }, null, 2)}\n`,
    );
  else
    io.out(`rollout ${rolloutId}: ${ok ? 'done' : 'not everything went through'}\n${hosts.map((h) => `  ${describeStep(h)}\n`).join('')}`);
  return ok ? 0 : 1;
}

export const runDeploy = (args: readonly string[], io: CliIo = processIo) => runKind('deploy', args, io);
export const runUpdate = (args: readonly string[], io: CliIo = processIo) => runKind('update', args, io);
export const runRollback = (args: readonly string[], io: CliIo = processIo) => runKind('rollback', args, io);

export async function runStatus(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const a = parse(args, 'status');
  if (typeof a === 'string') {
    io.err(`gpu-cluster status: ${a}\n${STATUS_USAGE}`);
    return 2;
  }
  const dir = rolloutJournalDir(await findClusterFile(a.spec!));
  const id = a.id ?? listJournals(dir)[0];
  if (!id) {
    io.err('gpu-cluster status: no rollout has run from this spec yet\n');
    return 1;
  }
  const status = rolloutStatus(path.join(dir, `${id}.jsonl`));
  if (a.json) {
    io.out(
      `${JSON.stringify({ rolloutId: id, kind: status.plan?.kind, finished: status.finished, hosts: status.hosts.map((h) => ({ host: h.host, phase: h.phase, detail: h.detail, facts: h.facts })), problems: status.problems }, null, 2)}\n`,
    );
  } else {
    io.out(`rollout ${id} (${status.plan?.kind ?? '?'}): ${status.finished ? 'finished' : 'not finished — resume with --resume ' + id}\n`);
    for (const h of status.hosts) io.out(`  ${describeStep(h)}\n`);
    for (const p of status.problems) io.out(`  problem: ${escapeControl(p)}\n`);
  }
  return 0;
}
