// Playwright helpers for driving the VS Code workbench served by code-server. UI checks (test/e2e/ui/*.ui.mjs)
// receive a Workbench and use these instead of raw selectors, so a VS Code DOM change is fixed in one place.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export class Workbench {
  /**
   * @param {import('playwright-core').Page} page
   * @param {{ workspace: string, artifacts: string }} where  the opened folder, the screenshot folder
   */
  constructor(page, { workspace, artifacts }) {
    this.page = page;
    this.workspace = workspace;
    this.artifacts = artifacts;
    this.screenshots = [];
  }

  /** Saves a screenshot as test-artifacts/e2e/<name>.png. */
  async shot(name) {
    const file = path.join(this.artifacts, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    this.screenshots.push(file);
    return file;
  }

  /** Text of a workspace file as saved on disk. */
  readFile(relative) {
    return readFileSync(path.join(this.workspace, relative), 'utf8');
  }

  /** Polls `probe` (sync or async) until it returns a truthy value. */
  async waitFor(what, probe, timeoutMs = 30_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await this.page.waitForTimeout(200);
    }
  }

  /** Opens the quick input (F1) with `text` typed in; `>` runs commands, `:` goes to a line, else quick open. */
  async quickInput(text) {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    // A widget still closing from the previous command would swallow the text: start from a closed one.
    if (await widget.isVisible()) await this.page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden' });
    await this.page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    await input.fill(text);
    return input;
  }

  /** Runs a command from the command palette by its full title, e.g. "GPU Cluster: Refresh". */
  async runCommand(title) {
    await this.quickInput(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
  }

  /** Opens a workspace file (path relative to the folder) in an editor and waits until it has focus. */
  async openFile(relative) {
    await this.quickInput(relative);
    const base = path.basename(relative);
    const dir = path.dirname(relative);
    const rows = this.page.locator('.quick-input-list .monaco-list-row', { hasText: base });
    const row = dir === '.' ? rows.first() : rows.filter({ hasText: dir }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const tab = this.page.locator('.tabs-container .tab.active', { hasText: base });
    await tab.waitFor({ timeout: 15_000 });
    await this.page
      .locator('.editor-instance .monaco-editor textarea, .editor-instance .monaco-editor .native-edit-context')
      .first()
      .waitFor({ state: 'attached' });
  }

  /** Moves the cursor of the active editor to a 1-based line and column. */
  async goTo(line, column = 1) {
    await this.quickInput(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** 1-based line and column of the `nth` occurrence of `needle` in a workspace file on disk. */
  locate(relative, needle, nth = 0) {
    const lines = this.readFile(relative).split('\n');
    let seen = 0;
    for (let i = 0; i < lines.length; i++) {
      let col = lines[i].indexOf(needle);
      while (col >= 0) {
        if (seen++ === nth) return { line: i + 1, column: col + 1 };
        col = lines[i].indexOf(needle, col + 1);
      }
    }
    throw new Error(`"${needle}" (occurrence ${nth}) not in ${relative}`);
  }

  /** The editor's status-bar cursor position ("Ln 12, Col 5"), to confirm where the cursor is. */
  async cursorPosition() {
    const text = await this.page.locator('.statusbar-item[id="status.editor.selection"]').innerText();
    const m = text.match(/Ln (\d+), Col (\d+)/);
    return m ? { line: Number(m[1]), column: Number(m[2]) } : undefined;
  }

  /**
   * Shows an activity-bar view container (e.g. "GPU Cluster") and returns its header locator. Clicking the
   * icon of a container that is already showing would hide the side bar, so this clicks only when needed.
   */
  async showContainer(title) {
    const item = this.page.locator(`.activitybar .action-item:has([aria-label^="${title}"])`).first();
    if (!/\bchecked\b/.test((await item.getAttribute('class')) ?? '')) await item.click();
    const header = this.page.locator('.sidebar .composite.title', { hasText: title }).first();
    await header.waitFor({ timeout: 20_000 });
    return header;
  }

  /**
   * Waits for a notification containing `text`. Toasts hide themselves after about 15 s, so when none is
   * showing (a slow machine), the notification centre, which keeps them, is checked as well.
   */
  async notification(text, timeoutMs = 20_000) {
    const toast = this.page.locator('.notifications-toasts .notification-list-item', { hasText: text }).first();
    if (
      await toast.waitFor({ timeout: timeoutMs }).then(
        () => true,
        () => false,
      )
    )
      return;
    await this.runCommand('Notifications: Show Notifications');
    await this.page.locator('.notifications-center .notification-list-item', { hasText: text }).first().waitFor({ timeout: 5_000 });
  }

  /** Shows the Problems panel and returns the text of each marker row. */
  async problems() {
    await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const rows = this.page.locator('.markers-panel .monaco-list-row');
    await rows
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(() => {});
    return rows.allInnerTexts();
  }

  /** Labels of the rows in the open suggest (completion) widget. */
  async suggestions() {
    const rows = this.page.locator('.editor-widget.suggest-widget .monaco-list-row');
    await rows.first().waitFor({ timeout: 20_000 });
    return (await rows.locator('.label-name').allInnerTexts()).map((t) => t.trim());
  }

  /**
   * Runs `item` from the context menu of `target` (a row locator). The menu is driven by keyboard once an
   * item is focused: a mouse click that lands while the menu is still settling is ignored by the workbench.
   */
  async contextMenu(target, item) {
    const menu = this.page.locator('.context-view .monaco-menu');
    for (let attempt = 1; ; attempt++) {
      if (await menu.isVisible()) await this.page.keyboard.press('Escape');
      await target.click({ button: 'right' });
      await menu.waitFor({ timeout: 15_000 });
      const entry = menu.locator('.action-item', { hasText: item }).first();
      await entry.waitFor({ timeout: 15_000 });
      await entry.hover();
      await this.waitFor(
        `"${item}" focused in the context menu`,
        () => entry.evaluate((e) => e.classList.contains('focused')),
        5_000,
      ).catch(() => undefined);
      await this.page.keyboard.press('Enter');
      try {
        await menu.waitFor({ state: 'hidden', timeout: 5_000 });
        return;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
  }

  /** The row of the Nodes view that shows `text` (a host name). */
  nodesRow(text) {
    return this.page
      .locator('.sidebar .pane', { has: this.page.locator('.pane-header', { hasText: 'Nodes' }) })
      .locator('.monaco-list-row', { hasText: text })
      .first();
  }

  /**
   * Starts Deploy Host from a host's row in the Nodes view: all phases but kexec (a test host already runs
   * Linux), the default build choice. Returns the erase confirmation, for the caller to read and accept.
   */
  async startDeploy(host) {
    await this.nodesRow(host).waitFor({ timeout: 30_000 });
    await this.contextMenu(this.nodesRow(host), 'Deploy Host (nixos-anywhere)');
    const kexec = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'kexec' }).first();
    await kexec.waitFor({ timeout: 15_000 });
    await kexec.click();
    await this.page.keyboard.press('Enter');
    await this.page
      .locator('.quick-input-widget .monaco-list-row', { hasText: 'build here when possible' })
      .first()
      .waitFor({ timeout: 15_000 });
    await this.page.keyboard.press('Enter');
    const confirm = this.page.locator('.monaco-dialog-box', { hasText: `Install NixOS on ${host} and ERASE its disks?` }).first();
    await confirm.waitFor({ timeout: 15_000 });
    return confirm;
  }

  /** Expands or collapses side bar panes by title (e.g. to give one view all the room while reading it). */
  async setPanesExpanded(names, expanded) {
    for (const name of names) {
      const header = this.page.locator('.sidebar .pane-header', { hasText: name }).first();
      if ((await header.getAttribute('aria-expanded')) !== String(expanded)) await header.click();
    }
  }

  /** Goes past the erase warning of Deploy Host: Continue, then the host name typed as the deliberate step. */
  async confirmErase(confirm, host) {
    await confirm.locator('.monaco-button', { hasText: 'Continue' }).first().click();
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(host);
    await this.page.keyboard.press('Enter');
  }

  /** Closes widgets and editors, discarding unsaved changes, so every check starts from the files on disk. */
  async reset() {
    for (let i = 0; i < 3; i++) await this.page.keyboard.press('Escape');
    const tabs = this.page.locator('.tabs-container .tab');
    for (let i = 0; i < 20 && (await tabs.count()) > 0; i++) {
      const before = await tabs.count();
      await this.runCommand('View: Revert and Close Editor');
      await this.waitFor('the editor to close', async () => (await tabs.count()) < before, 10_000);
    }
  }
}
