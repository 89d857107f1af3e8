// Nix files in real VS Code: a module with an unknown option and a wrongly typed value shows both in the
// Problems panel, an option path completes, and hovering an option shows its type and description.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MODULE = `{ config, lib, pkgs, ... }:
{
  services.exo.enable = true;
  services.exo.apiPrt = 52415;
  services.exo.accelerator = 42;
  services.exo.namespace = "lab";
  services.exo.disc
}
`;
const FILE = 'modules/extra.nix';

function writeModule(ui) {
  mkdirSync(path.join(ui.workspace, 'modules'), { recursive: true });
  writeFileSync(path.join(ui.workspace, FILE), MODULE);
}

export const checks = [
  {
    name: 'a NixOS module with an unknown option and a wrongly typed value shows both in Problems',
    async run(ui) {
      writeModule(ui);
      await ui.openFile(FILE);
      const rows = await ui.waitFor(
        'both Nix problems',
        async () => {
          const texts = await ui.problems();
          const unknown = texts.find((t) => t.includes("No option 'services.exo.apiPrt'"));
          const typed = texts.find((t) => t.includes('services.exo.accelerator expects one of'));
          return unknown && typed ? { unknown, typed } : undefined;
        },
        60_000,
      );
      const { line } = ui.locate(FILE, 'apiPrt');
      if (!rows.unknown.includes(`Ln ${line}`) && !rows.unknown.includes(`${line},`)) {
        // Rows show "[Ln 4, Col 17]"; accept either rendering but insist on the line.
        if (!new RegExp(`\\b${line}\\b`).test(rows.unknown)) throw new Error(`unknown option not on line ${line}: ${rows.unknown}`);
      }
      await ui.shot('nix-problems');
    },
  },
  {
    name: 'an option path completes in a .nix file',
    async run(ui) {
      writeModule(ui);
      await ui.openFile(FILE);
      const { line, column } = ui.locate(FILE, 'services.exo.disc');
      await ui.goTo(line, column + 'services.exo.disc'.length);
      await ui.page.keyboard.press('Control+Space');
      const labels = await ui.waitFor('discoveryPort in suggestions', async () => {
        const l = await ui.suggestions().catch(() => []);
        return l.includes('discoveryPort') ? l : undefined;
      });
      await ui.shot('nix-completion');
      if (!labels.includes('discoveryPort')) throw new Error(`suggestions: ${labels.join(', ')}`);
    },
  },
  {
    name: 'hovering an option shows its type and description',
    async run(ui) {
      writeModule(ui);
      await ui.openFile(FILE);
      const { line, column } = ui.locate(FILE, 'namespace');
      await ui.goTo(line, column + 2);
      await ui.runCommand('Show or Focus Hover');
      const hover = ui.page.locator('.monaco-hover');
      await hover.filter({ hasText: 'services.exo.namespace' }).first().waitFor({ timeout: 20_000 });
      const text = await hover.first().innerText();
      await ui.shot('nix-hover');
      if (!text.includes('null or string')) throw new Error(`hover: ${text}`);
    },
  },
];
