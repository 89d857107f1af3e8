// "Create Example Cluster Spec": writes the commented example cluster (examples/lab, bundled as text so the
// example folder stays the one source) into a workspace folder that has no spec yet, and opens it.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services/services';
import exampleCluster from '../../../examples/lab/cluster.yaml';
import exampleHost from '../../../examples/lab/hosts/gpu-2.yaml';

/** Files written, relative to the workspace folder; the cluster links to the host defined in hosts/. */
const EXAMPLE_FILES: ReadonlyArray<[string, string]> = [
  ['cluster.yaml', exampleCluster],
  ['hosts/gpu-2.yaml', exampleHost],
];

export function registerScaffoldSpec(services: ExtensionServices): void {
  services.context.subscriptions.push(vscode.commands.registerCommand('gpuCluster.scaffoldSpec', () => scaffoldSpec(services)));
}

async function scaffoldSpec({ specStore, output }: ExtensionServices): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showErrorMessage('Open a folder first: the example cluster spec is created in a workspace folder.');
    return undefined;
  }
  const folder =
    folders.length === 1
      ? folders[0]
      : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder for the example cluster spec' });
  if (!folder) return undefined;

  const existing = await existingSpec(specStore, folder);
  if (existing) {
    await vscode.window.showTextDocument(existing);
    void vscode.window.showInformationMessage(`${vscode.workspace.asRelativePath(existing)} already exists; opened it instead.`);
    return existing;
  }

  const written: string[] = [];
  for (const [relative, text] of EXAMPLE_FILES) {
    const target = vscode.Uri.joinPath(folder.uri, relative);
    if (await exists(target)) continue; // never overwrite a user's file
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    written.push(relative);
  }
  output.info(`example spec written in ${folder.uri.fsPath}: ${written.join(', ') || 'nothing (files exist)'}`);
  const cluster = vscode.Uri.joinPath(folder.uri, 'cluster.yaml');
  await specStore.reload();
  await vscode.window.showTextDocument(cluster);
  return cluster;
}

/** A spec already in the folder: one the store found, or (if the store has not searched yet) one at its root. */
async function existingSpec(specStore: ExtensionServices['specStore'], folder: vscode.WorkspaceFolder): Promise<vscode.Uri | undefined> {
  const found = specStore.specUris.find((u) => vscode.workspace.getWorkspaceFolder(u)?.uri.toString() === folder.uri.toString());
  if (found) return found;
  for (const name of ['cluster.yaml', 'cluster.yml']) {
    const candidate = vscode.Uri.joinPath(folder.uri, name);
    if (await exists(candidate)) return candidate;
  }
  return undefined;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
