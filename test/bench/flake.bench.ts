// `npm run bench -- flake`: flake generation for 10, 100 and 1,000 hosts (target: under 1 s for 1,000),
// plus writing the result to an empty folder and re-planning it (the idempotent second run).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, pendingFiles, planWrite } from '#core/flake';
import { syntheticCluster } from '../support/flakeClusters';
import { median } from './measure';

const RUNS = 7;

async function main() {
  const templates = await readTemplates(findTemplatesDir(__dirname));
  console.log('hosts  files  bytes      generate ms (median of 7)  write ms  re-plan ms  pending after');
  for (const count of [10, 100, 1000]) {
    const spec = syntheticCluster(count);
    const times: number[] = [];
    let result = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      result = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
      times.push(performance.now() - start);
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flake-bench-'));
    try {
      let start = performance.now();
      await applyPlan(await planWrite(dir, result.files));
      const writeMs = performance.now() - start;
      start = performance.now();
      const again = await planWrite(dir, generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files);
      const replanMs = performance.now() - start;
      const bytes = result.files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
      console.log(
        `${String(count).padStart(5)}  ${String(result.files.length).padStart(5)}  ${String(bytes).padStart(9)}  ${median(times).toFixed(1).padStart(25)}  ${writeMs.toFixed(0).padStart(8)}  ${replanMs.toFixed(0).padStart(10)}  ${String(pendingFiles(again).length).padStart(13)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
