// exo: accelerators the hosts can run, and the models it is asked to place (known ids, memory, nodes).

import { closestExoModels, EXO_MODEL_CARDS_COMMIT, findExoModel, isRepoId } from '../../catalog/models';
import {
  acceleratorRunsOn,
  clusterInferenceMemory,
  declaredAccelerator,
  effectiveAccelerator,
  effectiveSystem,
  exoHosts,
} from '../../spec/resolve';
import { isRecord } from '../../spec/workspace';
import { isDarwinSystem, type Rule } from './rule';

export const exo: Rule = {
  name: 'exo.placement',
  needs: 'cluster',
  codes: ['exo.accelerator-unsupported', 'exo.duplicate-model', 'exo.unknown-model', 'exo.model-too-large', 'exo.min-nodes'],
  check({ clusterFile, spec, entries, report: r }) {
    const file = clusterFile!;
    // accelerators the host cannot run
    const exo = new Set(exoHosts(spec));
    for (const entry of entries) {
      const host = entry.host;
      const declared = declaredAccelerator(spec, host);
      const system = effectiveSystem(spec, host);
      const actual = effectiveAccelerator(spec, host);
      const runsExo = host.exo?.accelerator !== undefined || exo.has(host);
      if (!runsExo || acceleratorRunsOn(actual, system)) continue;
      const where =
        host.exo?.accelerator !== undefined
          ? { f: entry.file, p: [...entry.path, 'exo', 'accelerator'] }
          : declared !== 'auto'
            ? { f: file, p: ['exo', 'accelerator'] }
            : { f: entry.file, p: [...entry.path, 'name'] };
      const why =
        actual === 'mlx'
          ? 'MLX runs only on aarch64-darwin (Apple Silicon with macOS)'
          : `${actual.toUpperCase()} runs only on Linux${actual === 'cuda' ? '' : ' x86_64'}`;
      const alternative = isDarwinSystem(system)
        ? 'mlx'
        : effectiveAccelerator(
            { ...spec, exo: { ...spec.exo, accelerator: 'auto' } },
            { ...host, exo: { ...host.exo, accelerator: 'auto' } },
          );
      r.report(
        where.f,
        where.p,
        'value',
        'exo.accelerator-unsupported',
        `Host '${host.name}' is ${system}: ${why}${declared === 'auto' ? ` (auto chose ${actual} from its GPUs)` : ''}. Use '${alternative}' or 'auto'.`,
        { replacement: declared === 'auto' ? undefined : 'auto' },
      );
    }

    const models = Array.isArray(spec.exo?.models) ? spec.exo!.models! : [];
    if (!models.length || spec.exo?.enable === false) return;
    const memory = clusterInferenceMemory(spec);
    const nodes = exoHosts(spec).length;
    const seenModels = new Set<string>();
    models.forEach((m, i) => {
      if (!isRecord(m) || typeof m.id !== 'string') return;
      if (seenModels.has(m.id)) {
        r.report(file, ['exo', 'models', i, 'id'], 'value', 'exo.duplicate-model', `Model '${m.id}' is listed twice.`);
        return;
      }
      seenModels.add(m.id);
      const info = findExoModel(m.id);
      if (!info) {
        // exo looks an id without a card up on Hugging Face (ModelCard.load → fetch_from_hf): a short or old id
        // such as `llama-3.1-70b` fails there; a repo id may work, but its size is unknown until exo fetches it.
        const closest = closestExoModels(m.id).map((c) => c.id);
        const options = closest.length
          ? ` — did you mean '${closest[0]}'${
              closest.length > 1
                ? ` (or ${closest
                    .slice(1)
                    .map((c) => `'${c}'`)
                    .join(', ')})`
                : ''
            }?`
          : '';
        if (isRepoId(m.id)) {
          r.report(
            file,
            ['exo', 'models', i, 'id'],
            'value',
            'exo.unknown-model',
            `'${m.id}' has no model card in exo (commit ${EXO_MODEL_CARDS_COMMIT.slice(0, 7)}): exo will fetch its config from Hugging Face when placing it, and its memory need cannot be checked here${options}`,
            { severity: 'warning', replacements: closest },
          );
        } else {
          r.report(
            file,
            ['exo', 'models', i, 'id'],
            'value',
            'exo.unknown-model',
            `'${m.id}' is not an exo model id: exo takes Hugging Face repo ids from its model cards (e.g. 'mlx-community/Llama-3.2-1B-Instruct-4bit'), and placing this one fails${options}`,
            { replacements: closest },
          );
        }
      } else if (info.memoryGB > memory.totalGB) {
        const perHost = [...memory.perHost]
          .slice(0, 6)
          .map(([h, gb]) => `${h} ${gb} GB`)
          .join(', ');
        r.report(
          file,
          ['exo', 'models', i, 'id'],
          'value',
          'exo.model-too-large',
          `${info.name} (${info.quantization}) needs ${info.memoryGB} GB (its weights, from exo's model card), but the exo hosts have ${memory.totalGB} GB of GPU/unified memory${perHost ? ` (${perHost}${memory.perHost.size > 6 ? ', …' : ''})` : ''}.`,
        );
      }
      if (typeof m.minNodes === 'number' && m.minNodes > nodes) {
        r.report(
          file,
          ['exo', 'models', i, 'minNodes'],
          'value',
          'exo.min-nodes',
          `minNodes is ${m.minNodes} but only ${nodes} host${nodes === 1 ? '' : 's'} run${nodes === 1 ? 's' : ''} exo.`,
        );
      }
    });
  },
};
