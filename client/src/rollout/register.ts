// The GPU-aware safe rollout in the editor: Review Rollout (per host the closure difference, the units the
// switch restarts and the GPU processes / exo instances it interrupts, as one read-only document), then a
// deliberate confirmation, then the rollout with cancellable progress (cancelling stops hosts from starting;
// hosts under way finish or roll back). Roll Back Hosts runs the same engine towards each host's previous
// generation; Rollout Status shows where the last rollout stands and resumes it. Everything runs on the engine
// the CLI uses (core/src/rollout), journaled next to the spec and recorded as NATS events.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ExtensionServices } from '../services/services';
import { OpsContext } from '../ops/context';
import type { NatsService } from '../services/natsService';
import { TELEMETRY_SOURCE_ID } from '../nats/telemetrySource';
import { fanOut } from '#core/ops';
import type { ClusterSpec, HostSpec } from '#core/spec';
import {
  buildAndCopySystem,
  DEFAULT_ROLLOUT_OPTIONS,
  type EventSink,
  exoHealthCheck,
  type HealthCheck,
  heartbeatCheck,
  type HostPreview,
  type HostStanding,
  listJournals,
  specHealthChecks,
  newRolloutId,
  previewTarget,
  renderPreview,
  resumeRollout,
  RolloutJournal,
  rolloutJournalDir,
  type RolloutOptions,
  type RolloutPlanRecord,
  type RolloutResult,
  rolloutStatus,
  type RolloutTarget,
  rolloutTargets,
  runRollout,
} from '#core/rollout';

const SCHEME = 'gpu-cluster-rollout';

/** Read-only documents holding the reviews and status reports (a virtual document: no webview, no script). */
class ReviewDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '';
  }
  async show(name: string, text: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${name}.md` });
    this.texts.set(uri.path, text);
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
  }
}

function options(): RolloutOptions {
  const c = vscode.workspace.getConfiguration('gpuCluster');
  return {
    concurrency: c.get<number>('deploy.concurrency', DEFAULT_ROLLOUT_OPTIONS.concurrency),
    onFailure: c.get<'stop' | 'continue'>('rollout.onFailure', DEFAULT_ROLLOUT_OPTIONS.onFailure),
    checkpoint: c.get<boolean>('rollout.checkpoint', DEFAULT_ROLLOUT_OPTIONS.checkpoint),
    confirmTimeoutSec: c.get<number>('rollout.confirmTimeoutSec', DEFAULT_ROLLOUT_OPTIONS.confirmTimeoutSec),
    healthTimeoutSec: c.get<number>('rollout.healthTimeoutSec', DEFAULT_ROLLOUT_OPTIONS.healthTimeoutSec),
  };
}

/** Rollout steps as cluster events, through the extension's NATS service. */
function natsSink(nats: NatsService): EventSink {
  return { record: (e) => nats.appendEvent(e.aggregate, e.action, e.data, { correlationId: e.correlationId, causationId: e.causationId }) };
}

function describe(s: HostStanding): string {
  return `${s.host}: ${s.phase}${s.detail ? ` — ${s.detail}` : ''}`;
}

export function registerRollout(services: ExtensionServices): void {
  const ops = new OpsContext(services);
  const docs = new ReviewDocuments();

  const targetsFor = (hosts: HostSpec[], systems: ReadonlyMap<string, string>): RolloutTarget[] => {
    const roots = vscode.workspace.getConfiguration('gpuCluster').get<Record<string, string>>('rollout.hostRoots', {});
    return rolloutTargets(ops.spec().spec, hosts, {
      endpoint: (h) => ops.endpoint(h),
      newSystems: systems,
      root: (h) => roots[h.name] ?? '/',
    });
  };

  /**
   * The checks beyond units: exo's node and runners, the spec's own, and (while the cluster's telemetry is live)
   * the agent's heartbeat, read from the state store's receive times.
   */
  const healthChecks = (spec: ClusterSpec): { checks: HealthCheck[]; heartbeat: boolean } => {
    const heartbeat = services.live.connected && services.nats.status.state === 'connected';
    return {
      checks: [
        exoHealthCheck(spec),
        ...specHealthChecks(spec, ops.pool),
        ...(heartbeat ? [heartbeatCheck(spec, (h) => services.state.reportedAt(h, TELEMETRY_SOURCE_ID))] : []),
      ],
      heartbeat,
    };
  };

  /** The new systems: configured store paths (built elsewhere), else built from the flake and copied over. */
  const systemsFor = async (
    hosts: HostSpec[],
    progress: vscode.Progress<{ message?: string }>,
    signal: AbortSignal,
  ): Promise<Map<string, string>> => {
    const configured = vscode.workspace.getConfiguration('gpuCluster').get<Record<string, string>>('rollout.systems', {});
    const systems = new Map<string, string>();
    const toBuild = hosts.filter((h) => {
      if (configured[h.name]) systems.set(h.name, configured[h.name]);
      return !configured[h.name];
    });
    if (!toBuild.length) return systems;
    const flakeDir = ops.flakeDir();
    if (!existsSync(flakeDir)) throw new Error(`There is no generated flake at ${flakeDir} yet: run Generate Flake first.`);
    const built = await fanOut(
      toBuild,
      async (h) => {
        progress.report({ message: `${h.name}: building and copying its system` });
        await ops.pool.connect(ops.endpoint(h), signal); // the host key must be pinned before nix's own ssh checks it
        return buildAndCopySystem({
          flakeDir,
          host: h.name,
          endpoint: ops.endpoint(h),
          knownHostsFile: ops.policy.managedKnownHosts,
          signal,
          onData: (c) => services.output.trace(c),
        });
      },
      { limit: options().concurrency, signal },
    );
    for (const r of built) {
      if (!r.ok) throw new Error(`${r.item.name}: ${r.error.message}`);
      systems.set(r.item.name, r.value);
    }
    return systems;
  };

  const previews = async (
    kind: RolloutPlanRecord['kind'],
    targets: RolloutTarget[],
    progress: vscode.Progress<{ message?: string }>,
    signal: AbortSignal,
  ) => {
    const results = await fanOut(
      targets,
      async (t) => {
        progress.report({ message: `${t.name}: preview` });
        return previewTarget(ops.pool, t, kind, signal);
      },
      { limit: options().concurrency, signal },
    );
    return results.map((r) => (r.ok ? r.value : { host: r.item.name, error: r.error.message }));
  };

  const run = async (title: string, work: (deps: { signal: AbortSignal; onStep(s: HostStanding): void }) => Promise<RolloutResult>) => {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return work({
          signal: controller.signal,
          onStep: (s) => {
            services.output.info(`${title} — ${describe(s)}`);
            progress.report({ message: describe(s) });
          },
        });
      },
    );
    await docs.show(
      `rollout-${result.rolloutId}`,
      `# ${title} ${result.rolloutId}: ${result.ok ? 'done' : 'not everything went through'}\n\n${result.hosts.map((h) => `- ${describe(h)}`).join('\n')}\n`,
    );
    if (result.ok) void vscode.window.showInformationMessage(`${title}: ${result.hosts.length} host(s) done.`);
    else
      void vscode.window.showErrorMessage(
        `${title}: ${result.hosts
          .filter((h) => h.phase !== 'done' && h.phase !== 'skipped')
          .map(describe)
          .join(' | ')}`,
      );
  };

  const reviewAndRun = async (kind: RolloutPlanRecord['kind'], arg: unknown, selected: unknown) => {
    const title = kind === 'rollback' ? 'Roll Back Hosts' : 'Rollout';
    if (!services.requireTrust(kind === 'rollback' ? 'Rolling hosts back' : 'A rollout')) return;
    const hosts = await ops.pickHosts(arg, selected, { title, filter: (h) => !ops.system(h).endsWith('-darwin') });
    if (!hosts?.length) return;
    const prepared = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${title}: preview`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        const systems = kind === 'rollback' ? new Map<string, string>() : await systemsFor(hosts, progress, controller.signal);
        const targets = targetsFor(hosts, systems);
        return { targets, previews: await previews(kind, targets, progress, controller.signal) };
      },
    );
    const failed = prepared.previews.filter((p): p is { host: string; error: string } => 'error' in p);
    const ready = prepared.previews.filter((p): p is HostPreview => !('error' in p));
    const o = options();
    const spec = ops.spec().spec;
    const checks = healthChecks(spec);
    const own = (spec.rollout?.healthChecks ?? []).map((c) => c.name);
    const header =
      `# ${title} review\n\n${hosts.length} host(s), ${o.concurrency} at once, ${o.onFailure === 'stop' ? 'stop on the first failure' : 'continue after failures'}, ` +
      `checkpoints ${o.checkpoint ? 'on' : 'off'}; a host not confirmed within ${o.confirmTimeoutSec} s switches back by itself.\n\n` +
      `Health checks (up to ${o.healthTimeoutSec} s): the hosts' service units, exo's node and runners${checks.heartbeat ? ", the agent's heartbeat on NATS" : " (the agent's heartbeat is not checked: not connected to the cluster)"}` +
      `${own.length ? `, the spec's own: ${own.join(', ')}` : ''}.\n\n`;
    await docs.show(
      `review-${Date.now()}`,
      header + [...failed.map((f) => `## ${f.host}\npreview failed: ${f.error}\n`), ...ready.map(renderPreview)].join('\n'),
    );
    if (failed.length) {
      void vscode.window.showErrorMessage(`${title}: the preview failed on ${failed.map((f) => f.host).join(', ')}; nothing was switched.`);
      return;
    }
    const changing = ready.filter((p) => !p.unchanged);
    if (!changing.length) {
      void vscode.window.showInformationMessage(`${title}: every host already runs this system.`);
      return;
    }
    const interrupted = changing.reduce((n, p) => n + p.interrupts.gpuProcesses.length, 0);
    const action = kind === 'rollback' ? 'Roll Back' : 'Start Rollout';
    const choice = await vscode.window.showWarningMessage(
      `${action} on ${changing.map((p) => p.host).join(', ')}?`,
      {
        modal: true,
        detail: `Switches ${changing.length} host(s) (see the review). ${interrupted} GPU process(es) are interrupted${o.checkpoint && interrupted ? ' and checkpointed first' : ''}. A failed health check rolls a host back.`,
      },
      action,
    );
    if (choice !== action) return;
    const plan: RolloutPlanRecord = {
      rolloutId: newRolloutId(),
      createdAt: new Date().toISOString(),
      hosts: prepared.targets.map((t) => t.name),
      options: o,
      kind,
    };
    const journal = new RolloutJournal(rolloutJournalDir(ops.spec().specFile), plan.rolloutId, natsSink(services.nats));
    await run(title, ({ signal, onStep }) =>
      runRollout(plan, prepared.targets, {
        pool: ops.pool,
        freshPool: () => ops.freshPool(),
        journal,
        checks: checks.checks,
        signal,
        onStep,
      }),
    );
  };

  const status = async () => {
    if (!services.requireTrust('Resuming a rollout')) return;
    const dir = rolloutJournalDir(ops.spec().specFile);
    const id = listJournals(dir)[0];
    if (!id) {
      void vscode.window.showInformationMessage('No rollout has run from this spec yet.');
      return;
    }
    const file = path.join(dir, `${id}.jsonl`);
    const s = rolloutStatus(file);
    await docs.show(
      `status-${id}`,
      `# Rollout ${id} (${s.plan?.kind ?? '?'}): ${s.finished ? 'finished' : 'not finished'}\n\n${s.hosts.map((h) => `- ${describe(h)}`).join('\n')}\n${s.problems.map((p) => `- problem: ${p}`).join('\n')}\n`,
    );
    if (s.finished || !s.plan) return;
    const choice = await vscode.window.showWarningMessage(
      `Rollout ${id} did not finish. Resume it?`,
      { modal: true, detail: 'Hosts that switched are looked at first: they may have switched back by their timer.' },
      'Resume Rollout',
    );
    if (choice !== 'Resume Rollout') return;
    const spec = ops.spec().spec;
    const hosts = spec.hosts.filter((h) => s.plan!.hosts.includes(h.name));
    const targets = targetsFor(
      hosts,
      new Map(s.hosts.flatMap((h) => (h.facts.newSystem ? [[h.host, h.facts.newSystem] as [string, string]] : []))),
    );
    const journal = new RolloutJournal(dir, id, natsSink(services.nats));
    await run('Rollout', ({ signal, onStep }) =>
      resumeRollout(file, targets, {
        pool: ops.pool,
        freshPool: () => ops.freshPool(),
        journal,
        checks: healthChecks(spec).checks,
        signal,
        onStep,
      }),
    );
  };

  const guarded = (name: string, fn: (...args: unknown[]) => Promise<void>) =>
    vscode.commands.registerCommand(name, async (...args: unknown[]) => {
      try {
        await fn(...args);
      } catch (err) {
        void vscode.window.showErrorMessage(
          `${name === 'gpuCluster.rollout.rollback' ? 'Roll Back Hosts' : 'Rollout'}: ${(err as Error).message}`,
        );
      }
    });

  services.context.subscriptions.push(
    ops,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, docs),
    guarded('gpuCluster.rollout.review', (arg, selected) => reviewAndRun('update', arg, selected)),
    guarded('gpuCluster.rollout.rollback', (arg, selected) => reviewAndRun('rollback', arg, selected)),
    guarded('gpuCluster.rollout.status', () => status()),
  );
}
