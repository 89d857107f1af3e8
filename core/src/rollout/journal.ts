// The rollout journal: one JSON-lines file per rollout, written before each step is acted on, so a killed
// engine (the editor closed, the CLI interrupted) leaves a record of where every host stands. Every record is
// also an event for the cluster's NATS event store (through the durable EventOutbox), so other machines see
// the same steps: `{domain}.events.{host}.rollout-step` per host step and `…cluster.rollout-started|finished`.

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventAction } from '../nats/subjects';
import type { NewEvent } from '../nats/events';
import type { RolloutStep } from './machine';
import type { RolloutPlanRecord } from './plan';

export type JournalRecord =
  | { kind: 'plan'; plan: RolloutPlanRecord }
  | { kind: 'step'; step: RolloutStep }
  | { kind: 'finished'; rolloutId: string; at: string; ok: boolean };

/** Where events go: the EventOutbox's record() fits. */
export interface EventSink {
  record<T>(event: NewEvent<T>): unknown;
}

const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkRolloutId(id: string): string {
  if (!ROLLOUT_ID.test(id)) throw new Error(`"${id}" is not a rollout id (letters, digits, '.', '_', '-').`);
  return id;
}

export function newRolloutId(now = new Date()): string {
  return `r${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${Math.random().toString(36).slice(2, 6)}`;
}

export class RolloutJournal {
  readonly file: string;

  constructor(
    dir: string,
    readonly rolloutId: string,
    private readonly sink?: EventSink,
    private readonly source = 'extension',
  ) {
    checkRolloutId(rolloutId);
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${rolloutId}.jsonl`);
  }

  /** Appends a record (synchronously, so it is on disk before the step it describes runs) and emits it. */
  write(record: JournalRecord): void {
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
    this.emit(record);
  }

  private emit(record: JournalRecord): void {
    if (!this.sink) return;
    const event = toEvent(record, this.source);
    // The journal is the record of truth; an event that cannot be recorded must not stop the rollout.
    try {
      this.sink.record(event);
    } catch {
      /* the outbox reports its own failures */
    }
  }
}

function toEvent(record: JournalRecord, source: string): NewEvent<unknown> {
  const cluster = (action: EventAction, data: unknown, correlationId: string): NewEvent<unknown> => ({
    aggregate: 'cluster',
    action,
    data,
    source,
    correlationId,
  });
  switch (record.kind) {
    case 'plan':
      return cluster('rollout-started', record.plan, record.plan.rolloutId);
    case 'finished':
      return cluster('rollout-finished', { ok: record.ok, at: record.at }, record.rolloutId);
    case 'step':
      return { aggregate: record.step.host, action: 'rollout-step', data: record.step, source, correlationId: record.step.rolloutId };
  }
}

/** Reads a journal file; a torn last line (the engine killed mid-write) is skipped and reported. */
export function readJournal(file: string): { records: JournalRecord[]; problems: string[] } {
  const records: JournalRecord[] = [];
  const problems: string[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      problems.push(`${path.basename(file)}:${i + 1}: unreadable record skipped`);
    }
  });
  return { records, problems };
}

/** Where the journals of a spec's rollouts live (the CLI and the editor share it, so either can resume). */
export function rolloutJournalDir(clusterPath: string): string {
  return path.join(path.dirname(clusterPath), '.gpu-cluster', 'rollouts');
}

/** Journals in a folder, newest first (ids start with their UTC time). */
export function listJournals(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length))
    .sort()
    .reverse();
}
