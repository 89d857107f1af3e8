// The rollout engine: runs the plan over the hosts (bounded concurrency, stop or continue on failure), moves
// each host through the state machine (./machine), journals every step before acting on it (./journal, which
// also puts it on NATS), and resumes a journal left by an engine that was killed.

import { fanOut } from '../ops/fanout';
import type { CheckpointManifest, CheckpointSettings } from '../ops/checkpoint';
import { SshError, type SshEndpoint, type SshPool } from '../ssh/connection';
import {
  armAndInstall,
  checkpointProcesses,
  disarm,
  inactiveUnits,
  previewHost,
  readGenerations,
  restoreProcesses,
  revertNow,
  rolloutHostState,
  runSwitch,
  timerUnit,
  TimerFiredError,
  type RolloutHostState,
  type HostLayout,
  type PreviewContext,
} from './host';
import { readJournal, type RolloutJournal } from './journal';
import { advance, foldJournal, initialStanding, resumeAction, type HostFacts, type HostPhase, type HostStanding } from './machine';
import type { RolloutPlanRecord } from './plan';
import type { HostPreview } from './preview';

export interface RolloutTarget {
  name: string;
  endpoint: SshEndpoint;
  layout: HostLayout;
  /** The new system's toplevel, already in the host's store; undefined for a rollback (the previous generation). */
  newSystem?: string;
  /** Units that must be active after the switch (the host's services, from its roles). */
  units: string[];
  checkpoint: CheckpointSettings;
  preview?: PreviewContext;
}

/** A health check beyond the units: exo's node back in /state, the agent's heartbeat on NATS, the spec's own. Resolves to a failure reason, or undefined when healthy. */
export interface HealthCheck {
  name: string;
  check(target: RolloutTarget, signal: AbortSignal | undefined): Promise<string | undefined>;
}

export interface RolloutDeps {
  pool: SshPool;
  /** A new pool, for the confirmation over a fresh connection (closed after use). */
  freshPool(): SshPool;
  journal: RolloutJournal;
  checks?: readonly HealthCheck[];
  /** Every step as it happens (the progress UI). */
  onStep?(standing: HostStanding): void;
  onSwitchOutput?(host: string, chunk: string): void;
  /** Pause between health-check rounds. */
  pollMs?: number;
  /** Stops hosts from starting (those under way finish their steps, rollback included). */
  signal?: AbortSignal;
}

export interface RolloutResult {
  rolloutId: string;
  ok: boolean;
  hosts: HostStanding[];
  problems: string[];
}

/** The preview of one target: towards its new system, or (rollback) the generation before the current one. */
export async function previewTarget(
  pool: SshPool,
  t: RolloutTarget,
  kind: RolloutPlanRecord['kind'],
  signal?: AbortSignal,
): Promise<HostPreview> {
  let system = t.newSystem;
  if (kind === 'rollback') {
    const gens = await readGenerations(pool, t.endpoint, t.layout, signal);
    const older = [...gens.byNumber.keys()].filter((n) => n < gens.current).sort((a, b) => b - a)[0];
    if (older === undefined) throw new Error(`no generation before ${gens.current} to roll back to`);
    system = gens.byNumber.get(older);
  }
  if (!system) throw new Error('no new system for this host');
  return previewHost(pool, t.endpoint, t.layout, system, { ...t.preview, signal });
}

class HostRun {
  standing: HostStanding;
  constructor(
    private readonly plan: RolloutPlanRecord,
    readonly target: RolloutTarget,
    private readonly deps: RolloutDeps,
    standing?: HostStanding,
  ) {
    this.standing = standing ?? initialStanding(target.name);
  }

  private step(phase: HostPhase, detail?: string, facts?: HostFacts): void {
    const step = { rolloutId: this.plan.rolloutId, host: this.target.name, phase, at: new Date().toISOString(), detail, facts };
    const next = advance(this.standing, step); // throws before journaling an impossible move
    this.deps.journal.write({ kind: 'step', step });
    this.standing = next;
    this.deps.onStep?.(next);
  }

  private get pool(): SshPool {
    return this.deps.pool;
  }
  private get ep(): SshEndpoint {
    return this.target.endpoint;
  }
  // Cancelling a rollout stops hosts from starting; a host already under way is never cut off mid-step (its
  // timer and rollback depend on finishing what was begun), so no signal reaches its SSH commands.
  private readonly signal: AbortSignal | undefined = undefined;

  async run(): Promise<void> {
    const t = this.target;
    let preview: HostPreview;
    try {
      preview = await previewTarget(this.pool, t, this.plan.kind, this.signal);
    } catch (err) {
      return this.step('failed', `preview failed: ${(err as Error).message}`);
    }
    const newSystem = preview.newSystem;
    if (preview.unchanged) return this.step('skipped', 'already runs the new system');

    let checkpoints: CheckpointManifest[] = [];
    let unsupported: string | undefined;
    const interrupted = preview.interrupts.gpuProcesses;
    if (this.plan.options.checkpoint && interrupted.length) {
      this.step('checkpointing', `${interrupted.length} GPU process(es): ${interrupted.map((p) => `${p.pid} (${p.unit})`).join(', ')}`);
      const taken: CheckpointManifest[] = [];
      try {
        const outcome = await checkpointProcesses(this.pool, this.ep, t.name, interrupted, t.checkpoint, this.signal);
        taken.push(...outcome.taken);
        unsupported = outcome.unsupported;
      } catch (err) {
        return this.step('failed', `checkpoint failed, the switch did not start: ${(err as Error).message}`);
      }
      checkpoints = taken;
    }

    const previous = preview.currentGeneration;
    const next = preview.nextGeneration;
    const plan = { rolloutId: this.plan.rolloutId, previous, next, newSystem, confirmTimeoutSec: this.plan.options.confirmTimeoutSec };
    this.step('switching', `generation ${previous} → ${next}${unsupported ? `; not checkpointed: ${unsupported}` : ''}`, {
      previousGeneration: previous,
      newGeneration: next,
      newSystem,
      timerUnit: timerUnit(plan.rolloutId),
      checkpoints,
    });
    try {
      await armAndInstall(this.pool, this.ep, t.layout, plan, this.signal);
    } catch (err) {
      if (lostHost(err)) return this.step('reverting', `lost the host while arming: ${(err as Error).message}`);
      return this.rollback(`arming failed: ${(err as Error).message}`);
    }
    try {
      const sw = await runSwitch(this.pool, this.ep, t.layout, plan, (c) => this.deps.onSwitchOutput?.(t.name, c), this.signal);
      if (sw.code !== 0) return this.rollback(`switch-to-configuration exited ${sw.code}: ${sw.output.trim().split('\n').at(-1) ?? ''}`);
    } catch (err) {
      if (lostHost(err))
        return this.step(
          'reverting',
          `the host dropped the connection during the switch (${(err as Error).message}); its timer switches it back in ${plan.confirmTimeoutSec}s unless confirmed`,
        );
      return this.rollback(`switch failed: ${(err as Error).message}`);
    }
    return this.afterSwitch();
  }

  /** Health checks → restore → confirmation, from wherever the host stands after its switch. */
  async afterSwitch(): Promise<void> {
    if (this.standing.phase === 'switching') this.step('checking');
    if (this.standing.phase === 'checking') {
      const failure = await this.health();
      if (failure) return this.rollback(`health check failed: ${failure}`);
      this.step(
        'restoring',
        this.standing.facts.checkpoints?.length ? `${this.standing.facts.checkpoints.length} checkpoint(s)` : 'nothing to restore',
      );
      try {
        await restoreProcesses(
          this.pool,
          this.target.endpoint,
          (this.standing.facts.checkpoints ?? []) as CheckpointManifest[],
          this.signal,
        );
      } catch (err) {
        if (lostHost(err)) return this.step('reverting', `lost the host while restoring: ${(err as Error).message}`);
        return this.rollback(`restore failed: ${(err as Error).message}`);
      }
    }
    if (this.standing.phase === 'restoring') this.step('confirming', 'over a fresh SSH connection');
    const fresh = this.deps.freshPool();
    try {
      await disarm(fresh, this.target.endpoint, this.target.layout, this.plan.rolloutId, this.signal);
    } catch (err) {
      if (lostHost(err))
        return this.step(
          'reverting',
          `the host cannot be reached over a new connection (${(err as Error).message}); its timer switches it back`,
        );
      if (err instanceof TimerFiredError) return this.step('reverting', err.message);
      return this.rollback(`confirmation failed: ${(err as Error).message}`);
    } finally {
      fresh.closeAll();
    }
    this.step('done', `running generation ${this.standing.facts.newGeneration}`);
  }

  private async health(): Promise<string | undefined> {
    const deadline = Date.now() + this.plan.options.healthTimeoutSec * 1000;
    let failure: string | undefined;
    for (;;) {
      failure = undefined;
      const down = await inactiveUnits(this.pool, this.target.endpoint, this.target.units, this.signal).catch((err: Error) => err);
      if (down instanceof Error) failure = `the unit states could not be read: ${down.message}`;
      else if (down.length) failure = down.map((d) => `${d.unit} is ${d.state}`).join(', ');
      for (const c of this.deps.checks ?? []) {
        if (failure) break;
        const r = await c.check(this.target, this.signal).catch((err: Error) => err.message);
        if (r) failure = `${c.name}: ${r}`;
      }
      if (!failure || Date.now() >= deadline) return failure;
      await new Promise((r) => setTimeout(r, this.deps.pollMs ?? 1000));
    }
  }

  private async rollback(reason: string): Promise<void> {
    this.step('rolling-back', reason);
    try {
      await revertNow(this.pool, this.target.endpoint, this.target.layout, this.plan.rolloutId, this.signal);
    } catch (err) {
      if (lostHost(err)) return this.step('reverting', `lost the host while switching back; its timer does it (${(err as Error).message})`);
      return this.step('failed', `${reason}; switching back failed too: ${(err as Error).message}`);
    }
    const checkpoints = (this.standing.facts.checkpoints ?? []) as CheckpointManifest[];
    let restored = '';
    if (checkpoints.length) {
      try {
        await restoreProcesses(this.pool, this.target.endpoint, checkpoints, this.signal);
        restored = `; ${checkpoints.length} checkpoint(s) restored on generation ${this.standing.facts.previousGeneration}`;
      } catch (err) {
        restored = `; restoring the checkpoints failed: ${(err as Error).message}`;
      }
    }
    this.step('rolled-back', `${reason}${restored}`);
  }

  /**
   * The engine died during the switch: wait for the switch's own unit to end, and when the host still does not
   * run the new system (the switch never began), run it again. False when the host was rolled back or lost.
   */
  private async finishSwitch(state: RolloutHostState): Promise<boolean> {
    const facts = this.standing.facts;
    const deadline = Date.now() + 30 * 60_000;
    while (state.switching && Date.now() < deadline && !this.signal?.aborted) {
      await new Promise((r) => setTimeout(r, this.deps.pollMs ?? 1000));
      state = await rolloutHostState(this.pool, this.target.endpoint, this.target.layout, this.plan.rolloutId, this.signal);
    }
    if (state.generations.running === facts.newSystem) return true;
    const plan = {
      rolloutId: this.plan.rolloutId,
      previous: facts.previousGeneration!,
      next: facts.newGeneration!,
      newSystem: facts.newSystem!,
      confirmTimeoutSec: this.plan.options.confirmTimeoutSec,
    };
    try {
      const sw = await runSwitch(
        this.pool,
        this.target.endpoint,
        this.target.layout,
        plan,
        (c) => this.deps.onSwitchOutput?.(this.target.name, c),
        this.signal,
      );
      if (sw.code === 0) return true;
      await this.rollback(`switch-to-configuration exited ${sw.code}: ${sw.output.trim().split('\n').at(-1) ?? ''}`);
    } catch (err) {
      if (lostHost(err)) this.step('reverting', `the host dropped the connection during the switch (${(err as Error).message})`);
      else await this.rollback(`switch failed: ${(err as Error).message}`);
    }
    return false;
  }

  /** A resumed host that had switched: look at it over a fresh connection and finish or record its revert. */
  async verify(): Promise<void> {
    const facts = this.standing.facts;
    const fresh = this.deps.freshPool();
    let state: RolloutHostState;
    try {
      state = await rolloutHostState(fresh, this.target.endpoint, this.target.layout, this.plan.rolloutId, this.signal);
    } catch (err) {
      if (this.standing.phase !== 'reverting') this.step('reverting', `unreachable on resume: ${(err as Error).message}`);
      return;
    } finally {
      fresh.closeAll();
    }
    const current = state.generations.current;
    if (current === facts.previousGeneration && !state.armed && !state.scriptPresent && this.standing.phase === 'switching') {
      this.step('pending', 'the engine stopped before the host was touched; starting over');
      return this.run();
    }
    if (current === facts.previousGeneration && !state.armed) {
      if (this.standing.phase !== 'reverting' && this.standing.phase !== 'rolling-back')
        this.step('reverting', 'found switched back on resume');
      return this.step('rolled-back', `the host switched back to generation ${current} by its timer`);
    }
    if (current === facts.newGeneration && state.armed) {
      if (this.standing.phase === 'reverting' || this.standing.phase === 'rolling-back') return; // its timer will still fire
      if (this.standing.phase === 'switching' && !(await this.finishSwitch(state))) return;
      return this.afterSwitch();
    }
    if (current === facts.newGeneration && !state.armed && (this.standing.phase === 'confirming' || this.standing.phase === 'reverting')) {
      return this.step('done', `running generation ${current}; the timer was already disarmed`);
    }
    if (this.standing.phase !== 'reverting')
      this.step('reverting', `found generation ${current}, timer ${state.armed ? 'armed' : 'not armed'}`);
    this.step(
      'failed',
      `found generation ${current} (expected ${facts.previousGeneration} or ${facts.newGeneration}) with the timer ${state.armed ? 'armed' : 'gone'}: look at the host`,
    );
  }
}

function lostHost(err: unknown): boolean {
  return err instanceof SshError && ['connection-lost', 'unreachable', 'timeout'].includes(err.kind);
}

async function runHosts(
  plan: RolloutPlanRecord,
  runs: HostRun[],
  deps: RolloutDeps,
  work: (r: HostRun) => Promise<void>,
): Promise<RolloutResult> {
  const stop = new AbortController();
  deps.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const failedPhase = (p: HostPhase) => p === 'failed' || p === 'rolled-back' || p === 'reverting';
  await fanOut(
    runs,
    async (r) => {
      try {
        await work(r);
      } catch (err) {
        if (r.standing.phase === 'pending' || r.standing.phase === 'checkpointing') {
          deps.journal.write({
            kind: 'step',
            step: {
              rolloutId: plan.rolloutId,
              host: r.target.name,
              phase: 'failed',
              at: new Date().toISOString(),
              detail: (err as Error).message,
            },
          });
          r.standing = { ...r.standing, phase: 'failed', detail: (err as Error).message };
          deps.onStep?.(r.standing);
        } else throw err;
      }
      if (plan.options.onFailure === 'stop' && failedPhase(r.standing.phase)) stop.abort();
    },
    { limit: plan.options.concurrency, signal: stop.signal },
  );
  const hosts = runs.map((r) => r.standing);
  const ok = hosts.every((h) => h.phase === 'done' || h.phase === 'skipped');
  deps.journal.write({ kind: 'finished', rolloutId: plan.rolloutId, at: new Date().toISOString(), ok });
  return { rolloutId: plan.rolloutId, ok, hosts, problems: [] };
}

export async function runRollout(plan: RolloutPlanRecord, targets: readonly RolloutTarget[], deps: RolloutDeps): Promise<RolloutResult> {
  deps.journal.write({ kind: 'plan', plan });
  const runs = targets.map((t) => new HostRun(plan, t, deps));
  return runHosts(plan, runs, deps, (r) => r.run());
}

/** Where a journaled rollout stands (no host is touched). */
export function rolloutStatus(file: string): { plan?: RolloutPlanRecord; finished: boolean; hosts: HostStanding[]; problems: string[] } {
  const { records, problems } = readJournal(file);
  const plan = records.find((r) => r.kind === 'plan')?.plan;
  if (!plan) return { finished: false, hosts: [], problems: [...problems, 'the journal has no plan record'] };
  const folded = foldJournal(
    plan.rolloutId,
    plan.hosts,
    records.flatMap((r) => (r.kind === 'step' ? [r.step] : [])),
  );
  return {
    plan,
    finished: records.some((r) => r.kind === 'finished'),
    hosts: [...folded.hosts.values()],
    problems: [...problems, ...folded.problems],
  };
}

/**
 * Resumes a journaled rollout: hosts that had not switched start over, hosts that had are looked at (they may
 * have reverted by their timer), finished hosts are left alone.
 */
export async function resumeRollout(file: string, targets: readonly RolloutTarget[], deps: RolloutDeps): Promise<RolloutResult> {
  const status = rolloutStatus(file);
  if (!status.plan) throw new Error(`Cannot resume: ${status.problems.join('; ')}`);
  const plan = status.plan;
  const byName = new Map(targets.map((t) => [t.name, t]));
  const missing = plan.hosts.filter((h) => !byName.has(h));
  if (missing.length) throw new Error(`Cannot resume: the spec no longer has ${missing.join(', ')}.`);
  const runs = status.hosts.map((s) => new HostRun(plan, byName.get(s.host)!, deps, s));
  const result = await runHosts(plan, runs, deps, async (r) => {
    const action = resumeAction(r.standing.phase);
    if (action === 'start') await r.run();
    else if (action === 'verify') await r.verify();
  });
  return { ...result, problems: status.problems };
}
