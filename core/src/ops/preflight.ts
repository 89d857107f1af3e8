// Checks before nixos-anywhere wipes a machine: reachable, root or passwordless sudo, at least 1.5 GB RAM,
// the architecture the spec says, kexec possible (or already a NixOS installer), and the disko target disks.

import type { HostSpec, System } from '../spec/types';
import type { SshEndpoint, SshPool } from '../ssh/connection';
import { sh, type ShellCommand } from '../ssh/quote';
import { nixSystemOf, parseOsRelease } from './probe';
import { isComplete, parseSections } from './sections';

export const MIN_INSTALL_MEMORY_BYTES = 1.5 * 1024 ** 3;

export interface PreflightCheck {
  id: 'reachable' | 'privileges' | 'memory' | 'architecture' | 'kexec' | 'disks';
  ok: boolean;
  detail: string;
}

export interface PreflightResult {
  host: string;
  ok: boolean;
  checks: PreflightCheck[];
}

export function preflightScript(disks: readonly string[]): ShellCommand {
  return sh`echo @@id; id -u
echo @@sudo; if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo yes; else echo no; fi
echo @@uname; uname -s; uname -m
echo @@mem; grep -E '^MemTotal:' /proc/meminfo 2>/dev/null
echo @@os-release; cat /etc/os-release 2>/dev/null
echo @@kexec; if [ -r /proc/sys/kernel/kexec_load_disabled ]; then cat /proc/sys/kernel/kexec_load_disabled; else echo missing; fi
echo @@container; if command -v systemd-detect-virt >/dev/null 2>&1; then systemd-detect-virt --container 2>/dev/null || true; else echo unknown; fi
echo @@disks; for disk in ${disks}; do if [ -b "$disk" ]; then echo "present $disk"; else echo "missing $disk"; fi; done
echo @@end`;
}

export function evaluatePreflight(host: HostSpec, expected: System, output: string): PreflightResult {
  const b = parseSections(output, { trim: true });
  if (!isComplete(b)) throw new Error(`The pre-flight check of ${host.name} was cut short.`);
  const checks: PreflightCheck[] = [{ id: 'reachable', ok: true, detail: 'SSH login works' }];
  const isRoot = b.get('id')?.[0] === '0';
  const sudo = b.get('sudo')?.[0] === 'yes';
  checks.push({
    id: 'privileges',
    ok: isRoot || sudo,
    detail: isRoot
      ? 'logged in as root'
      : sudo
        ? 'passwordless sudo works'
        : 'not root and `sudo -n true` fails: log in as root or allow passwordless sudo',
  });
  const memKb = Number(/(\d+)/.exec(b.get('mem')?.[0] ?? '')?.[1] ?? NaN);
  const memBytes = memKb * 1024;
  checks.push({
    id: 'memory',
    ok: memBytes >= MIN_INSTALL_MEMORY_BYTES,
    detail: Number.isFinite(memBytes)
      ? `${(memBytes / 1024 ** 3).toFixed(1)} GiB RAM${memBytes >= MIN_INSTALL_MEMORY_BYTES ? '' : ' (the kexec installer needs at least 1.5 GB)'}`
      : 'could not read /proc/meminfo',
  });
  const [kernelName = '', arch = ''] = b.get('uname') ?? [];
  const actual = nixSystemOf(kernelName, arch);
  checks.push({
    id: 'architecture',
    ok: actual === expected,
    detail:
      actual === expected
        ? `${actual}, as the spec says`
        : `the machine is ${actual ?? `${kernelName} ${arch}`}, the spec says ${expected}`,
  });
  const os = parseOsRelease(b.get('os-release') ?? []);
  const installer = os.ID === 'nixos' && (os.VARIANT_ID === 'installer' || /installer/i.test(os.VARIANT ?? ''));
  const kexecDisabled = b.get('kexec')?.[0];
  const container = b.get('container')?.[0] ?? 'unknown';
  const inContainer = container !== 'none' && container !== 'unknown' && container !== '';
  checks.push({
    id: 'kexec',
    ok: installer || (kexecDisabled === '0' && !inContainer),
    detail: installer
      ? 'already running a NixOS installer'
      : inContainer
        ? `running inside a ${container} container: kexec will not work`
        : kexecDisabled === '0'
          ? 'kexec is allowed'
          : kexecDisabled === '1'
            ? 'kexec is disabled (kernel.kexec_load_disabled = 1): boot the NixOS installer image instead'
            : 'the kernel has no kexec support: boot the NixOS installer image instead',
  });
  const diskLines = b.get('disks') ?? [];
  const missing = diskLines.filter((l) => l.startsWith('missing ')).map((l) => l.slice(8));
  const wanted = (host.disks ?? []).map((d) => d.device);
  checks.push({
    id: 'disks',
    ok: wanted.length > 0 && missing.length === 0,
    detail:
      wanted.length === 0
        ? 'the spec lists no disks for disko'
        : missing.length
          ? `not found on the machine: ${missing.join(', ')}`
          : `found ${wanted.join(', ')}`,
  });
  return { host: host.name, ok: checks.every((c) => c.ok), checks };
}

export async function preflight(
  pool: SshPool,
  endpoint: SshEndpoint,
  host: HostSpec,
  expected: System,
  signal?: AbortSignal,
): Promise<PreflightResult> {
  const disks = (host.disks ?? []).map((d) => d.device);
  const result = await pool.exec(endpoint, preflightScript(disks), { signal, timeoutMs: 30_000 });
  return evaluatePreflight(host, expected, result.stdout);
}
