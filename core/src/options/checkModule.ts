// Option diagnostics for a NixOS or nix-darwin module: unknown option paths (with "did you mean") and
// literal values of the wrong type, judged against the option database of the module's set. A name is
// unknown only below a namespace whose every option the database knows from an authoritative source.

import type { Expr } from '../nix/ast';
import { unparen } from '../nix/syntax';
import { closest, editDistance } from '../util/suggest';
import { checkValue } from './checkValue';
import type { LookupResult, OptionDatabase } from './database';
import { importScope, type ImportScope } from './importScope';
import { walkDefinitions } from './moduleDefinitions';

export interface OptionProblem {
  start: number;
  end: number;
  code: 'nix.unknown-option' | 'nix.option-type' | 'nix.option-not-a-set';
  message: string;
  /** Text that fixes it (the suggested name or value), for a quick fix over [start, end). */
  replacement?: string;
}

/**
 * Problems of a module against the option database of its module set. Given several databases (a file
 * whose set, NixOS or nix-darwin, is not known), a problem one finds is kept unless another judged the
 * same definition and found it right: `system.stateVersion = 6` is wrong for NixOS and right for
 * nix-darwin, so it is not reported; a typo in a namespace only NixOS knows completely is.
 */
export function checkModuleOptions(root: Expr, db: OptionDatabase | OptionDatabase[]): OptionProblem[] {
  const scope = importScope(root);
  const results = (Array.isArray(db) ? db : [db]).map((d) => checkAgainst(root, d, scope));
  const key = (p: OptionProblem) => `${p.start}:${p.end}:${p.code}`;
  const reported = results.map((r) => new Set(r.problems.map((p) => key(p.problem))));
  const out = new Map<string, OptionProblem>();
  results.forEach((r, i) => {
    for (const { problem, definition } of r.problems) {
      const agreed = results.every((other, j) => j === i || reported[j].has(key(problem)) || !other.judged.has(definition));
      if (agreed && !out.has(key(problem))) out.set(key(problem), problem);
    }
  });
  return [...out.values()].sort((a, b) => a.start - b.start);
}

interface CheckResult {
  problems: { problem: OptionProblem; definition: string }[];
  /** Definitions this database had an opinion on (it knew the option, or knew the name does not exist). */
  judged: Set<string>;
}

function checkAgainst(root: Expr, db: OptionDatabase, scope: ImportScope): CheckResult {
  const result: CheckResult = { problems: [], judged: new Set() };
  walkDefinitions(root, (def) => {
    const names = def.path.map((s) => s.name);
    const definition = `${def.path[def.path.length - 1].start}:${names.join('.')}`;
    const found = db.lookup(names);
    const report = (problem: OptionProblem) => result.problems.push({ problem, definition });
    if (found.status !== 'unchecked' && !(found.status === 'unknown' && !reportable(found, names, scope))) result.judged.add(definition);
    switch (found.status) {
      case 'unknown': {
        if (!reportable(found, names, scope)) return false;
        const seg = def.path[found.index];
        const parent = names.slice(0, found.index);
        const suggestion = typoFix(db, parent, seg.name, found.candidates);
        report({
          start: seg.start,
          end: seg.end,
          code: 'nix.unknown-option',
          message: `No option '${names.slice(0, found.index + 1).join('.')}'${parent.length ? ` in ${parent.join('.')}` : ''}.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`,
          replacement: suggestion,
        });
        return false;
      }
      case 'option':
        for (const p of checkValue(found.decl.type, def.value, found.decl.name)) {
          report({ start: p.start, end: p.end, code: 'nix.option-type', message: p.message, replacement: p.replacement });
        }
        return found.decl.type.kind === 'submodule' || found.decl.type.kind === 'attrsOf' || found.decl.type.kind === 'nullOr';
      case 'group': {
        const v = unparen(def.value);
        const literal =
          ['Int', 'Float', 'String', 'IndString', 'Path', 'List', 'Lambda'].includes(v.type) ||
          (v.type === 'Identifier' && ['true', 'false', 'null'].includes(v.name));
        if (literal) {
          report({
            start: v.start,
            end: v.end,
            code: 'nix.option-not-a-set',
            message: `${names.join('.')} is a set of options; it takes an attribute set, not this value.`,
          });
        }
        return true;
      }
      default:
        return false;
    }
  });
  return result;
}

/** An unknown name counts unless the file's imports may declare it. */
function reportable(found: Extract<LookupResult, { status: 'unknown' }>, names: string[], scope: ImportScope): boolean {
  const reached = names.slice(0, found.index + 1);
  if (scope.open.some((ns) => ns.length <= reached.length && ns.every((n, i) => n === reached[i]))) return false;
  return !(scope.opaque && found.completeBy === 'evaluation');
}

/**
 * The replacement for a typo: a name that is itself a known option or set of options in the same place
 * and within one edit (two for long names) of what was typed, else none.
 */
function typoFix(db: OptionDatabase, parent: string[], typed: string, candidates: string[]): string | undefined {
  const suggestion = closest(typed, candidates);
  if (suggestion === undefined) return undefined;
  const limit = typed.length >= 10 ? 2 : 1;
  if (editDistance(typed.toLowerCase(), suggestion.toLowerCase()) > limit) return undefined;
  const status = db.lookup([...parent, suggestion]).status;
  return status === 'option' || status === 'group' ? suggestion : undefined;
}
