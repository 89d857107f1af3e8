// Restoring a checkpoint on another host: check that cuda-checkpoint can bring it back there (migration.ts, with the
// target's live GPUs), copy its images over, restore. The images pass through this machine over the two SSH
// connections (tar on the source, base64 so the text channel carries them, chunks appended on the target), so
// neither host needs to reach the other; they are held in memory here on the way (a limit for very large images). Used by the editor's Restore on Another Host / Drain Host and by the CLI.

import path from 'node:path/posix';
import type { SshEndpoint } from '../ssh/connection';
import { argv, sh } from '../ssh/quote';
import {
  CheckpointError,
  checkId,
  hostGpuFacts,
  listCheckpoints,
  privileged,
  restoreCheckpoint,
  type CheckpointManifest,
  type CommandRunner,
  type StepReport,
} from '../ops/checkpoint';
import { restoreCompatibility, type CheckpointNeeds, type Compatibility } from './migration';

/** What a manifest says its restore needs; an old manifest without its GPU layout says so. */
export function checkpointNeeds(m: CheckpointManifest): CheckpointNeeds {
  return {
    host: m.host,
    driverVersion: m.driverVersion,
    gpuModels: m.gpuModels,
    gpuIndex: m.gpuIndex,
    usedMemoryMiB: m.gpu?.usedMemoryMiB,
    usesNccl: m.usesNccl,
    mig: m.mig,
  };
}

/** Live check of one target: its GPUs and driver now, against what the checkpoint needs. */
export async function targetCompatibility(
  runner: CommandRunner,
  target: SshEndpoint,
  manifest: CheckpointManifest,
  signal?: AbortSignal,
): Promise<Compatibility> {
  if (target.name === manifest.host) return { ok: true, reasons: [] };
  try {
    return restoreCompatibility(checkpointNeeds(manifest), await hostGpuFacts(runner, target, signal));
  } catch (err) {
    return { ok: false, reasons: [(err as Error).message] };
  }
}

/** Base64 characters per command that appends to the archive on the target (well below ARG_MAX). */
const CHUNK = 96 * 1024;

/**
 * A checkpoint's folder as a tar archive, read from its host. The images come through the SSH text channel as
 * base64, in memory here: the whole stream, not the result's stdout (that keeps only the first 32 MiB).
 */
export async function readCheckpointArchive(
  runner: CommandRunner,
  host: SshEndpoint,
  manifest: CheckpointManifest,
  signal?: AbortSignal,
): Promise<Buffer> {
  const parts: string[] = [];
  const read = await runner.exec(
    host,
    sh`${argv(privileged(host, ['tar', '-C', path.dirname(manifest.imagesDir), '-cf', '-', path.basename(manifest.imagesDir)]))} | base64`,
    {
      signal,
      timeoutMs: 60 * 60_000,
      onStdout: (chunk) => parts.push(chunk),
    },
  );
  if (read.code !== 0)
    throw new CheckpointError(
      `Reading ${manifest.id} on ${host.name} failed (exit ${read.code}): ${read.stderr.trim().split('\n').pop() ?? ''}`,
      'copy',
    );
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'base64');
}

/**
 * Unpacks a checkpoint's archive on a host under `baseDir` and rewrites its manifest there (the images' new folder;
 * the host it was taken on stays). Refuses when the host already has that checkpoint.
 */
export async function writeCheckpointArchive(
  runner: CommandRunner,
  target: SshEndpoint,
  manifest: CheckpointManifest,
  archive: Buffer,
  baseDir: string,
  options: { signal?: AbortSignal; onProgress?(bytes: number): void } = {},
): Promise<CheckpointManifest> {
  checkId(manifest.id);
  const dir = path.join(baseDir, manifest.id);
  const exists = await runner.exec(target, argv(privileged(target, ['test', '-e', dir])), { signal: options.signal, timeoutMs: 20_000 });
  if (exists.code === 0) throw new CheckpointError(`${target.name} already has a checkpoint ${manifest.id} (${dir}).`, 'copy');
  const encoded = archive.toString('base64');
  const file = path.join(baseDir, `.${manifest.id}.tar`);
  const prepare = await runner.exec(
    target,
    argv(privileged(target, ['sh', '-c', 'mkdir -p "$1" && chmod 0700 "$1" && : > "$2"', 'sh', baseDir, file])),
    { signal: options.signal, timeoutMs: 20_000 },
  );
  if (prepare.code !== 0) throw new CheckpointError(`Preparing ${baseDir} on ${target.name} failed: ${prepare.stderr.trim()}`, 'copy');
  try {
    for (let at = 0; at < encoded.length; at += CHUNK) {
      const w = await runner.exec(
        target,
        sh`printf %s ${encoded.slice(at, at + CHUNK)} | ${argv(privileged(target, ['sh', '-c', 'base64 -d >> "$1"', 'sh', file]))}`,
        { signal: options.signal, timeoutMs: 10 * 60_000 },
      );
      if (w.code !== 0) throw new CheckpointError(`Writing ${manifest.id} on ${target.name} failed: ${w.stderr.trim()}`, 'copy');
      options.onProgress?.(Math.floor((Math.min(at + CHUNK, encoded.length) * 3) / 4));
    }
    const moved: CheckpointManifest = { ...manifest, imagesDir: dir };
    const unpack = await runner.exec(
      target,
      sh`${argv(privileged(target, ['tar', '-C', baseDir, '-xf', file]))} && printf '%s\n' ${JSON.stringify(moved)} | ${argv(privileged(target, ['sh', '-c', 'cat > "$1"', 'sh', path.join(dir, 'manifest.json')]))}`,
      { signal: options.signal, timeoutMs: 30 * 60_000 },
    );
    if (unpack.code !== 0) throw new CheckpointError(`Unpacking ${manifest.id} on ${target.name} failed: ${unpack.stderr.trim()}`, 'copy');
    return moved;
  } finally {
    await runner.exec(target, argv(privileged(target, ['rm', '-f', '--', file])), { timeoutMs: 20_000 }).catch(() => undefined);
  }
}

/** Copies a checkpoint's folder from `source` to `target` under `targetBaseDir`. */
export async function copyCheckpoint(
  runner: CommandRunner,
  source: SshEndpoint,
  target: SshEndpoint,
  manifest: CheckpointManifest,
  targetBaseDir: string,
  options: { signal?: AbortSignal; onProgress?(bytes: number): void } = {},
): Promise<CheckpointManifest> {
  const archive = await readCheckpointArchive(runner, source, manifest, options.signal);
  return writeCheckpointArchive(runner, target, manifest, archive, targetBaseDir, options);
}

export interface MoveResult {
  manifest: CheckpointManifest;
  target: string;
  pid: number;
}

/** Refuses with the reasons unless `target` can take the checkpoint (the `compatible` step of a restore elsewhere). */
export async function requireCompatible(
  runner: CommandRunner,
  target: SshEndpoint,
  manifest: CheckpointManifest,
  options: { signal?: AbortSignal; onStep?(s: { step: 'compatible'; ok: boolean; detail?: string }): void },
): Promise<void> {
  const compat = await targetCompatibility(runner, target, manifest, options.signal);
  options.onStep?.({ step: 'compatible', ok: compat.ok, detail: compat.reasons.join('; ') || undefined });
  if (!compat.ok)
    throw new CheckpointError(`${manifest.id} cannot be restored on ${target.name}: ${compat.reasons.join('; ')}.`, 'compatible');
}

/**
 * Restores a checkpoint taken on `source` on `target`: refused with the reasons unless compatible; the images are
 * copied unless the target is the source; then the editor's restore steps run on the target.
 */
export async function restoreOnHost(
  runner: CommandRunner,
  source: SshEndpoint,
  target: SshEndpoint,
  manifest: CheckpointManifest,
  targetBaseDir: string,
  options: {
    signal?: AbortSignal;
    extraArgs?: string[];
    onStep?(s: StepReport | { step: 'compatible' | 'copy'; ok: boolean; detail?: string }): void;
  } = {},
): Promise<MoveResult> {
  await requireCompatible(runner, target, manifest, options);
  let onTarget = manifest;
  if (target.name !== source.name) {
    const present = (await listCheckpoints(runner, target, targetBaseDir, options.signal)).find((m) => m.id === manifest.id);
    onTarget = present ?? (await copyCheckpoint(runner, source, target, manifest, targetBaseDir, { signal: options.signal }));
    options.onStep?.({ step: 'copy', ok: true, detail: present ? 'already there' : undefined });
  }
  const { pid } = await restoreCheckpoint(runner, target, onTarget, {
    signal: options.signal,
    extraArgs: options.extraArgs,
    onStep: options.onStep,
  });
  return { manifest: onTarget, target: target.name, pid };
}
