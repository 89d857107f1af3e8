// Deploy Host: the nixos-anywhere command line, its `### step ###` progress lines, and what its known
// failures mean in plain words.

import path from 'node:path';
import type { SshEndpoint } from '../ssh/connection';
import { expandHome } from '../ssh/connection';
import { requireTool } from './tools';
import { runLocal, type LocalRunResult } from './localProcess';

export type InstallPhase = 'kexec' | 'disko' | 'install' | 'reboot';
export const INSTALL_PHASES: readonly InstallPhase[] = ['kexec', 'disko', 'install', 'reboot'];
export type BuildOn = 'auto' | 'local' | 'remote';

export interface DeployRequest {
  /** The generated flake's folder (setting gpuCluster.flake.outputDir, resolved). */
  flakeDir: string;
  host: string;
  endpoint: SshEndpoint;
  phases?: readonly InstallPhase[];
  buildOn?: BuildOn;
  /** Write hosts/HOST/facter.json with nixos-facter during the install (default true). */
  generateHardwareConfig?: boolean;
}

/** Where nixos-facter's report lands inside the flake. */
export function facterReportPath(flakeDir: string, host: string): string {
  return path.join(flakeDir, 'hosts', host, 'facter.json');
}

function checkFlakeRef(flakeDir: string, host: string): void {
  if (flakeDir.includes('#')) throw new Error(`The flake folder ${flakeDir} contains '#', which nix reads as the start of the attribute.`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host)) throw new Error(`"${host}" is not a host name nix can use as a configuration name.`);
}

/** `--ssh-option ProxyJump=…` value for a jump host chain. */
function proxyJump(endpoint: SshEndpoint): string | undefined {
  const hops: string[] = [];
  for (let j = endpoint.jump; j; j = j.jump) hops.unshift(`${j.user}@${j.address.includes(':') ? `[${j.address}]` : j.address}:${j.port}`);
  return hops.length ? hops.join(',') : undefined;
}

export function nixosAnywhereArgs(req: DeployRequest): string[] {
  checkFlakeRef(req.flakeDir, req.host);
  const e = req.endpoint;
  const args = ['--flake', `${req.flakeDir}#${req.host}`, '--target-host', `${e.user}@${e.address}`, '-p', String(e.port)];
  if (e.identity) args.push('-i', expandHome(e.identity));
  const jump = proxyJump(e);
  if (jump) args.push('--ssh-option', `ProxyJump=${jump}`);
  if (req.generateHardwareConfig ?? true) args.push('--generate-hardware-config', 'nixos-facter', facterReportPath(req.flakeDir, req.host));
  const phases = req.phases ?? INSTALL_PHASES;
  if (phases.length === 0) throw new Error('Choose at least one install phase.');
  if (phases.length !== INSTALL_PHASES.length) args.push('--phases', INSTALL_PHASES.filter((p) => phases.includes(p)).join(','));
  if (req.buildOn && req.buildOn !== 'auto') args.push('--build-on', req.buildOn);
  return args;
}

/** nixos-anywhere's step lines, in the order it prints them, for a progress fraction. */
export const DEPLOY_STEPS: readonly { match: RegExp; label: string }[] = [
  { match: /^Uploading install SSH keys/, label: 'Uploading install SSH keys' },
  { match: /^Gathering machine facts/, label: 'Gathering machine facts' },
  { match: /^Switching system into kexec/, label: 'Switching into the kexec installer' },
  { match: /^Generating (facter\.json|hardware-configuration\.nix)/, label: 'Generating the hardware report' },
  { match: /^Building disko script/, label: 'Building the disko script' },
  { match: /^Formatting hard drive with disko/, label: 'Formatting disks with disko' },
  { match: /^(Uploading|Building) the system closure/, label: 'Copying the system closure' },
  { match: /^Copying extra files/, label: 'Copying extra files' },
  { match: /^Installing NixOS/, label: 'Installing NixOS' },
  { match: /^Rebooting/, label: 'Rebooting' },
  { match: /^Waiting for the machine to become (unreachable|reachable)/, label: 'Waiting for the reboot' },
  { match: /^Done!?/, label: 'Done' },
];

export interface DeployStep {
  /** The text between the ### markers. */
  raw: string;
  label: string;
  /** Position in DEPLOY_STEPS, or -1 for a step this version does not know. */
  index: number;
  /** 0..1 */
  fraction: number;
}

/** A `### … ###` line as a step, or undefined for any other line. */
export function parseStepLine(line: string): DeployStep | undefined {
  const m = /^### (.+?) ###\s*$/.exec(line.trim());
  if (!m) return undefined;
  const index = DEPLOY_STEPS.findIndex((s) => s.match.test(m[1]));
  const label = index >= 0 ? DEPLOY_STEPS[index].label : m[1];
  return { raw: m[1], label, index, fraction: index >= 0 ? (index + 1) / DEPLOY_STEPS.length : NaN };
}

export type DeployFailureKind =
  'kexec-unreachable' | 'missing-disko-script' | 'bootloader' | 'ssh-auth' | 'privileges' | 'target-tools' | 'unknown';

export interface DeployFailure {
  kind: DeployFailureKind;
  message: string;
  /** The output line that gave it away. */
  evidence?: string;
}

const FAILURES: { kind: DeployFailureKind; test: RegExp; message: string; afterStep?: RegExp }[] = [
  {
    kind: 'missing-disko-script',
    test: /(attribute '(disko|format|mount|destroyFormatMount)Script(NoDeps)?' missing|does not provide attribute.*diskoScript|diskoScript.*(missing|not found))/i,
    message:
      "The host's NixOS configuration has no disko script: give the host `disks` in the spec (the generated flake then imports disko) and run Generate Flake again.",
  },
  {
    kind: 'kexec-unreachable',
    test: /(Failed to kexec into NixOS installer|Kexec failed|Kexec may have failed)/i,
    message:
      'The machine did not come back reachable after switching into the kexec installer. Check its console: it may have taken a different address (DHCP), or its network needs drivers the installer lacks. Boot the NixOS installer ISO instead and deploy with the phases disko,install,reboot.',
  },
  {
    kind: 'kexec-unreachable',
    afterStep: /Switching system into kexec/,
    test: /(Connection timed out|No route to host|Connection refused|Operation timed out)/i,
    message:
      'The machine did not come back reachable after switching into the kexec installer. Check its console: it may have taken a different address (DHCP), or its network needs drivers the installer lacks. Boot the NixOS installer ISO instead and deploy with the phases disko,install,reboot.',
  },
  {
    kind: 'bootloader',
    test: /(Failed to install bootloader|installation of (GRUB|systemd-boot).* failed|grub-install: error|bootctl.*(fail|error)|efibootmgr.*(fail|error|Could not)|is not a FAT EFI System Partition|Could not find ESP|No space left on device.*\/boot)/i,
    message:
      'Installing the boot loader failed. Check the ESP in the spec (`espSizeMB`, the os disk) and whether the machine boots UEFI or legacy BIOS; the install log above names the failing command.',
  },
  {
    kind: 'ssh-auth',
    test: /Permission denied \((publickey|password)/,
    message:
      "The machine refused the SSH login. Check ssh.user and ssh.identity in the spec and that the key is in the machine's authorized_keys.",
  },
  {
    kind: 'privileges',
    test: /Unable to find a command to use to escalate privileges/,
    message: 'The SSH user is not root and has neither sudo nor doas. Log in as root or allow passwordless sudo.',
  },
  {
    kind: 'target-tools',
    test: /no (tar|cpio|setsid) command found/,
    message:
      'The machine lacks a tool the kexec installer needs (tar, cpio or setsid). Install it, or boot the NixOS installer ISO and skip the kexec phase.',
  },
];

/** Explains a failed run from its output; the classifier looks at the last lines first. */
export function classifyDeployFailure(lines: readonly string[]): DeployFailure {
  let lastStep: string | undefined;
  const stepAt: (string | undefined)[] = lines.map((l) => (lastStep = parseStepLine(l)?.raw ?? lastStep));
  for (const rule of FAILURES) {
    for (let i = lines.length - 1; i >= 0; i--) {
      if (!rule.test.test(lines[i])) continue;
      if (rule.afterStep && !rule.afterStep.test(stepAt[i] ?? '')) continue;
      return { kind: rule.kind, message: rule.message, evidence: lines[i].trim() };
    }
  }
  const aborted = [...lines].reverse().find((l) => /^aborted: |error:/i.test(l.trim()));
  const last = [...lines].reverse().find((l) => l.trim());
  return { kind: 'unknown', message: `nixos-anywhere failed: ${(aborted ?? last ?? 'no output').trim()}`, evidence: aborted ?? last };
}

export interface DeployOutcome {
  host: string;
  ok: boolean;
  cancelled: boolean;
  steps: DeployStep[];
  failure?: DeployFailure;
  run: LocalRunResult;
}

export interface DeployCallbacks {
  signal?: AbortSignal;
  onStep?(step: DeployStep): void;
  onData?(chunk: string): void;
  /** PATH to find nixos-anywhere and nix on (defaults to the environment's). */
  envPath?: string;
}

export async function deployHost(req: DeployRequest, cb: DeployCallbacks = {}): Promise<DeployOutcome> {
  const args = nixosAnywhereArgs(req);
  const tool = await requireTool('nixos-anywhere', cb.envPath);
  await requireTool('nix', cb.envPath);
  const steps: DeployStep[] = [];
  const run = await runLocal(tool, args, {
    cwd: req.flakeDir,
    env: cb.envPath ? { PATH: cb.envPath } : undefined,
    signal: cb.signal,
    onData: (chunk) => cb.onData?.(chunk),
    onLine: (line) => {
      const step = parseStepLine(line);
      if (step) {
        steps.push(step);
        cb.onStep?.(step);
      }
    },
  });
  const ok = run.code === 0 && !run.cancelled;
  return {
    host: req.host,
    ok,
    cancelled: run.cancelled,
    steps,
    failure: ok || run.cancelled ? undefined : classifyDeployFailure(run.tail),
    run,
  };
}
