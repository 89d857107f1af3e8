// Generation from a spec on disk (node only), shared by `gpu-cluster generate` and the Generate Flake
// command: load the spec, refuse it when it has errors, read facter reports, templates and the agent bundle, generate.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadSpec, type LoadedSpec } from '../spec/load';
import { blockingErrors, generateFlake, type GenerateResult } from './index';
import { agentBundlePath, readAgentBundle, readTemplates } from './templates';

export interface PreparedGeneration {
  loaded: LoadedSpec;
  /** Errors that stop generation, `file:line:col message [code]`; empty when the spec is usable. */
  errors: string[];
  result?: GenerateResult;
}

const MAX_FACTER_BYTES = 16 * 1024 * 1024;

/** Facter reports the hosts name, read relative to the cluster file; missing ones are left out. */
async function readFacterReports(loaded: LoadedSpec): Promise<Map<string, string>> {
  const reports = new Map<string, string>();
  const base = path.dirname(loaded.clusterPath);
  for (const host of loaded.model.spec.hosts ?? []) {
    const relative = host.hardware?.facterReport;
    if (typeof relative !== 'string' || !relative) continue;
    const file = path.resolve(base, relative);
    try {
      if ((await stat(file)).size > MAX_FACTER_BYTES) continue;
      const text = await readFile(file, 'utf8');
      JSON.parse(text);
      reports.set(host.name, text);
    } catch {
      // Unreadable or not JSON: the generator warns that the host has no report.
    }
  }
  return reports;
}

/** `agentBundle` defaults to dist/agent.js beside `templatesDir`; a missing bundle is an error that says to build. */
export async function prepareGeneration(specPath: string, templatesDir: string, agentBundle = agentBundlePath(templatesDir)): Promise<PreparedGeneration> {
  const loaded = await loadSpec(specPath);
  // loadSpec validates: syntax, schema and the semantic rules across files.
  const errors = blockingErrors(loaded.diagnostics);
  if (errors.length) return { loaded, errors };
  const [templates, facterReports, bundle] = await Promise.all([
    readTemplates(templatesDir), readFacterReports(loaded), readAgentBundle(agentBundle),
  ]);
  return { loaded, errors, result: generateFlake(loaded.model, { templates, facterReports, agentBundle: bundle }) };
}
