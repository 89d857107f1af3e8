// Issue 2 in the real editor: validation, completion, hover and rename on examples/lab's cluster.yaml, driven
// by keyboard and mouse like a user, with the results read from the workbench (and, for rename, the saved file).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../setup.mjs';

const SPEC = 'cluster.yaml';

/** Puts the cursor `offset` characters into the first occurrence of `needle` in cluster.yaml. */
async function cursorAt(ui, needle, offset) {
  const at = ui.locate(SPEC, needle);
  await ui.goTo(at.line, at.column + offset);
  return { line: at.line, column: at.column + offset };
}

export const checks = [
  {
    name: 'a planted error shows in the Problems panel at its line',
    async run(ui) {
      await ui.openFile(SPEC);
      const at = await cursorAt(ui, 'bandwidthGbps: 50', 'bandwidthGbps: '.length);
      await ui.page.keyboard.press('Shift+End');
      await ui.page.keyboard.type('fast');
      await ui.page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
      const rows = await ui.waitFor('a problem at the planted line', async () => {
        const found = (await ui.problems()).filter((r) => r.includes(`Ln ${at.line}, Col ${at.column}`));
        return found.length ? found : undefined;
      });
      await ui.shot('problems-planted-error');
      if (!rows.some((r) => /number/i.test(r))) throw new Error(`the problem does not say a number is expected: ${rows.join(' | ')}`);
    },
  },
  {
    name: 'completion offers the host names at a link endpoint',
    async run(ui) {
      await ui.openFile(SPEC);
      await cursorAt(ui, 'from: hub-1:bond0', 'from: '.length);
      await ui.page.keyboard.press('Shift+End');
      await ui.page.keyboard.press('Backspace');
      await ui.page.keyboard.press('Control+Space');
      const labels = await ui.waitFor('host names in the suggestions', async () => {
        const l = await ui.suggestions();
        return ['hub-1', 'gpu-2', 'mac-studio'].every((h) => l.some((x) => x === h || x.startsWith(`${h}:`))) ? l : undefined;
      });
      await ui.shot('completion-link-endpoint');
      if (labels.length === 0) throw new Error('no suggestions');
    },
  },
  {
    name: 'hover over a key shows its description from the schema',
    async run(ui) {
      const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'cluster.schema.json'), 'utf8'));
      const description = schema.$defs.link.properties.bandwidthGbps.description;
      await ui.openFile(SPEC);
      await cursorAt(ui, 'bandwidthGbps: 50', 3);
      await ui.runCommand('Show or Focus Hover');
      await ui.page.locator('.monaco-hover', { hasText: description }).first().waitFor({ timeout: 30_000 });
      await ui.shot('hover-description');
    },
  },
  {
    name: 'hover shows a description with <name> in it as written, not eaten as markup',
    async run(ui) {
      const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'cluster.schema.json'), 'utf8'));
      const description = schema.properties.hosts.description;
      if (!description.includes('hosts/<name>.yaml')) throw new Error(`the schema's hosts description changed: ${description}`);
      await ui.openFile(SPEC);
      await cursorAt(ui, 'hosts:', 2);
      await ui.runCommand('Show or Focus Hover');
      await ui.page.locator('.monaco-hover', { hasText: 'hosts/<name>.yaml' }).first().waitFor({ timeout: 30_000 });
      await ui.shot('hover-description-escaped');
    },
  },
  {
    name: 'renaming a host changes its definition and every reference',
    async run(ui) {
      const before = ui.readFile(SPEC);
      try {
        await renameHub(ui, before);
      } finally {
        writeFileSync(path.join(ui.workspace, SPEC), before); // later checks expect the example as it was
      }
    },
  },
];

/** Renames hub-1 (defined in cluster.yaml, referenced by two links) with F2, saves, and checks the file. */
async function renameHub(ui, before) {
  const count = (text, word) => text.split(word).length - 1;
  await ui.openFile(SPEC);
  await cursorAt(ui, 'name: hub-1', 'name: '.length + 1);
  await ui.page.keyboard.press('F2');
  const input = ui.page.locator('[widgetid="__renameInputWidget"] input').first();
  await input.waitFor({ timeout: 20_000 });
  await input.fill('hub-9');
  await ui.page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 20_000 });
  await ui.runCommand('File: Save All Files');
  const after = await ui.waitFor('the renamed spec on disk', () => {
    const text = ui.readFile(SPEC);
    return count(text, 'hub-1') === 0 ? text : undefined;
  });
  await ui.shot('rename-host');
  if (count(after, 'hub-9') !== count(before, 'hub-1'))
    throw new Error(`expected ${count(before, 'hub-1')} renamed occurrences, found ${count(after, 'hub-9')}`);
  if (after.replaceAll('hub-9', 'hub-1') !== before) throw new Error('rename changed more than the host name');
}
