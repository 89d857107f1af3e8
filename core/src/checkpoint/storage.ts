// Checkpoint storage off the host (`checkpoints.storage.kind`): the NATS object store or an S3 bucket keeps each
// checkpoint as two objects, `<id>/manifest.json` and `<id>/images.tar`. A checkpoint is uploaded from its host after
// it was taken and can be downloaded to any host to be restored there; retention keeps the newest `retain` per host
// and unit (the same rule as the policies on the hosts, retention.ts) and deletes the rest.

import type { SshEndpoint } from '../ssh/connection';
import {
  checkId,
  listCheckpoints,
  restoreCheckpoint,
  type CheckpointManifest,
  type CommandRunner,
  type StepReport,
} from '../ops/checkpoint';
import { readCheckpointArchive, requireCompatible, writeCheckpointArchive, type MoveResult } from './move';
import { retentionPlan } from './retention';

/** The object operations a store needs; NATS (natsStore.ts) and S3 (s3Store.ts) provide them. */
export interface ObjectBucket {
  readonly description: string;
  put(name: string, data: Uint8Array): Promise<void>;
  get(name: string): Promise<Uint8Array | undefined>;
  delete(name: string): Promise<void>;
  /** Every object name (all pages). */
  names(): Promise<string[]>;
}

const MANIFEST = '/manifest.json';
const IMAGES = '/images.tar';

export class CheckpointStore {
  constructor(readonly bucket: ObjectBucket) {}

  /** The images first, the manifest last: a listed checkpoint always has its images. */
  async put(manifest: CheckpointManifest, archive: Uint8Array): Promise<void> {
    checkId(manifest.id);
    await this.bucket.put(manifest.id + IMAGES, archive);
    await this.bucket.put(manifest.id + MANIFEST, new TextEncoder().encode(JSON.stringify(manifest)));
  }

  /** Stored manifests, newest first; an unreadable one is skipped. */
  async list(): Promise<CheckpointManifest[]> {
    const ids = (await this.bucket.names()).filter((n) => n.endsWith(MANIFEST)).map((n) => n.slice(0, -MANIFEST.length));
    const manifests: CheckpointManifest[] = [];
    for (const id of ids) {
      const bytes = await this.bucket.get(id + MANIFEST);
      try {
        const m = JSON.parse(new TextDecoder().decode(bytes)) as CheckpointManifest;
        if (m.version === 1 && m.id === id) manifests.push(m);
      } catch {
        // a manifest being written, or not one of ours
      }
    }
    return manifests.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async get(id: string): Promise<{ manifest: CheckpointManifest; archive: Uint8Array } | undefined> {
    checkId(id);
    const m = await this.bucket.get(id + MANIFEST);
    const archive = await this.bucket.get(id + IMAGES);
    if (!m || !archive) return undefined;
    return { manifest: JSON.parse(new TextDecoder().decode(m)) as CheckpointManifest, archive };
  }

  /** The manifest first, so a half-deleted checkpoint is not listed. */
  async delete(id: string): Promise<void> {
    checkId(id);
    await this.bucket.delete(id + MANIFEST);
    await this.bucket.delete(id + IMAGES);
  }

  /** Keeps the newest `retain` checkpoints per host and unit (per process where no unit is known); returns the deleted ids. */
  async applyRetention(retain: number): Promise<string[]> {
    const plan = retentionPlan(
      await this.list(),
      retain,
      (m) => `${m.host}/${m.unit ?? `pid-${m.pid}`}`,
      (m) => m.createdAt,
    );
    for (const m of plan.remove) await this.delete(m.id);
    return plan.remove.map((m) => m.id);
  }
}

/** Uploads a checkpoint from its host; with `retain`, older ones of the same host and unit are deleted after. */
export async function uploadCheckpoint(
  runner: CommandRunner,
  host: SshEndpoint,
  manifest: CheckpointManifest,
  store: CheckpointStore,
  retain?: number,
  signal?: AbortSignal,
): Promise<{ deleted: string[] }> {
  const archive = await readCheckpointArchive(runner, host, manifest, signal);
  await store.put(manifest, archive);
  return { deleted: retain === undefined ? [] : await store.applyRetention(retain) };
}

/** Puts a stored checkpoint's images on a host under `baseDir`, ready to restore there. */
export async function downloadCheckpoint(
  runner: CommandRunner,
  host: SshEndpoint,
  id: string,
  store: CheckpointStore,
  baseDir: string,
  signal?: AbortSignal,
): Promise<CheckpointManifest> {
  const stored = await store.get(id);
  if (!stored) throw new Error(`${store.bucket.description} has no checkpoint ${id}.`);
  return writeCheckpointArchive(runner, host, stored.manifest, Buffer.from(stored.archive), baseDir, { signal });
}

/** Where a checkpoint to restore is: `store` set when its host no longer has it and the spec's store does. */
export interface LocatedCheckpoint<S extends { store: CheckpointStore }> {
  manifest?: CheckpointManifest;
  /** The opened store the manifest came from (the caller closes it); undefined when it is on its host. */
  opened?: S;
  /** What the host has, for the error when neither has it. */
  onHost: CheckpointManifest[];
}

/**
 * Checkpoint `id` taken on `source`: on the host when it still has it, else in the store `openStore` opens (only
 * then, so a checkpoint on its host needs no store keys; undefined for local storage).
 */
export async function locateCheckpoint<S extends { store: CheckpointStore }>(
  runner: CommandRunner,
  source: SshEndpoint,
  id: string,
  baseDir: string,
  openStore: () => Promise<S | undefined>,
  signal?: AbortSignal,
): Promise<LocatedCheckpoint<S>> {
  const onHost = await listCheckpoints(runner, source, baseDir, signal);
  const manifest = onHost.find((m) => m.id === id);
  if (manifest) return { manifest, onHost };
  const opened = await openStore();
  if (!opened) return { onHost };
  const stored = (await opened.store.list()).find((m) => m.id === id && m.host === source.name);
  return { manifest: stored, opened, onHost };
}

/**
 * Restores a stored checkpoint on `target` (its own host or another): refused with the reasons unless compatible,
 * then downloaded into `targetBaseDir` and restored with the editor's steps.
 */
export async function restoreFromStore(
  runner: CommandRunner,
  target: SshEndpoint,
  manifest: CheckpointManifest,
  store: CheckpointStore,
  targetBaseDir: string,
  options: {
    signal?: AbortSignal;
    onStep?(s: StepReport | { step: 'compatible' | 'download'; ok: boolean; detail?: string }): void;
  } = {},
): Promise<MoveResult> {
  await requireCompatible(runner, target, manifest, options);
  const placed = await downloadCheckpoint(runner, target, manifest.id, store, targetBaseDir, options.signal);
  options.onStep?.({ step: 'download', ok: true, detail: store.bucket.description });
  const { pid } = await restoreCheckpoint(runner, target, placed, { signal: options.signal, onStep: options.onStep });
  return { manifest: placed, target: target.name, pid };
}
