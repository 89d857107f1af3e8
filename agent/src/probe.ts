// The agent's answer to `probe`: the same ProbeFacts the SSH probe (core/src/ops/probe.ts) produces, gathered
// locally, so the extension treats both paths alike and falls back to SSH without the caller noticing.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { nixSystemOf, parseOsRelease, type ProbeFacts, SERVICE_UNITS, type ServiceKey, type UnitState } from '#core/ops';
import { parseMeminfo, queryGpus, type CollectOptions } from './collect';

const UNIT_STATES: readonly UnitState[] = ['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading'];

function unitState(unit: string): Promise<UnitState> {
  return new Promise((resolve) => {
    execFile('systemctl', ['is-active', unit], { timeout: 10_000, encoding: 'utf8' }, (_err, stdout) => {
      const state = stdout.trim();
      resolve(UNIT_STATES.find((s) => s === state) ?? 'unknown');
    });
  });
}

/** `uname -m` spelling of Node's architecture names. */
export function unameArch(arch: string): string {
  return ({ x64: 'x86_64', arm64: 'aarch64', ia32: 'i686' } as Record<string, string>)[arch] ?? arch;
}

export async function probeFacts(
  host: string,
  services: readonly ServiceKey[],
  collect: CollectOptions,
  now = new Date(),
): Promise<ProbeFacts> {
  const kernelName = os.type();
  const arch = unameArch(os.arch());
  const [osRelease, meminfo, gpu, states] = await Promise.all([
    readFile('/etc/os-release', 'utf8').then(
      (t) => parseOsRelease(t.split('\n')),
      () => ({}) as Record<string, string>,
    ),
    readFile(collect.meminfoPath ?? '/proc/meminfo', 'utf8').then(parseMeminfo, () => undefined),
    queryGpus(collect.gpuTool, collect.toolTimeoutMs),
    Promise.all(services.filter((k) => k in SERVICE_UNITS).map(async (k) => [k, await unitState(SERVICE_UNITS[k])] as const)),
  ]);
  return {
    host,
    kernelName,
    arch,
    kernelRelease: os.release(),
    system: nixSystemOf(kernelName, arch),
    osName: osRelease.PRETTY_NAME ?? osRelease.NAME,
    isNixos: osRelease.ID === 'nixos',
    isInstaller: osRelease.ID === 'nixos' && (osRelease.VARIANT_ID === 'installer' || /installer/i.test(osRelease.VARIANT ?? '')),
    memory: meminfo ?? { totalBytes: os.totalmem(), availableBytes: os.freemem() },
    gpus: gpu.gpus,
    nvidiaDriver: gpu.driverVersion,
    gpuProblems: gpu.problems,
    services: Object.fromEntries(states),
    probedAt: now.toISOString(),
  };
}
