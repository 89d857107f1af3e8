// Entry point: builds the shared services, lets every feature register itself, loads the spec and starts the
// language server. Nothing here blocks activation on slow work.
import type * as vscode from 'vscode';
import { createServices, type ExtensionServices } from './services/services';
import { features } from './features';

let services: ExtensionServices | undefined;

export function activate(context: vscode.ExtensionContext): ExtensionServices {
  services = createServices(context);
  for (const register of features) {
    try {
      register(services);
    } catch (e) {
      services.output.error(
        `feature ${register.name || '(anonymous)'} failed to register: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
    }
  }
  const { specStore, languageClient, output } = services;
  void specStore.reload().catch((e) => output.error(`loading the spec failed: ${String(e)}`));
  void languageClient.start();
  return services;
}

export async function deactivate(): Promise<void> {
  await services?.languageClient.stop();
  services = undefined;
}
