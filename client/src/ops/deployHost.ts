// Deploy Host (install NixOS with nixos-anywhere): choose phases and where to build, confirm what gets
// erased, pre-flight over SSH (which also verifies the host key: nixos-anywhere itself does not), then run
// nixos-anywhere with its output in a terminal per host and its `### step ###` lines as progress.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { type BuildOn, deployHost, type DeployOutcome, INSTALL_PHASES, type InstallPhase, preflight, type PreflightCheck } from '#core/ops';
import { type HostSpec, isDarwin } from '#core/spec';
import type { OpsContext } from './context';
import { OpsTerminal } from './opsTerminal';
import { runPerHost } from './perHost';

const PHASE_DETAIL: Record<InstallPhase, string> = {
  kexec: 'boot the NixOS installer in memory (skip when the machine already runs it)',
  disko: 'partition and format the disks from the spec — erases them',
  install: 'install the system from the flake',
  reboot: 'reboot into the installed system',
};

async function chooseOptions(): Promise<{ phases: InstallPhase[]; buildOn: BuildOn } | undefined> {
  const phaseItems = INSTALL_PHASES.map((p) => ({ label: p, description: PHASE_DETAIL[p], picked: true, phase: p }));
  const picked = await vscode.window.showQuickPick(phaseItems, {
    title: 'Deploy Host: phases',
    canPickMany: true,
    placeHolder: 'nixos-anywhere --phases',
  });
  if (!picked?.length) return undefined;
  const build = await vscode.window.showQuickPick(
    [
      { label: 'auto', description: 'build here when possible, else on the machine', value: 'auto' as BuildOn },
      { label: 'local', description: 'build on this machine and copy the closure', value: 'local' as BuildOn },
      { label: 'remote', description: 'build on the target machine', value: 'remote' as BuildOn },
    ],
    { title: 'Deploy Host: where to build', placeHolder: 'nixos-anywhere --build-on' },
  );
  if (!build) return undefined;
  return { phases: picked.map((p) => p.phase), buildOn: build.value };
}

/**
 * Without the disko phase, one plain confirmation. With it, the dialog says in capitals which disks are ERASED on
 * which machine, and going on takes a deliberate step: typing the host's name (or "erase N hosts"), so neither
 * Enter nor a stray click on the focused button wipes a machine.
 */
async function confirmDeploy(ops: OpsContext, hosts: HostSpec[], options: { phases: InstallPhase[]; buildOn: BuildOn }): Promise<boolean> {
  const names = hosts.map((h) => h.name).join(', ');
  const how = `phases: ${options.phases.join(',')} · build on: ${options.buildOn}`;
  if (!options.phases.includes('disko')) {
    const go = 'Deploy';
    const answer = await vscode.window.showWarningMessage(
      `Install NixOS on ${names}?`,
      { modal: true, detail: `No disks are formatted (the disko phase is off).\n\n${how}` },
      go,
    );
    return answer === go;
  }
  const disks = hosts
    .map((h) => `${h.name} (${ops.endpoint(h).address}): ${(h.disks ?? []).map((d) => d.device).join(', ') || 'no disks in the spec'}`)
    .join('\n');
  const next = 'Continue…';
  const answer = await vscode.window.showWarningMessage(
    `Install NixOS on ${names} and ERASE its disks?`,
    {
      modal: true,
      detail: `Every disk below is partitioned and formatted by disko: ALL DATA ON IT IS ERASED and cannot be recovered.\n\n${disks}\n\n${how}\n\nYou will be asked to type ${hosts.length === 1 ? 'the host name' : 'a confirmation'} next.`,
    },
    next,
  );
  if (answer !== next) return false;
  const phrase = hosts.length === 1 ? hosts[0].name : `erase ${hosts.length} hosts`;
  const typed = await vscode.window.showInputBox({
    title: `Erase the disks of ${names}`,
    prompt: `Type "${phrase}" to erase ${hosts.length === 1 ? 'its disks' : 'their disks'} and install NixOS.`,
    placeHolder: phrase,
    ignoreFocusOut: true,
    validateInput: (value) => (value === phrase || value === '' ? undefined : `Type "${phrase}" exactly, or press Escape to cancel.`),
  });
  return typed === phrase;
}

export function registerDeployHost(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.deployHost', async (arg?: unknown, selected?: unknown) => {
    if (!ops.services.requireTrust('Deploying a host')) return;
    try {
      const hosts = await ops.pickHosts(arg, selected, { title: 'Deploy Host', filter: (h) => !isDarwin(ops.system(h)) });
      if (!hosts?.length) return;
      const flakeDir = ops.flakeDir();
      if (!existsSync(flakeDir)) {
        const generate = 'Generate Flake';
        if ((await vscode.window.showErrorMessage(`There is no generated flake at ${flakeDir} yet.`, generate)) === generate) {
          await vscode.commands.executeCommand('gpuCluster.generateFlake');
        }
        return;
      }
      const options = await chooseOptions();
      if (!options) return;
      if (!(await confirmDeploy(ops, hosts, options))) return;

      await runPerHost<DeployOutcome>({
        title: 'Deploy Host',
        hosts,
        limit: ops.setting('deploy.concurrency', 4),
        output: ops.services.output,
        advice: ops.sshAdvice,
        succeeded: (outcome) => outcome.ok,
        describe: (r) =>
          !r.ok ? r.error.message : r.value.ok ? 'installed' : r.value.cancelled ? 'cancelled' : (r.value.failure?.message ?? 'failed'),
        task: async (host, signal, progress) => {
          const term = new OpsTerminal(`Deploy ${host.name}`);
          term.terminal.show(true);
          const endpoint = ops.endpoint(host);
          const both = AbortSignal.any([signal, term.signal]);
          ops.report(host.name, { status: 'deploying', statusDetail: 'pre-flight checks' });
          try {
            progress('pre-flight checks');
            term.line(`Pre-flight checks on ${endpoint.user}@${endpoint.address}:${endpoint.port}`, 'bold');
            const check = await preflight(ops.pool, endpoint, host, ops.system(host), both);
            const relevant = check.checks.filter(
              (c: PreflightCheck) =>
                (c.id !== 'kexec' || options.phases.includes('kexec')) && (c.id !== 'disks' || options.phases.includes('disko')),
            );
            for (const c of relevant) term.line(`  ${c.ok ? '✓' : '✗'} ${c.id}: ${c.detail}`, c.ok ? undefined : 'red');
            const failed = relevant.filter((c) => !c.ok);
            if (failed.length) throw new Error(`pre-flight failed: ${failed.map((c) => c.detail).join('; ')}`);

            let last = 0;
            const outcome = await deployHost(
              { flakeDir, host: host.name, endpoint, phases: options.phases, buildOn: options.buildOn },
              {
                signal: both,
                onData: (chunk) => term.write(chunk),
                onStep: (step) => {
                  const fraction = Number.isFinite(step.fraction) ? step.fraction : last;
                  progress(step.label, Math.max(0, fraction - last));
                  last = fraction;
                  ops.report(host.name, { status: 'deploying', statusDetail: step.label });
                },
              },
            );
            if (outcome.ok) {
              term.line(`\n${host.name} is installed.`, 'green');
              ops.report(host.name, {
                status: 'reachable',
                statusDetail: `installed ${new Date().toLocaleString()}${options.phases.includes('reboot') ? '; rebooting' : ''}`,
              });
            } else if (outcome.cancelled) {
              term.line('\nCancelled.', 'yellow');
              ops.report(host.name, { status: 'unknown', statusDetail: 'deploy cancelled' });
            } else {
              term.line(`\n${outcome.failure?.message}`, 'red');
              ops.report(host.name, { status: 'failed', statusDetail: outcome.failure?.message });
            }
            return outcome;
          } catch (err) {
            const message = (err as Error).message;
            term.line(`\n${message}`, both.aborted ? 'yellow' : 'red');
            ops.report(
              host.name,
              both.aborted ? { status: 'unknown', statusDetail: 'deploy cancelled' } : { status: 'failed', statusDetail: message },
            );
            throw err;
          }
        },
      });
    } catch (err) {
      void vscode.window.showErrorMessage(`Deploy Host: ${(err as Error).message}`);
    }
  });
}
