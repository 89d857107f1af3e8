// "Reveal in Spec": opens the spec file that defines a host (or its interface, or its GPUs) and selects the
// definition. Invoked from tree items, from a click in the topology panel (with a host name) or with no
// argument (asks which host).
import * as vscode from 'vscode';
import type { Explorer } from './explorer';
import type { GpuNode } from './gpuNode';
import type { InterfaceNode } from './interfaceNode';
import { hostNameLine, specLocation, type RevealTarget } from './specLocation';

function targetOf(arg: unknown): RevealTarget | undefined {
  if (typeof arg === 'string') return { host: arg };
  // a host, interface or GPU node of the explorer (or the topology panel's host name)
  const node = arg as Partial<Pick<InterfaceNode, 'host' | 'interfaceName'> & Pick<GpuNode, 'gpuIndex'>> | undefined;
  const setting = (arg as { setting?: unknown } | undefined)?.setting;
  if (node && typeof node.host === 'string') {
    return {
      host: node.host,
      interfaceName: node.interfaceName,
      gpuIndex: node.gpuIndex,
      setting: Array.isArray(setting) ? setting.map(String) : undefined,
    };
  }
  return undefined;
}

export function registerRevealInSpec(explorer: Explorer): void {
  const { output } = explorer.services;
  explorer.services.context.subscriptions.push(
    vscode.commands.registerCommand('gpuCluster.revealInSpec', async (arg?: unknown) => {
      // The live model: positions match the text in the editor even before it is saved.
      const model = explorer.liveSpec.model;
      if (!model) {
        void vscode.window.showWarningMessage('There is no cluster spec loaded to reveal anything in.');
        return;
      }
      let target = targetOf(arg);
      if (!target) {
        const host = await vscode.window.showQuickPick(
          model.spec.hosts.map((h) => h.name),
          { placeHolder: 'Host to reveal in the spec' },
        );
        if (!host) return;
        target = { host };
      }
      const location = specLocation(model, target);
      const source = model.hostSources.get(target.host);
      const uri = vscode.Uri.parse(location?.uri ?? source?.uri ?? '');
      if (!location && !source) {
        void vscode.window.showWarningMessage(`Host "${target.host}" is not in the spec (it may have been renamed or removed).`);
        return;
      }
      try {
        const document = await vscode.workspace.openTextDocument(uri);
        let range: vscode.Range;
        if (location) {
          const { start, end } = location.range;
          range = new vscode.Range(start.line, start.character, end.line, end.character);
        } else {
          const line = hostNameLine(document.getText(), target.host) ?? 0;
          range = document.lineAt(line).range;
        }
        const editor = await vscode.window.showTextDocument(document, { selection: range, preview: true });
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      } catch (e) {
        output.error(`reveal ${target.host}: ${e instanceof Error ? e.message : String(e)}`);
        void vscode.window.showErrorMessage(`Could not open the spec of ${target.host}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
}
