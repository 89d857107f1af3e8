// What a rollout does on one NixOS host, over SSH. Every path is built from the host's layout (its root, `/`
// on a real host) and every value reaches the shell through core/src/ssh/quote.
//
// Facts used, from upstream:
// - Profiles: /nix/var/nix/profiles/system → system-N-link → the toplevel store path; `nix-env -p … --set`
//   adds generation N+1 and moves `system` to it, `--rollback` moves it back; the running system is
//   /run/current-system (nixpkgs nixos/modules/system/activation/top-level.nix, nixos-rebuild). The links are
//   made here with ln + an atomic rename (mv -T), which is what nix-env does to a profile link.
// - The switch runs in a transient unit, as nixos-rebuild runs it (nixpkgs pkgs/os-specific/linux/nixos-rebuild,
//   nixpkgs#39118): `systemd-run --collect --no-ask-password --pipe --quiet --service-type=exec --unit=… --wait
//   <toplevel>/bin/switch-to-configuration switch`, so a switch that cuts the SSH connection still finishes.
// - The dead-man timer: `systemd-run --on-active=<sec> --unit=<name> …` creates a transient <name>.timer that
//   starts <name>.service once after <sec> seconds (systemd-run(1), "--on-active=…: defines a monotonic timer
//   relative to …; a transient timer unit is created"); `systemctl stop <name>.timer` disarms it; `systemctl
//   is-active <name>.timer` prints `active` while it waits (systemctl(1)).

import path from 'node:path/posix';
import type { SshEndpoint, SshPool } from '../ssh/connection';
import { argv, sh, type ShellCommand } from '../ssh/quote';
import {
  createCheckpoint,
  restoreCheckpoint,
  unitFromCgroup,
  listGpuProcesses,
  checkPrerequisites,
  type CheckpointManifest,
  type CheckpointSettings,
} from '../ops/checkpoint';
import type { ExoState } from '../ops/exoState';
import { interruptions, parseDiffClosures, parseDryActivate, parsePathInfoSizes, type GpuProcessOnHost, type HostPreview } from './preview';

export interface HostLayout {
  /** The host's filesystem root: `/` on a real host, a folder inside the test root in tests. */
  root: string;
  profiles: string;
  currentSystem: string;
  /** Where the revert scripts live. */
  stateDir: string;
  proc: string;
}

const SAFE_PATH = /^\/[A-Za-z0-9._/+-]*$/;

/** Bound of the small remote commands (profile, timer, unit states): generous, a busy host answers slowly. */
const SHORT_COMMAND_MS = 60_000;

export function hostLayout(root = '/'): HostLayout {
  if (!SAFE_PATH.test(root) || root.split('/').includes('..'))
    throw new Error(`"${root}" is not a usable host root (an absolute path of letters, digits, '._/+-').`);
  const at = (p: string) => path.join(root, p);
  return {
    root,
    profiles: at('nix/var/nix/profiles'),
    currentSystem: at('run/current-system'),
    stateDir: at('var/lib/gpu-cluster/rollout'),
    proc: at('proc'),
  };
}

/** A store path (or, in tests, a toplevel folder) as the new system: validated because it is spliced into a systemd unit's script. */
export function checkSystemPath(p: string): string {
  if (!SAFE_PATH.test(p) || p.split('/').includes('..')) throw new Error(`"${p}" is not a system path this rollout accepts.`);
  return p;
}

export interface Generations {
  /** The generation `system` points to. */
  current: number;
  /** Generation number → its toplevel. */
  byNumber: Map<number, string>;
  /** What /run/current-system resolves to (the running system). */
  running: string;
}

export function parseGenerations(output: string): Generations {
  const byNumber = new Map<number, string>();
  let current = NaN;
  let running = '';
  for (const line of output.split('\n')) {
    const [kind, a, b] = line.split('\t');
    if (kind === 'profile') current = Number(/^system-(\d+)-link$/.exec(a ?? '')?.[1]);
    else if (kind === 'gen') {
      const n = /^system-(\d+)-link$/.exec(a ?? '')?.[1];
      if (n && b) byNumber.set(Number(n), b);
    } else if (kind === 'running') running = a ?? '';
  }
  if (!Number.isInteger(current) || !byNumber.has(current))
    throw new Error('The host has no system profile generation (is it a NixOS host?).');
  return { current, byNumber, running };
}

function generationsCommand(l: HostLayout): ShellCommand {
  return sh`cd ${l.profiles} && printf 'profile\t%s\n' "$(readlink system)" && for g in system-*-link; do [ -L "$g" ] && printf 'gen\t%s\t%s\n' "$g" "$(readlink "$g")"; done; printf 'running\t%s\n' "$(readlink -f ${l.currentSystem})"`;
}

export async function readGenerations(pool: SshPool, ep: SshEndpoint, l: HostLayout, signal?: AbortSignal): Promise<Generations> {
  const r = await pool.exec(ep, generationsCommand(l), { signal, timeoutMs: SHORT_COMMAND_MS });
  if (r.code !== 0) throw new Error(`Reading the system profile of ${ep.name} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return parseGenerations(r.stdout);
}

const link = (l: HostLayout, n: number) => path.join(l.profiles, `system-${n}-link`);

/** Moves the `system` profile link to generation n atomically (what nix-env --switch-generation does). */
function setProfile(l: HostLayout, n: number): ShellCommand {
  const tmp = path.join(l.profiles, '.system-rollout-tmp');
  return sh`ln -sfn ${`system-${n}-link`} ${tmp} && mv -Tf ${tmp} ${path.join(l.profiles, 'system')}`;
}

export interface PreviewContext {
  /** exo's /state and this host's node id in it, when exo is running. */
  exo?: { state?: ExoState; nodeId?: string };
  signal?: AbortSignal;
}

/** GPU processes with the unit each runs in (from the host's /proc/PID/cgroup). */
export async function gpuProcessesWithUnits(
  pool: SshPool,
  ep: SshEndpoint,
  l: HostLayout,
  signal?: AbortSignal,
): Promise<GpuProcessOnHost[]> {
  const apps = await listGpuProcesses(pool, ep, signal);
  if (!apps.length) return [];
  const script = sh`for p in ${apps.map((a) => a.pid)}; do printf '%s\t' "$p"; tr '\n' ' ' < ${l.proc}/"$p"/cgroup 2>/dev/null; echo; done`;
  const r = await pool.exec(ep, script, { signal, timeoutMs: SHORT_COMMAND_MS });
  const units = new Map<number, string | undefined>();
  for (const line of r.stdout.split('\n')) {
    const [pid, cgroup] = line.split('\t');
    if (pid) units.set(Number(pid), cgroup ? cgroupUnit(cgroup) : undefined);
  }
  return apps.map((a) => ({ ...a, unit: units.get(a.pid) }));
}

function cgroupUnit(cgroupLines: string): string | undefined {
  for (const entry of cgroupLines.trim().split(/\s+/)) {
    const unit = unitFromCgroup(entry);
    if (unit) return unit;
  }
  return undefined;
}

const NIX = ['nix', '--extra-experimental-features', 'nix-command'];

/** The preview of switching one host to newSystem (which must already be in the host's store). */
const SECTION = '@@gpu-cluster-section';

/** Runs several commands in one SSH round trip; each one's output (stdout and stderr) and exit status apart. */
async function sections(
  pool: SshPool,
  ep: SshEndpoint,
  commands: Record<string, ShellCommand>,
  signal?: AbortSignal,
): Promise<Record<string, { code: number; output: string }>> {
  const format = `\n${SECTION} %s %s\n`;
  const script = Object.entries(commands).reduce((acc, [name, c]) => sh`${acc}\n{ ${c}; } 2>&1; printf ${format} ${name} "$?"`, sh`:`);
  const r = await pool.exec(ep, script, { signal, timeoutMs: 120_000 });
  const out: Record<string, { code: number; output: string }> = {};
  let buffer: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = new RegExp(`^${SECTION} (\\S+) (\\d+)$`).exec(line);
    if (m) {
      out[m[1]] = { code: Number(m[2]), output: buffer.join('\n').replace(/\n$/, '') };
      buffer = [];
    } else buffer.push(line);
  }
  for (const name of Object.keys(commands)) {
    if (!out[name])
      throw new Error(`The preview on ${ep.name} stopped before ${name} (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  }
  return out;
}

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

/** The preview of switching one host to newSystem (which must already be in the host's store): one SSH round trip for the tools, one for the GPU processes. */
export async function previewHost(
  pool: SshPool,
  ep: SshEndpoint,
  l: HostLayout,
  newSystem: string,
  ctx: PreviewContext = {},
): Promise<HostPreview> {
  checkSystemPath(newSystem);
  const gens = await readGenerations(pool, ep, l, ctx.signal);
  const currentSystem = checkSystemPath(gens.running || (gens.byNumber.get(gens.current) ?? ''));
  const base: HostPreview = {
    host: ep.name,
    currentSystem,
    newSystem,
    unchanged: currentSystem === newSystem,
    packages: [],
    currentGeneration: gens.current,
    nextGeneration: Math.max(...gens.byNumber.keys()) + 1,
    units: { stop: [], notStopped: [], restart: [], start: [], reload: [], restartSystemd: false },
    interrupts: { gpuProcesses: [], exoInstances: [] },
    unreadable: [],
  };
  if (base.unchanged) return base;
  const out = await sections(
    pool,
    ep,
    {
      diff: argv([...NIX, 'store', 'diff-closures', currentSystem, newSystem]),
      sizes: argv([...NIX, 'path-info', '-S', currentSystem, newSystem]),
      dry: argv([path.join(newSystem, 'bin/switch-to-configuration'), 'dry-activate']),
    },
    ctx.signal,
  );
  if (out.diff.code !== 0) throw new Error(`nix store diff-closures failed on ${ep.name}: ${lastLine(out.diff.output)}`);
  if (out.dry.code !== 0) throw new Error(`switch-to-configuration dry-activate failed on ${ep.name}: ${lastLine(out.dry.output)}`);
  // diff-closures writes its lines to stdout and nothing else on success; warnings would show as unreadable
  const parsed = parseDiffClosures(out.diff.output);
  const sizeMap = out.sizes.code === 0 ? parsePathInfoSizes(out.sizes.output) : new Map<string, number>();
  const units = parseDryActivate(out.dry.output);
  const gpu = await gpuProcessesWithUnits(pool, ep, l, ctx.signal).catch(() => []);
  return {
    ...base,
    packages: parsed.changes,
    unreadable: parsed.unreadable,
    closureBefore: sizeMap.get(currentSystem),
    closureAfter: sizeMap.get(newSystem),
    units,
    interrupts: interruptions(units, gpu, { state: ctx.exo?.state, nodeId: ctx.exo?.nodeId }),
  };
}

/** The transient unit name of one host's dead-man timer in one rollout. */
export function timerUnit(rolloutId: string): string {
  return `gpu-cluster-revert-${rolloutId.replace(/[^A-Za-z0-9-]/g, '-')}`;
}

/** The transient service the switch runs in (one per rollout, so a resumed rollout can tell it is still running). */
export function switchUnit(rolloutId: string): string {
  return `gpu-cluster-switch-${rolloutId.replace(/[^A-Za-z0-9-]/g, '-')}`;
}

/** The script the timer runs: the profile back to `previous`, then that generation's own switch. */
export function revertScript(l: HostLayout, previous: number): string {
  return [
    '#!/bin/sh',
    '# written by gpu-cluster rollout: switches back unless the rollout confirms in time',
    'set -e',
    setProfile(l, previous).text,
    `exec ${argv([path.join(link(l, previous), 'bin/switch-to-configuration'), 'switch']).text}`,
    '',
  ].join('\n');
}

export interface SwitchPlan {
  rolloutId: string;
  previous: number;
  next: number;
  newSystem: string;
  confirmTimeoutSec: number;
}

/** Arms the timer (before anything changes), adds generation `next`, moves the profile to it. */
export async function armAndInstall(pool: SshPool, ep: SshEndpoint, l: HostLayout, p: SwitchPlan, signal?: AbortSignal): Promise<void> {
  checkSystemPath(p.newSystem);
  const unit = timerUnit(p.rolloutId);
  const script = path.join(l.stateDir, `${unit}.sh`);
  const command = sh`mkdir -p ${l.stateDir} && printf '%s' ${revertScript(l, p.previous)} > ${script} && chmod 700 ${script} && systemd-run --quiet --collect --unit=${unit} --on-active=${`${p.confirmTimeoutSec}s`} --timer-property=AccuracySec=1s /bin/sh ${script} && ln -sfn ${p.newSystem} ${link(l, p.next)} && ${setProfile(l, p.next)}`;
  const r = await pool.exec(ep, command, { signal, timeoutMs: SHORT_COMMAND_MS });
  if (r.code !== 0) throw new Error(`Arming the revert timer on ${ep.name} failed: ${(r.stderr || r.stdout).trim().split('\n').at(-1)}`);
}

/** Runs the new generation's switch in its own transient unit; resolves with its exit code and output. */
export async function runSwitch(
  pool: SshPool,
  ep: SshEndpoint,
  l: HostLayout,
  p: SwitchPlan,
  onOutput?: (chunk: string) => void,
  signal?: AbortSignal,
): Promise<{ code: number | null; output: string }> {
  const stc = path.join(link(l, p.next), 'bin/switch-to-configuration');
  const command = argv([
    'systemd-run',
    '--collect',
    '--no-ask-password',
    '--pipe',
    '--quiet',
    '--service-type=exec',
    `--unit=${switchUnit(p.rolloutId)}`,
    '--wait',
    stc,
    'switch',
  ]);
  let output = '';
  const r = await pool.exec(ep, sh`${command} 2>&1`, {
    signal,
    timeoutMs: 30 * 60_000,
    onStdout: (c) => {
      output += c;
      onOutput?.(c);
    },
  });
  return { code: r.code, output };
}

/** `systemctl is-active` for each unit; the ones not active, with their state. */
export async function inactiveUnits(
  pool: SshPool,
  ep: SshEndpoint,
  units: readonly string[],
  signal?: AbortSignal,
): Promise<Array<{ unit: string; state: string }>> {
  if (!units.length) return [];
  const r = await pool.exec(ep, argv(['systemctl', 'is-active', '--', ...units]), { signal, timeoutMs: SHORT_COMMAND_MS });
  const states = r.stdout.trim().split('\n');
  return units.flatMap((unit, i) => (states[i]?.trim() === 'active' ? [] : [{ unit, state: states[i]?.trim() || 'unknown' }]));
}

export interface RolloutHostState {
  generations: Generations;
  /** The revert timer is still waiting. */
  armed: boolean;
  /** The revert script is there: the timer was armed (and has fired when it is no longer armed). */
  scriptPresent: boolean;
  /** The switch's transient service is still running. */
  switching: boolean;
}

/** Where a host stands in one rollout, in one round trip (a resumed rollout looks before it acts). */
export async function rolloutHostState(
  pool: SshPool,
  ep: SshEndpoint,
  l: HostLayout,
  rolloutId: string,
  signal?: AbortSignal,
): Promise<RolloutHostState> {
  const unit = timerUnit(rolloutId);
  const out = await sections(
    pool,
    ep,
    {
      gens: generationsCommand(l),
      timer: argv(['systemctl', 'is-active', `${unit}.timer`]),
      script: argv(['test', '-e', path.join(l.stateDir, `${unit}.sh`)]),
      switch: argv(['systemctl', 'is-active', `${switchUnit(rolloutId)}.service`]),
    },
    signal,
  );
  return {
    generations: parseGenerations(out.gens.output),
    armed: out.timer.output.trim() === 'active',
    scriptPresent: out.script.code === 0,
    switching: ['active', 'activating', 'deactivating'].includes(out.switch.output.trim()),
  };
}

export class TimerFiredError extends Error {
  constructor(host: string) {
    super(`the revert timer on ${host} fired before the confirmation: the host is switching back by itself`);
    this.name = 'TimerFiredError';
  }
}

/**
 * Disarms the timer and checks it is gone. Called over a fresh connection: it proves the host is reachable. A
 * timer no longer waiting has fired (the host is switching back): that is not a confirmation.
 */
export async function disarm(pool: SshPool, ep: SshEndpoint, l: HostLayout, rolloutId: string, signal?: AbortSignal): Promise<void> {
  const timer = `${timerUnit(rolloutId)}.timer`;
  const script = path.join(l.stateDir, `${timerUnit(rolloutId)}.sh`);
  const r = await pool.exec(
    ep,
    sh`[ "$(systemctl is-active ${timer})" = active ] || exit 3; systemctl stop ${timer} && rm -f ${script} && systemctl is-active ${timer}`,
    { signal, timeoutMs: SHORT_COMMAND_MS },
  );
  if (r.code === 3 && !r.stdout.trim()) throw new TimerFiredError(ep.name);
  if (r.stdout.trim() === 'active') throw new Error(`The revert timer on ${ep.name} is still armed after stopping it.`);
}

/** Switches back to `previous` now (the same script the timer would run), then disarms the timer. */
export async function revertNow(pool: SshPool, ep: SshEndpoint, l: HostLayout, rolloutId: string, signal?: AbortSignal): Promise<string> {
  const unit = timerUnit(rolloutId);
  const script = path.join(l.stateDir, `${unit}.sh`);
  // Stop the timer first so it cannot fire while the same script runs here; the script stays until it worked.
  const r = await pool.exec(ep, sh`systemctl stop ${`${unit}.timer`}; /bin/sh ${script} 2>&1 && rm -f ${script}`, {
    signal,
    timeoutMs: 30 * 60_000,
  });
  if (r.code !== 0) throw new Error(`Switching ${ep.name} back failed (exit ${r.code}): ${r.stdout.trim().split('\n').at(-1) ?? ''}`);
  return r.stdout;
}

export interface CheckpointOutcome {
  taken: CheckpointManifest[];
  /** Why nothing was checkpointed although processes are interrupted (the host cannot). */
  unsupported?: string;
}

/** Checkpoints the interrupted GPU processes; on the first failure the ones already taken are restored and it throws. */
export async function checkpointProcesses(
  pool: SshPool,
  ep: SshEndpoint,
  host: string,
  processes: readonly GpuProcessOnHost[],
  settings: CheckpointSettings,
  signal?: AbortSignal,
): Promise<CheckpointOutcome> {
  if (!processes.length) return { taken: [] };
  const pre = await checkPrerequisites(pool, ep, signal);
  if (!pre.ok) return { taken: [], unsupported: pre.reasons.join('; ') };
  const taken: CheckpointManifest[] = [];
  try {
    for (const p of processes) {
      taken.push(await createCheckpoint(pool, ep, { host, pid: p.pid, gpu: p, driverVersion: pre.driverVersion, settings }, { signal }));
    }
  } catch (err) {
    // The failed one rolled itself back; the ones already dumped are stopped: bring them back before giving up.
    const restored = await restoreProcesses(pool, ep, taken, signal).then(
      () => '',
      (e: Error) => `; restoring the ${taken.length} already taken failed too: ${e.message}`,
    );
    throw new Error(`${(err as Error).message}${restored}`);
  }
  return { taken };
}

export async function restoreProcesses(
  pool: SshPool,
  ep: SshEndpoint,
  manifests: readonly CheckpointManifest[],
  signal?: AbortSignal,
): Promise<number[]> {
  const pids: number[] = [];
  for (const m of manifests) pids.push((await restoreCheckpoint(pool, ep, m, { signal })).pid);
  return pids;
}
