// "Set NATS Credentials": asks for a .creds file, an nkey seed, a user and password, or a token, and keeps it in
// SecretStorage (never in settings or the spec). The content of a .creds file is stored, not its path.
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { NatsCredentials } from '#core/nats';
import type { NatsService } from '../services/natsService';

type Choice = vscode.QuickPickItem & { auth: NatsCredentials['kind'] };

export async function setNatsCredentials(nats: NatsService): Promise<void> {
  const choices: Choice[] = [
    { label: '$(file) Credentials file (.creds)', description: 'JWT and nkey seed, as issued by nsc', auth: 'creds' },
    { label: '$(key) NKey seed', description: 'SU…', auth: 'nkey' },
    { label: '$(person) User and password', auth: 'userpass' },
    { label: '$(lock) Token', auth: 'token' },
    { label: '$(trash) No credentials', description: 'forget the stored ones', auth: 'none' },
  ];
  const choice = await vscode.window.showQuickPick(choices, {
    title: 'NATS credentials',
    placeHolder: 'How does this cluster authenticate?',
  });
  if (!choice) return;
  let credentials: NatsCredentials;
  switch (choice.auth) {
    case 'creds': {
      const picked = await vscode.window.showOpenDialog({
        title: 'NATS credentials file',
        filters: { 'NATS credentials': ['creds'], All: ['*'] },
        canSelectMany: false,
      });
      if (!picked?.[0]) return;
      const creds = await readFile(picked[0].fsPath, 'utf8');
      if (!/-----BEGIN NATS USER JWT-----/.test(creds) || !/-----BEGIN USER NKEY SEED-----/.test(creds)) {
        void vscode.window.showErrorMessage(`${picked[0].fsPath} is not a NATS .creds file (it needs a user JWT and an nkey seed).`);
        return;
      }
      credentials = { kind: 'creds', creds };
      break;
    }
    case 'nkey': {
      const seed = await vscode.window.showInputBox({
        title: 'NATS nkey seed',
        password: true,
        ignoreFocusOut: true,
        placeHolder: 'SU…',
        validateInput: (v) => (/^SU[A-Z2-7]{56}$/.test(v.trim()) ? undefined : 'A user nkey seed starts with SU and has 58 characters'),
      });
      if (!seed) return;
      credentials = { kind: 'nkey', seed: seed.trim() };
      break;
    }
    case 'userpass': {
      const user = await vscode.window.showInputBox({
        title: 'NATS user',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Enter a user name'),
      });
      if (!user) return;
      const pass = await vscode.window.showInputBox({ title: `NATS password of ${user}`, password: true, ignoreFocusOut: true });
      if (pass === undefined) return;
      credentials = { kind: 'userpass', user: user.trim(), pass };
      break;
    }
    case 'token': {
      const token = await vscode.window.showInputBox({
        title: 'NATS token',
        password: true,
        ignoreFocusOut: true,
        validateInput: (v) => (v ? undefined : 'Enter the token'),
      });
      if (!token) return;
      credentials = { kind: 'token', token };
      break;
    }
    default:
      credentials = { kind: 'none' };
  }
  await nats.storeCredentials(credentials);
  // Storing is always allowed; connecting with them waits for a trusted workspace.
  if (!vscode.workspace.isTrusted) return;
  const problem = await nats.connect();
  if (problem) void vscode.window.showWarningMessage(`NATS credentials saved; not connecting: ${problem}.`);
}
