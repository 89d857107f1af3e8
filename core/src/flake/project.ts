// Generation from a spec on disk (node only), shared by `gpu-cluster generate` and the Generate Flake
// command: load the spec, refuse it when it has errors, read facter reports, templates and the agent bundle, generate.

import path from 'node:path';
import { loadSpec, type LoadedSpec } from '../validate/load';
import { readFacterReport } from '../spec/facterReport';
import { blockingErrors, generateFlake, type GenerateResult } from './generate';
import { agentBundlePath, readAgentBundle, readTemplates } from './templates';

export interface PreparedGeneration {
  loaded: LoadedSpec;
  /** Errors that stop generation, `file:line:col message [code]`; empty when the spec is usable. */
  errors: string[];
  result?: GenerateResult;
}

/** Facter reports the hosts name, read relative to the cluster file; refused and missing ones are left out, with why. */
async function readFacterReports(loaded: LoadedSpec): Promise<{ reports: Map<string, string>; problems: string[] }> {
  const reports = new Map<string, string>();
  const problems: string[] = [];
  const base = path.dirname(loaded.clusterPath);
  for (const host of loaded.model.spec.hosts ?? []) {
    const relative = host.hardware?.facterReport;
    if (typeof relative !== 'string' || !relative) continue;
    const read = await readFacterReport(base, relative);
    if ('text' in read) reports.set(host.name, read.text);
    else problems.push(`${host.name}: facter report not used: ${read.error}`);
  }
  return { reports, problems };
}

/** `agentBundle` defaults to dist/agent.js beside `templatesDir`; a missing bundle is an error that says to build. */
export async function prepareGeneration(
  specPath: string,
  templatesDir: string,
  agentBundle = agentBundlePath(templatesDir),
): Promise<PreparedGeneration> {
  const loaded = await loadSpec(specPath);
  // loadSpec validates: syntax, schema and the semantic rules across files.
  const errors = blockingErrors(loaded.diagnostics);
  if (errors.length) return { loaded, errors };
  const [templates, facter, bundle] = await Promise.all([
    readTemplates(templatesDir),
    readFacterReports(loaded),
    readAgentBundle(agentBundle),
  ]);
  const result = generateFlake(loaded.model, { templates, facterReports: facter.reports, agentBundle: bundle });
  return { loaded, errors, result: { ...result, warnings: [...facter.problems, ...result.warnings] } };
}
