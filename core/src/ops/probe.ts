// One SSH round trip per host gathers its facts: OS, architecture, kernel, memory, NixOS or not, GPUs (nvidia-smi
// or rocm-smi) and the state of its services. The script is built from quoted pieces; the output comes back in
// `@@section` blocks and is parsed into typed facts.

import type { SshEndpoint, SshPool } from '../ssh/connection';
import { sh, type ShellCommand } from '../ssh/quote';
import { NVIDIA_GPU_FIELDS, parseNvidiaGpus, parseRocmSmi, type ProbedGpu } from './nvidiaSmi';
import { isComplete, parseSections } from './sections';
import { SERVICE_UNITS, type ServiceKey } from './units';

export type UnitState = 'active' | 'inactive' | 'failed' | 'activating' | 'deactivating' | 'reloading' | 'unknown';

export interface ProbeFacts {
  host: string;
  /** `uname -s`: Linux, Darwin. */
  kernelName: string;
  /** `uname -m`: x86_64, aarch64, arm64. */
  arch: string;
  /** `uname -r`. */
  kernelRelease: string;
  /** The Nix system double this machine is, e.g. `x86_64-linux`; undefined for other platforms. */
  system?: string;
  osName?: string;
  isNixos: boolean;
  /** Booted into a NixOS installer (kexec image or ISO). */
  isInstaller: boolean;
  memory?: { totalBytes: number; availableBytes?: number };
  gpus: ProbedGpu[];
  nvidiaDriver?: string;
  /** Why GPU facts are missing although a tool exists (e.g. nvidia-smi failed). */
  gpuProblems: string[];
  services: Partial<Record<ServiceKey, UnitState>>;
  probedAt: string;
}

export function probeScript(services: readonly ServiceKey[]): ShellCommand {
  const units = services.map((s) => SERVICE_UNITS[s]);
  const gpuQuery = `--query-gpu=${NVIDIA_GPU_FIELDS.join(',')}`;
  return sh`echo @@uname; uname -s; uname -m; uname -r
echo @@os-release; cat /etc/os-release 2>/dev/null
echo @@meminfo; if [ -r /proc/meminfo ]; then grep -E '^(MemTotal|MemAvailable):' /proc/meminfo; else echo "MemBytes: $(sysctl -n hw.memsize 2>/dev/null)"; fi
echo @@nvidia; if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi ${gpuQuery} --format=csv,noheader,nounits 2>&1; echo "@@rc $?"; else echo @@absent; fi
echo @@rocm; if command -v rocm-smi >/dev/null 2>&1; then rocm-smi --showproductname --showmeminfo vram --showuse --showtemp --json 2>&1; echo "@@rc $?"; else echo @@absent; fi
echo @@services; for unit in ${units}; do printf '%s %s\\n' "$unit" "$(systemctl is-active "$unit" 2>/dev/null)"; done
echo @@end`;
}

/** A tool's block: its output, exit status, or absent. */
function toolBlock(lines: string[] | undefined): { absent: true } | { absent: false; text: string; rc: number } {
  if (!lines || lines[0] === '@@absent') return { absent: true };
  const rcLine = lines.findIndex((l) => l.startsWith('@@rc '));
  return {
    absent: false,
    text: lines.slice(0, rcLine < 0 ? undefined : rcLine).join('\n'),
    rc: rcLine < 0 ? -1 : Number(lines[rcLine].slice(5)),
  };
}

export function parseOsRelease(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return out;
}

export function nixSystemOf(kernelName: string, arch: string): string | undefined {
  const cpu = arch === 'arm64' ? 'aarch64' : arch === 'amd64' ? 'x86_64' : arch;
  const os = kernelName === 'Linux' ? 'linux' : kernelName === 'Darwin' ? 'darwin' : undefined;
  return os && /^(x86_64|aarch64)$/.test(cpu) ? `${cpu}-${os}` : undefined;
}

export function parseProbeOutput(host: string, output: string, services: readonly ServiceKey[], now = new Date()): ProbeFacts {
  const s = parseSections(output);
  if (!isComplete(s)) throw new Error(`The probe of ${host} was cut short; its output ended early.`);
  const [kernelName = '', arch = '', kernelRelease = ''] = (s.get('uname') ?? []).map((l) => l.trim());
  const os = parseOsRelease(s.get('os-release') ?? []);
  const mem = s.get('meminfo') ?? [];
  const kib = (key: string) => {
    const m = mem.map((l) => new RegExp(`^${key}:\\s+(\\d+)\\s*kB`).exec(l)).find(Boolean);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const darwinBytes = Number((mem.find((l) => l.startsWith('MemBytes:')) ?? '').slice(9).trim()) || undefined;
  const totalBytes = kib('MemTotal') ?? darwinBytes;

  const gpus: ProbedGpu[] = [];
  const gpuProblems: string[] = [];
  let nvidiaDriver: string | undefined;
  const nvidia = toolBlock(s.get('nvidia'));
  if (!nvidia.absent) {
    if (nvidia.rc === 0) {
      try {
        const parsed = parseNvidiaGpus(nvidia.text);
        gpus.push(...parsed.gpus);
        nvidiaDriver = parsed.driverVersion;
      } catch (err) {
        gpuProblems.push((err as Error).message);
      }
    } else gpuProblems.push(`nvidia-smi failed (exit ${nvidia.rc}): ${nvidia.text.trim().split('\n')[0] ?? ''}`);
  }
  const rocm = toolBlock(s.get('rocm'));
  if (!rocm.absent) {
    try {
      if (rocm.rc !== 0) throw new Error(`exit ${rocm.rc}: ${rocm.text.trim().split('\n')[0] ?? ''}`);
      gpus.push(...parseRocmSmi(rocm.text));
    } catch (err) {
      gpuProblems.push(`rocm-smi failed: ${(err as Error).message}`);
    }
  }

  const unitStates = new Map<string, string>();
  for (const line of s.get('services') ?? []) {
    const [unit, state] = line.trim().split(/\s+/);
    if (unit) unitStates.set(unit, state ?? '');
  }
  const serviceStates: Partial<Record<ServiceKey, UnitState>> = {};
  for (const key of services) {
    const state = unitStates.get(SERVICE_UNITS[key]) ?? '';
    serviceStates[key] =
      (['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading'] as const).find((v) => v === state) ?? 'unknown';
  }

  return {
    host,
    kernelName,
    arch,
    kernelRelease,
    system: nixSystemOf(kernelName, arch),
    osName: os.PRETTY_NAME ?? os.NAME ?? (kernelName === 'Darwin' ? 'macOS' : undefined),
    isNixos: os.ID === 'nixos',
    isInstaller: os.ID === 'nixos' && (os.VARIANT_ID === 'installer' || /installer/i.test(os.VARIANT ?? '')),
    memory: totalBytes ? { totalBytes, availableBytes: kib('MemAvailable') } : undefined,
    gpus,
    nvidiaDriver,
    gpuProblems,
    services: serviceStates,
    probedAt: now.toISOString(),
  };
}

export async function probeHost(
  pool: SshPool,
  endpoint: SshEndpoint,
  services: readonly ServiceKey[],
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ProbeFacts> {
  const result = await pool.exec(endpoint, probeScript(services), { signal: options.signal, timeoutMs: options.timeoutMs ?? 30_000 });
  return parseProbeOutput(endpoint.name, result.stdout, services);
}
