// Runs test/support/eval-flake.nix (the real lib.evalModules over generated flakes) and returns what it reports per
// host. One nix-instantiate evaluates any number of flakes.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { declarationsModule, readOptionFacts } from './optionDeclarations';
import { nixpkgsLib, upstreamSource } from './upstream';

const run = promisify(execFile);
const harness = path.join(__dirname, '../../../test/support/eval-flake.nix');

export interface HostReport {
  forced: number;
  failedAssertions: string[];
  warnings: string[];
  /** services.nats as nixpkgs writes nats.conf: its settings, and whether the build checks them (nats-server -t). */
  nats: { settings: Record<string, any>; validateConfig: boolean } | null;
  /** lib/nats-settings.nix applied to gpuCluster.nats (NixOS and nix-darwin). */
  gpuClusterNats: Record<string, any> | null;
  polkit: boolean | null;
  videoDrivers: string[] | null;
  tmpfiles: string[] | null;
  execStart: Record<string, string | null> | null;
  /** systemd.timers.<name>.timerConfig. */
  timers: Record<string, Record<string, string | number>> | null;
  fileSystems: string[] | null;
  k3sExtraFlags: string | string[] | null;
  polkitRules: string | null;
  /** The root template unit gpu-cluster-container@ of the agent's container path. */
  containerUnit: { serviceConfig: Record<string, unknown>; startLimitIntervalSec: number } | null;
  /** containers.<name> as the host declares them, each configuration evaluated as nixos-containers.nix does. */
  containers: Record<string, ContainerReport> | null;
  firewallInterfaces: Record<string, number[]> | null;
}
export interface ContainerReport {
  forced: number;
  failedAssertions: string[];
  environment: Record<string, string>;
  stateVersion: string;
  hostName: string;
  enabledServices: string[];
  autoStart: boolean;
  privateNetwork: boolean;
  hostAddress: string | null;
  localAddress: string | null;
  allowedDevices: { node: string; modifier: string }[];
  bindMounts: Record<string, { mountPoint: string; hostPath: string | null; isReadOnly: boolean }>;
  unit: Record<string, unknown>;
}
export interface FlakeReport {
  nixos: Record<string, HostReport>;
  darwin: Record<string, HostReport>;
}

/** `flakes`: name → folder of a generated flake; `workDir` receives the emitted option declarations. */
export async function evaluateFlakes(flakes: Record<string, string>, workDir: string): Promise<Record<string, FlakeReport>> {
  const nixosDeclarations = path.join(workDir, 'nixos-declarations.nix');
  const darwinDeclarations = path.join(workDir, 'darwin-declarations.nix');
  writeFileSync(nixosDeclarations, declarationsModule(readOptionFacts('nixos')));
  writeFileSync(darwinDeclarations, declarationsModule(readOptionFacts('darwin')));
  const entries = Object.entries(flakes).map(([name, dir]) => `${JSON.stringify(name)} = harness { flakeDir = ${dir}; };`);
  const expr = `let
    lib = import ${nixpkgsLib()};
    harness = args: import ${harness} ({ inherit lib; nixosDeclarations = ${nixosDeclarations}; darwinDeclarations = ${darwinDeclarations};
      disko = ${upstreamSource('disko')}; } // args);
  in { ${entries.join(' ')} }`;
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--store', 'dummy://', '-E', expr], {
    maxBuffer: 256 << 20,
    timeout: 110_000,
  });
  return JSON.parse(stdout) as Record<string, FlakeReport>;
}
