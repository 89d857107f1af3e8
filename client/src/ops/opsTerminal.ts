// A terminal that shows a long operation's output as it streams; closing it cancels the operation.

import * as vscode from 'vscode';

export class OpsTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private buffer: string[] = [];
  private opened = false;
  readonly terminal: vscode.Terminal;
  private readonly closedByUser = new AbortController();

  constructor(name: string) {
    this.terminal = vscode.window.createTerminal({ name, pty: this, iconPath: new vscode.ThemeIcon('rocket') });
  }

  /** Aborts when the user closes the terminal. */
  get signal(): AbortSignal {
    return this.closedByUser.signal;
  }

  open(): void {
    this.opened = true;
    for (const text of this.buffer) this.writeEmitter.fire(text);
    this.buffer = [];
  }

  close(): void {
    this.closedByUser.abort();
    this.dispose();
  }

  write(text: string): void {
    if (this.closedByUser.signal.aborted) return;
    const normalized = text.replace(/\r?\n/g, '\r\n');
    if (this.opened) this.writeEmitter.fire(normalized);
    else this.buffer.push(normalized);
  }

  line(text: string, style?: 'bold' | 'red' | 'green' | 'yellow'): void {
    const codes = { bold: '1', red: '31', green: '32', yellow: '33' };
    this.write(style ? `\x1b[${codes[style]}m${text}\x1b[0m\n` : `${text}\n`);
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
