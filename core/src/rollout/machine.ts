// The per-host state machine of a rollout. Pure: it says which phase may follow which, and folds a journal of
// steps into where each host stands, which is how a rollout that was killed is shown and resumed.
//
//   pending → checkpointing → switching → checking → restoring → confirming → done
//   (checkpointing is skipped when nothing is interrupted or checkpoints are off; pending → skipped when the host
//   already runs the new system)
//   a failed checkpoint → failed (the switch never starts)
//   switching/checking/restoring/confirming fail → rolling-back → rolled-back (or failed when that fails too)
//   the host cannot be reached after the switch → reverting: its own timer switches it back; a later look at
//   the host turns that into rolled-back (or done, when it was confirmed after all).

export const HOST_PHASES = [
  'pending',
  'checkpointing',
  'switching',
  'checking',
  'restoring',
  'confirming',
  'done',
  'rolling-back',
  'rolled-back',
  'reverting',
  'failed',
  'skipped',
] as const;
export type HostPhase = (typeof HOST_PHASES)[number];

const NEXT: Record<HostPhase, readonly HostPhase[]> = {
  pending: ['checkpointing', 'switching', 'skipped', 'failed'],
  // again on resume: a checkpoint interrupted by a killed engine rolled itself back
  checkpointing: ['checkpointing', 'switching', 'skipped', 'failed'],
  // back to pending when a resumed rollout finds the switch never began (the engine died before arming)
  switching: ['checking', 'rolling-back', 'reverting', 'pending'],
  checking: ['restoring', 'rolling-back', 'reverting'],
  restoring: ['confirming', 'rolling-back', 'reverting'],
  confirming: ['done', 'rolling-back', 'reverting'],
  'rolling-back': ['rolled-back', 'failed', 'reverting'],
  reverting: ['rolled-back', 'done', 'failed'],
  done: [],
  'rolled-back': [],
  failed: [],
  skipped: [],
};

export const FINAL_PHASES: ReadonlySet<HostPhase> = new Set(['done', 'rolled-back', 'failed', 'skipped']);

/** Phases after which the host runs (or may run) the new system and the timer is armed. */
export const SWITCHED_PHASES: ReadonlySet<HostPhase> = new Set([
  'switching',
  'checking',
  'restoring',
  'confirming',
  'reverting',
  'rolling-back',
]);

export function canMove(from: HostPhase, to: HostPhase): boolean {
  return NEXT[from].includes(to);
}

/** What the journal keeps per host so a resumed rollout can finish or undo it. */
export interface HostFacts {
  /** Generation number the host ran before (the rollback target). */
  previousGeneration?: number;
  /** Generation number created for the new system. */
  newGeneration?: number;
  newSystem?: string;
  /** The transient systemd unit of the dead-man timer. */
  timerUnit?: string;
  /** Checkpoints taken before the switch, to restore afterwards (manifest ids and image folders). */
  checkpoints?: Array<{ id: string; pid: number; imagesDir: string }>;
}

export interface RolloutStep {
  rolloutId: string;
  host: string;
  phase: HostPhase;
  /** ISO-8601 UTC. */
  at: string;
  /** Human-readable: why it moved (the failure, the check that failed). */
  detail?: string;
  facts?: HostFacts;
}

export interface HostStanding {
  host: string;
  phase: HostPhase;
  detail?: string;
  facts: HostFacts;
  /** Steps seen for this host, oldest first. */
  history: Array<{ phase: HostPhase; at: string; detail?: string }>;
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly host: string,
    readonly from: HostPhase,
    readonly to: HostPhase,
  ) {
    super(`${host}: a rollout cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Applies one step; throws when the step does not follow from where the host stands. */
export function advance(standing: HostStanding, step: RolloutStep): HostStanding {
  if (!canMove(standing.phase, step.phase)) throw new IllegalTransitionError(standing.host, standing.phase, step.phase);
  return {
    host: standing.host,
    phase: step.phase,
    detail: step.detail,
    facts: { ...standing.facts, ...step.facts },
    history: [...standing.history, { phase: step.phase, at: step.at, detail: step.detail }],
  };
}

export function initialStanding(host: string): HostStanding {
  return { host, phase: 'pending', facts: {}, history: [] };
}

/**
 * Where every host of one rollout stands, from its journal (local file or the NATS events, in order). A step
 * that does not follow (a torn or foreign record) is reported, not applied.
 */
export function foldJournal(
  rolloutId: string,
  hosts: readonly string[],
  steps: readonly RolloutStep[],
): { hosts: Map<string, HostStanding>; problems: string[] } {
  const standings = new Map(hosts.map((h) => [h, initialStanding(h)]));
  const problems: string[] = [];
  for (const step of steps) {
    if (step.rolloutId !== rolloutId) continue;
    const current = standings.get(step.host);
    if (!current) {
      problems.push(`step for unknown host ${step.host}`);
      continue;
    }
    try {
      standings.set(step.host, advance(current, step));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return { hosts: standings, problems };
}

/** What a resumed rollout does with a host, by where it stood when the engine stopped. */
export type ResumeAction = 'start' | 'verify' | 'none';

export function resumeAction(phase: HostPhase): ResumeAction {
  if (FINAL_PHASES.has(phase)) return 'none';
  // Before the switch nothing on the host changed for good (a checkpoint in progress rolls itself back), so
  // the host starts over; after it, the host is looked at first: it may have reverted by its timer already.
  if (phase === 'pending' || phase === 'checkpointing') return 'start';
  return 'verify';
}
