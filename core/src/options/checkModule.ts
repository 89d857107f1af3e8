// Option diagnostics for a NixOS module: unknown option paths (with "did you mean") and literal values
// of the wrong type, judged against the option database.

import type { Expr } from '../nix/ast';
import { unparen } from '../nix/syntax';
import { closest } from '../util/suggest';
import { checkValue } from './checkValue';
import type { OptionDatabase } from './database';
import { walkDefinitions } from './moduleDefinitions';

export interface OptionProblem {
  start: number;
  end: number;
  code: 'nix.unknown-option' | 'nix.option-type' | 'nix.option-not-a-set';
  message: string;
  /** Text that fixes it (the suggested name or value), for a quick fix over [start, end). */
  replacement?: string;
}

export function checkModuleOptions(root: Expr, db: OptionDatabase): OptionProblem[] {
  const problems: OptionProblem[] = [];
  walkDefinitions(root, (def) => {
    const names = def.path.map((s) => s.name);
    const found = db.lookup(names);
    switch (found.status) {
      case 'unknown': {
        const seg = def.path[found.index];
        const suggestion = closest(seg.name, found.candidates);
        const parent = names.slice(0, found.index).join('.');
        problems.push({
          start: seg.start, end: seg.end, code: 'nix.unknown-option',
          message: `No option '${names.slice(0, found.index + 1).join('.')}'${parent ? ` in ${parent}` : ''}.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`,
          replacement: suggestion,
        });
        return false;
      }
      case 'option':
        for (const p of checkValue(found.decl.type, def.value, found.decl.name)) {
          problems.push({ start: p.start, end: p.end, code: 'nix.option-type', message: p.message, replacement: p.replacement });
        }
        return found.decl.type.kind === 'submodule' || found.decl.type.kind === 'attrsOf' || found.decl.type.kind === 'nullOr';
      case 'group': {
        const v = unparen(def.value);
        const literal = ['Int', 'Float', 'String', 'IndString', 'Path', 'List', 'Lambda'].includes(v.type)
          || (v.type === 'Identifier' && ['true', 'false', 'null'].includes(v.name));
        if (literal) {
          problems.push({ start: v.start, end: v.end, code: 'nix.option-not-a-set', message: `${names.join('.')} is a set of options; it takes an attribute set, not this value.` });
        }
        return true;
      }
      default:
        return false;
    }
  });
  return problems;
}
