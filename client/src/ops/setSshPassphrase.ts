// Set SSH Key Passphrase: stores (or, when left empty, forgets) the passphrase of an identity file in VS Code's
// secret storage, never in settings or the spec.

import * as vscode from 'vscode';
import { expandHome } from '#core/ssh';
import { PASSPHRASE_SECRET_PREFIX, type OpsContext } from './context';

export function registerSetSshPassphrase(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.ssh.setPassphrase', async () => {
    try {
      const identities = new Set<string>();
      if (ops.services.specStore.model) {
        for (const h of ops.spec().spec.hosts) {
          const id = ops.endpoint(h).identity;
          if (id) identities.add(expandHome(id));
        }
      }
      const browse = '$(folder-opened) Another key file…';
      const picked = await vscode.window.showQuickPick([...identities, browse], {
        title: 'Set SSH Key Passphrase',
        placeHolder: 'Identity file',
      });
      if (!picked) return;
      let file = picked;
      if (picked === browse) {
        const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, title: 'SSH private key' });
        if (!chosen?.[0]) return;
        file = chosen[0].fsPath;
      }
      const passphrase = await vscode.window.showInputBox({
        title: `Passphrase for ${file}`,
        prompt: 'Leave empty to forget the stored passphrase.',
        password: true,
        ignoreFocusOut: true,
      });
      if (passphrase === undefined) return;
      if (passphrase === '') await ops.services.context.secrets.delete(PASSPHRASE_SECRET_PREFIX + file);
      else await ops.services.context.secrets.store(PASSPHRASE_SECRET_PREFIX + file, passphrase);
      void vscode.window.showInformationMessage(
        passphrase ? `Passphrase for ${file} stored in secret storage.` : `Passphrase for ${file} forgotten.`,
      );
    } catch (err) {
      void vscode.window.showErrorMessage(`Set SSH Key Passphrase: ${(err as Error).message}`);
    }
  });
}
