// Nix option declarations emitted from the option facts (core/src/options/curated-options.json for NixOS,
// curated-darwin-options.json for nix-darwin): each fact's `nixType` is the type expression as upstream declares it,
// `default` its default. The evaluation harness (eval-flake.nix) declares these upstream options for lib.evalModules, so
// the real module system reports what a generated host sets that upstream does not declare, or declares with another type.
//
// Names: `a.<name>.b` is an attribute set of submodules, `a.*.b` a list of submodules; an option with named children
// (`services.openssh.settings.PermitRootLogin`) is a submodule whose other attributes have the option's own type,
// as nixpkgs declares settings with a freeformType.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { splitOptionName } from '../../core/src/options/database';

export interface OptionFact {
  type: string;
  nixType?: string;
  default?: string;
  declarations?: { name?: string; url?: string }[];
}

export interface OptionFacts {
  options: Record<string, OptionFact>;
}

const optionsDir = path.join(__dirname, '../../../core/src/options');

export function readOptionFacts(platform: 'nixos' | 'darwin'): OptionFacts {
  const file = platform === 'nixos' ? 'curated-options.json' : 'curated-darwin-options.json';
  return JSON.parse(readFileSync(path.join(optionsDir, file), 'utf8')) as OptionFacts;
}

interface Node {
  fact?: OptionFact;
  children: Map<string, Node>;
}

const WILDCARDS = new Set(['<name>', '*']);

function tree(facts: OptionFacts): Node {
  const root: Node = { children: new Map() };
  for (const [name, fact] of Object.entries(facts.options)) {
    if (!fact.nixType) throw new Error(`option fact ${name} has no nixType`);
    let node = root;
    for (const segment of splitOptionName(name)) {
      let next = node.children.get(segment);
      if (!next) node.children.set(segment, (next = { children: new Map() }));
      node = next;
    }
    node.fact = fact;
  }
  return root;
}

const attrName = (name: string) => (/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) ? name : JSON.stringify(name));

/**
 * The option declared at `node` (it has a fact or a wildcard level), as a `mkOption { … }` expression. Inside a submodule,
 * an option upstream declares without a default gets the `unset` marker as one (and its type accepts that marker): NixOS
 * never reads such an option unless it is set, but the harness reads every attribute of a submodule value.
 */
function option(node: Node, indent: string, inSubmodule: boolean): string {
  const named = [...node.children.keys()].filter((k) => !WILDCARDS.has(k));
  const each = node.children.get('<name>');
  const item = node.children.get('*');
  let type: string;
  let fallback: string | undefined;
  if (each) {
    // Defaults inside may use the attribute's name, as upstream's `config.mountPoint = mkDefault name` does.
    type = `types.attrsOf (types.submodule ({ name, ... }: { options = ${options(each, indent + '  ', true)}; }))`;
    fallback = '{ }';
  } else if (item) {
    type = `types.listOf (types.submodule { options = ${options(item, indent + '  ', true)}; })`;
    fallback = '[ ]';
  } else if (named.length) {
    type = `types.submodule { freeformType = ${node.fact!.nixType}; options = ${options(node, indent + '  ', true)}; }`;
    fallback = '{ }';
  } else if (inSubmodule && node.fact!.default === undefined) {
    type = `types.either (${node.fact!.nixType}) unset`;
    fallback = 'unset.value';
  } else {
    type = node.fact!.nixType!;
  }
  const fallbackDefault = node.fact?.default ?? fallback;
  return `mkOption { type = ${type};${fallbackDefault !== undefined ? ` default = ${fallbackDefault};` : ''} }`;
}

/** The options below `node` (its named children), as an attribute set expression. */
function options(node: Node, indent: string, inSubmodule = false): string {
  const inner = indent + '  ';
  const lines = [...node.children.entries()]
    .filter(([k]) => !WILDCARDS.has(k))
    .map(([name, child]) => {
      const isOption = child.fact !== undefined || child.children.has('<name>') || child.children.has('*');
      return `${inner}${attrName(name)} = ${isOption ? option(child, inner, inSubmodule) : options(child, inner, inSubmodule)};`;
    });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/** A NixOS or nix-darwin module declaring every option of the facts. */
export function declarationsModule(facts: OptionFacts): string {
  return `# Emitted by test/support/optionDeclarations.ts from the option facts; do not edit.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  unset = lib.mkOptionType { name = "unset"; description = "unset (harness marker)"; check = v: v == unset.value; merge = lib.mergeEqualOption; } // {
    value = { _harness = "unset"; };
  };
in
{
  options = ${options(tree(facts), '  ')};
}
`;
}
