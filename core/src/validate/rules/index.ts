// The semantic rule set: rules a JSON Schema cannot express, checked across cluster.yaml and every
// hosts/*.yaml. Each family (hosts, network, references, nats, migrations, exo, k3s, checkpoints, ports, hardware,
// containers) is one file; every rule is a linear pass with maps, so a 2,000-host spec stays fast, and ranges are looked up only
// for the problems found. The order below is the order diagnostics come out in (before sorting).

import type { SpecDiagnostic, SpecModel } from '../../spec/model';
import { checkpoints } from './checkpoints';
import { containers } from './containers';
import { exo } from './exo';
import { hardware } from './hardware';
import { hostAddresses, hostNames } from './hosts';
import { k3sCluster, k3sRoles } from './k3s';
import { migrations } from './migrations';
import { natsHub } from './nats';
import { interfaces, links, segments } from './network';
import { ports } from './ports';
import { clusterReferences, hostReferences, jumpCycles } from './references';
import { ruleContext, type Rule } from './rule';

export type { Rule } from './rule';

export const RULES: readonly Rule[] = [
  hostNames,
  segments,
  hostReferences,
  interfaces,
  jumpCycles,
  hostAddresses,
  links,
  clusterReferences,
  natsHub,
  migrations,
  exo,
  k3sRoles,
  checkpoints,
  ports,
  hardware,
  containers,
  k3sCluster,
];

/** The diagnostics of every rule whose needs the model meets. */
export function semanticDiagnostics(model: SpecModel): SpecDiagnostic[] {
  const ctx = ruleContext(model);
  for (const rule of RULES) {
    if (rule.needs !== 'model' && !(ctx.clusterFile && ctx.cluster)) continue;
    if (rule.needs === 'complete' && !ctx.complete) continue;
    rule.check(ctx);
  }
  return ctx.report.diagnostics;
}
