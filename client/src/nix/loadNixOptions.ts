// "Load NixOS Options from This Flake": evaluates a flake host's real option set with `nix eval` (as nil
// and nixd do), caches it by the flake's lock, and hands it to the language server, which then knows
// every option of that nixpkgs instead of the curated set.

import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { flakeOptionsCacheKey, flakeOptionsEvalArgs } from '#core/options';
import { MissingToolError, requireTool, runLocal } from '#core/ops';
import { effectiveSystem, isDarwin } from '#core/spec';
import type { ExtensionServices } from '../services/services';

const NIX_OPTIONS_LOADED = 'gpuCluster/nixOptionsLoaded';

export function registerLoadNixOptions(services: ExtensionServices): void {
  services.context.subscriptions.push(vscode.commands.registerCommand('gpuCluster.nix.loadOptions', () => loadNixOptions(services)));
}

async function loadNixOptions(services: ExtensionServices): Promise<void> {
  if (!services.requireTrust('Loading NixOS options (runs nix eval on the flake)')) return;
  let nix: string;
  try {
    nix = await requireTool('nix');
  } catch (err) {
    if (!(err instanceof MissingToolError)) throw err;
    const pick = await vscode.window.showErrorMessage(`Cannot evaluate the flake's options: ${err.message}`, 'Open Nix download page');
    if (pick) void vscode.env.openExternal(vscode.Uri.parse('https://nixos.org/download/'));
    return;
  }
  const flakeDir = await pickFlake();
  if (!flakeDir) return;
  const host = await pickHost(services);
  if (!host) return;

  const lock = await readFile(path.join(flakeDir, 'flake.lock'), 'utf8').catch(() => undefined);
  const cacheDir = vscode.Uri.joinPath(services.context.globalStorageUri, 'nix-options').fsPath;
  const cached = path.join(cacheDir, `${flakeOptionsCacheKey(lock, flakeDir, host)}.json`);
  const label = `${path.basename(flakeDir)}#${host}`;
  if (
    lock &&
    (await stat(cached).then(
      () => true,
      () => false,
    ))
  ) {
    services.output.info(`NixOS options of ${label}: using the cache for this flake.lock (${cached})`);
    await send(services, cached, label);
    return;
  }
  if (!lock) services.output.warn(`${flakeDir} has no flake.lock: the evaluation locks it in memory and is not cached`);

  await mkdir(cacheDir, { recursive: true });
  const partial = `${cached}.partial`;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Evaluating the NixOS options of ${label}`, cancellable: true },
    async (progress, token) => {
      progress.report({ message: 'nix eval (the first run downloads nixpkgs and can take minutes)…' });
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      services.output.info(`${nix} ${flakeOptionsEvalArgs(flakeDir, host).slice(0, 5).join(' ')} … (in ${flakeDir})`);
      return runLocal(nix, flakeOptionsEvalArgs(flakeDir, host), { cwd: flakeDir, signal: abort.signal, stdoutFile: partial });
    },
  );
  if (result.cancelled) {
    await rm(partial, { force: true });
    void vscode.window.showInformationMessage('Loading NixOS options was cancelled.');
    return;
  }
  if (result.code !== 0) {
    await rm(partial, { force: true });
    services.output.error(result.tail.join('\n'));
    const reason = result.tail.find((l) => l.startsWith('error:')) ?? `nix exited with ${result.code}`;
    void vscode.window.showErrorMessage(`Evaluating the options of ${label} failed: ${reason} (details in the GPU Cluster output).`);
    return;
  }
  if (lock) await rename(partial, cached);
  await send(services, lock ? cached : partial, label);
}

async function send(services: ExtensionServices, file: string, label: string): Promise<void> {
  const client = services.languageClient.current;
  if (!client) {
    void vscode.window.showErrorMessage('The language server is not running, so the options cannot be loaded into it.');
    return;
  }
  await client.sendNotification(NIX_OPTIONS_LOADED, { file, label });
  void vscode.window.showInformationMessage(`NixOS options of ${label} loaded: .nix files are now checked against them.`);
}

/** The flake to evaluate: the one folder that has a flake.nix, or the user's pick among several. */
async function pickFlake(): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles('**/flake.nix', '**/node_modules/**', 50);
  if (found.length === 0) {
    void vscode.window.showErrorMessage(
      'No flake.nix in this workspace. Run "GPU Cluster: Generate Flake" first, or open a folder with a flake.',
    );
    return undefined;
  }
  if (found.length === 1) return path.dirname(found[0].fsPath);
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(path.dirname(u.fsPath)), dir: path.dirname(u.fsPath) })),
    { placeHolder: 'Which flake?' },
  );
  return pick?.dir;
}

/** The nixosConfigurations entry: a Linux host of the spec, or a typed name when there is no spec. */
async function pickHost(services: ExtensionServices): Promise<string | undefined> {
  const spec = services.specStore.model?.spec;
  const hosts = spec?.hosts.filter((h) => !isDarwin(effectiveSystem(spec, h))).map((h) => h.name) ?? [];
  if (hosts.length === 1) return hosts[0];
  if (hosts.length > 1) return vscode.window.showQuickPick(hosts, { placeHolder: 'Evaluate the options of which nixosConfiguration?' });
  return vscode.window.showInputBox({
    prompt: 'Name of the nixosConfigurations entry to evaluate',
    validateInput: (v) => (v.trim() ? undefined : 'A host name is needed'),
  });
}
