// "Generate Flake": generates the flake of the workspace's cluster spec, shows every file that would
// change in a multi-file diff, and writes them when the user confirms. Refuses a spec with errors. Files in
// the way that Generate did not write (or that were edited since) are only replaced when the user says so.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ExtensionServices } from '../services/services';
import { applyPlan, conflicts, findTemplatesDir, pendingFiles, planWrite, prepareGeneration, type WritePlan } from '#core/flake';

const PREVIEW_SCHEME = 'gpu-cluster-preview';
const ERRORS_SHOWN = 5;

/** Serves the proposed content of the current preview, and an empty document for files that are new. */
class PreviewDocuments implements vscode.TextDocumentContentProvider {
  private contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  show(plan: WritePlan, overwrite: boolean): Array<[vscode.Uri, vscode.Uri, vscode.Uri]> {
    const previous = [...this.contents.keys()];
    this.contents = new Map();
    const resources: Array<[vscode.Uri, vscode.Uri, vscode.Uri]> = [];
    for (const file of pendingFiles(plan, overwrite)) {
      const empty = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: '/' + file.path, query: 'empty' });
      const proposed = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: '/' + file.path, query: 'proposed' });
      this.contents.set(proposed.toString(), file.content);
      const onDisk = vscode.Uri.file(file.absPath);
      resources.push([onDisk, file.status === 'new' ? empty : onDisk, file.status === 'removed' ? empty : proposed]);
    }
    for (const uri of previous) this.changed.fire(vscode.Uri.parse(uri));
    return resources;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerGenerateFlake(services: ExtensionServices): void {
  const previews = new PreviewDocuments();
  services.context.subscriptions.push(
    previews,
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, previews),
    vscode.commands.registerCommand('gpuCluster.generateFlake', () => generateFlake(services, previews)),
  );
}

/** An error line with the spec folder left out of its file name. */
function shorten(error: string, specFile: string): string {
  const dir = path.dirname(specFile) + path.sep;
  return error.startsWith(dir) ? error.slice(dir.length) : error;
}

function outputDirFor(specFile: string): string {
  const configured = vscode.workspace.getConfiguration('gpuCluster').get<string>('flake.outputDir') || 'flake';
  return path.resolve(path.dirname(specFile), configured);
}

/** Generation reads the spec from disk: unsaved edits to spec files are saved first, with the user's consent. */
async function saveSpecEdits(specFile: string): Promise<boolean> {
  const specDir = path.dirname(specFile);
  const dirty = vscode.workspace.textDocuments.filter(
    (d) => d.isDirty && d.uri.scheme === 'file' && /\.ya?ml$/i.test(d.fileName) && !path.relative(specDir, d.fileName).startsWith('..'),
  );
  if (dirty.length === 0) return true;
  const choice = await vscode.window.showWarningMessage(
    `${dirty.length} spec file(s) have unsaved changes; the flake is generated from the saved spec.`,
    { modal: true },
    'Save and Generate',
  );
  if (choice !== 'Save and Generate') return false;
  return (await Promise.all(dirty.map((d) => d.save()))).every(Boolean);
}

async function generateFlake(services: ExtensionServices, previews: PreviewDocuments): Promise<void> {
  const { specStore, output } = services;
  if (!services.requireTrust('Generate Flake')) return;
  await specStore.reload();
  const specUri = specStore.specUri;
  if (!specUri) {
    void vscode.window.showErrorMessage('No cluster.yaml in this workspace. Create one with "GPU Cluster: Create Example Cluster Spec".');
    return;
  }
  if (!(await saveSpecEdits(specUri.fsPath))) return;

  const outDir = outputDirFor(specUri.fsPath);
  let plan: WritePlan;
  let warnings = 0;
  try {
    const prepared = await prepareGeneration(specUri.fsPath, findTemplatesDir(services.context.extensionPath));
    if (!prepared.result) {
      output.error(`Generate Flake refused: ${prepared.errors.length} error(s) in the spec\n${prepared.errors.join('\n')}`);
      const more = prepared.errors.length > ERRORS_SHOWN ? `\n… and ${prepared.errors.length - ERRORS_SHOWN} more (see Problems)` : '';
      const choice = await vscode.window.showErrorMessage(
        `The spec has ${prepared.errors.length} error(s); fix them before generating the flake.`,
        {
          modal: true,
          detail:
            prepared.errors
              .slice(0, ERRORS_SHOWN)
              .map((e) => shorten(e, specUri.fsPath))
              .join('\n') + more,
        },
        'Show Problems',
      );
      if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
      return;
    }
    for (const w of prepared.result.warnings) output.warn(`Generate Flake: ${w}`);
    warnings = prepared.result.warnings.length;
    plan = await planWrite(outDir, prepared.result.files);
  } catch (err) {
    output.error(`Generate Flake failed: ${(err as Error).message}`);
    void vscode.window.showErrorMessage(`Generate Flake failed: ${(err as Error).message}`);
    return;
  }

  const inTheWay = conflicts(plan);
  let overwrite = false;
  if (inTheWay.length) {
    const replace = 'Replace Them';
    const keep = 'Keep Them';
    const answer = await vscode.window.showWarningMessage(
      `${inTheWay.length} file(s) in the flake folder were not written by Generate Flake or were edited since. Replace them with the generated version?`,
      {
        modal: true,
        detail:
          inTheWay
            .slice(0, ERRORS_SHOWN)
            .map((f) => f.path)
            .join('\n') + (inTheWay.length > ERRORS_SHOWN ? `\n… and ${inTheWay.length - ERRORS_SHOWN} more` : ''),
      },
      replace,
      keep,
    );
    if (answer === undefined) return;
    overwrite = answer === replace;
  }
  const pending = pendingFiles(plan, overwrite);
  const relOut = vscode.workspace.asRelativePath(outDir);
  if (pending.length === 0) {
    void vscode.window.showInformationMessage(`The flake in ${relOut} is up to date (${plan.files.length} files, nothing to change).`);
    return;
  }
  const count = (status: string) => pending.filter((f) => f.status === status).length;
  const removed = count('removed');
  await vscode.commands.executeCommand('vscode.changes', `Generate Flake: changes in ${relOut}`, previews.show(plan, overwrite));
  const write = `Write ${pending.length} files`;
  const choice = await vscode.window.showInformationMessage(
    `Generate Flake: ${count('new')} new and ${count('changed')} changed file(s) in ${relOut}` +
      `${count('conflict') ? `, ${count('conflict')} file(s) of yours replaced` : ''}` +
      `${removed ? `, ${removed} generated file(s) the spec no longer produces to remove` : ''}` +
      `${plan.files.some((f) => f.status === 'user-kept') ? '; your custom.nix files are kept' : ''}.` +
      `${warnings ? ` ${warnings} warning(s) in the GPU Cluster output.` : ''}`,
    write,
    'Cancel',
  );
  if (choice !== write) return;

  const written = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Writing the flake', cancellable: true },
    async (progress, token) => {
      progress.report({ message: `${pending.length} files` });
      return applyPlan(plan, { shouldStop: () => token.isCancellationRequested, overwrite });
    },
  );
  output.info(`Generate Flake wrote ${written.length} file(s) to ${outDir}: ${written.join(', ')}`);
  services.nats.appendEvent('cluster', 'flake-generated', { dir: outDir, files: written });
  const open = 'Open flake.nix';
  const done = await vscode.window.showInformationMessage(`Wrote ${written.length} file(s) to ${relOut}.`, open);
  if (done === open) await vscode.window.showTextDocument(vscode.Uri.file(path.join(outDir, 'flake.nix')));
}
