// What every operations command shares: one SSH connection pool (host keys through the VS Code policy,
// passphrases from SecretStorage, the SSH agent), the hosts' endpoints from the spec's effective SSH settings,
// the flake folder, the explorer's state store, and choosing the hosts a command acts on.

import * as vscode from 'vscode';
import path from 'node:path';
import { hostEndpoint, type SshEndpoint, SshPool, type SshPoolOptions } from '#core/ssh';
import { type ClusterSpec, effectiveSsh, effectiveSystem, type HostSpec, type System } from '#core/spec';
import type { ExtensionServices } from '../services/services';
import type { ClusterStateStore, HostFacts } from '../state/store';
import { VscodeHostKeyPolicy } from './vscodeHostKeyPolicy';
import { SSH_SOURCE_ID } from './probeFacts';
import { sshAdvice, type SshAdvice } from './sshErrorActions';

/** What a tree node passed to a command may carry (explorer nodes: hosts, groups, services, checkpoints). */
export interface NodeArg {
  host?: string;
  groupHosts?: string[];
  checkpointId?: string;
}

export const PASSPHRASE_SECRET_PREFIX = 'gpuCluster.ssh.passphrase:';

export class OpsContext implements vscode.Disposable {
  readonly policy: VscodeHostKeyPolicy;
  readonly pool: SshPool;
  private readonly poolOptions: SshPoolOptions;

  constructor(readonly services: ExtensionServices) {
    this.policy = VscodeHostKeyPolicy.forContext(services.context, services.output);
    const secrets = services.context.secrets;
    this.pool = new SshPool(
      (this.poolOptions = {
        policy: this.policy,
        // Commands a lost connection left running are stopped when the host answers again: say so in the log.
        log: (message) => services.output.warn(message),
        auth: {
          passphrase: async (identity, endpoint) => {
            const stored = await secrets.get(PASSPHRASE_SECRET_PREFIX + identity);
            if (stored !== undefined) return stored;
            const entered = await vscode.window.showInputBox({
              title: `Passphrase for ${identity}`,
              prompt: `Needed to log in to ${endpoint.name}. It is kept in VS Code's secret storage.`,
              password: true,
              ignoreFocusOut: true,
            });
            if (entered !== undefined) await secrets.store(PASSPHRASE_SECRET_PREFIX + identity, entered);
            return entered;
          },
          passphraseRejected: (identity) => void secrets.delete(PASSPHRASE_SECRET_PREFIX + identity),
        },
      }),
    );
  }

  dispose(): void {
    this.pool.closeAll();
  }

  /** A new pool with the same host keys and credentials: a connection that proves the host answers anew. */
  freshPool(): SshPool {
    return new SshPool(this.poolOptions);
  }

  /** The loaded spec and its cluster.yaml, or a clear message when there is none. */
  spec(): { spec: ClusterSpec; specFile: string } {
    const model = this.services.specStore.model;
    const uri = this.services.specStore.specUri;
    if (!model || !uri) throw new Error(this.services.specStore.error ?? 'No cluster spec (cluster.yaml) is loaded in this workspace.');
    return { spec: model.spec, specFile: uri.fsPath };
  }

  host(name: string): HostSpec {
    const host = this.spec().spec.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`There is no host "${name}" in the spec.`);
    return host;
  }

  system(host: HostSpec): System {
    return effectiveSystem(this.spec().spec, host);
  }

  /** Where and how to reach a host: its effective ssh settings, jump hosts resolved by name. */
  endpoint(host: HostSpec): SshEndpoint {
    const { spec, specFile } = this.spec();
    return hostEndpoint(spec, specFile, host);
  }

  /** The generated flake's folder: setting gpuCluster.flake.outputDir, relative to the spec. */
  flakeDir(): string {
    const configured = vscode.workspace.getConfiguration('gpuCluster').get<string>('flake.outputDir') || 'flake';
    return path.resolve(path.dirname(this.spec().specFile), configured);
  }

  setting(key: 'deploy.concurrency' | 'probe.concurrency' | 'exo.pollIntervalMs' | 'exo.launchTimeoutMs', fallback: number): number {
    return vscode.workspace.getConfiguration('gpuCluster').get<number>(key, fallback);
  }

  /** The explorer's state store (shared by every feature). */
  get store(): ClusterStateStore {
    return this.services.state;
  }

  /** What to check and do about a failed SSH operation on a host (runPerHost offers it on the error message). */
  readonly sshAdvice = (error: Error, host: HostSpec): SshAdvice => sshAdvice(error, host, () => this.services.specStore.model);

  report(host: string, facts: HostFacts): void {
    this.store.applyHostFacts(SSH_SOURCE_ID, host, facts);
    this.services.operations.recordOperationReport(host, facts);
  }

  /**
   * The hosts a command acts on: the clicked node (a host or a group of hosts), the tree's multi-selection, or
   * else a pick of hosts and tags.
   */
  async pickHosts(
    arg: unknown,
    selected: unknown,
    options: { title: string; filter?: (h: HostSpec) => boolean; single?: boolean },
  ): Promise<HostSpec[] | undefined> {
    const { spec } = this.spec();
    const filter = options.filter ?? (() => true);
    const nodes = (Array.isArray(selected) && selected.length > 1 ? selected : [arg]) as (NodeArg | undefined)[];
    const named = nodes.flatMap((n) => (n?.host ? [n.host] : (n?.groupHosts ?? [])));
    if (named.length) {
      const hosts = [...new Set(named)].map((n) => this.host(n));
      const skipped = hosts.filter((h) => !filter(h));
      if (skipped.length)
        void vscode.window.showInformationMessage(`${options.title}: skipping ${skipped.map((h) => h.name).join(', ')} (not applicable).`);
      return hosts.filter(filter);
    }
    const candidates = spec.hosts.filter(filter);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(`${options.title}: no host in the spec qualifies.`);
      return undefined;
    }
    type Item = vscode.QuickPickItem & { hosts: HostSpec[] };
    const hostItems: Item[] = candidates.map((h) => ({
      label: h.name,
      description: `${effectiveSsh(spec, h).address ?? ''} · ${effectiveSystem(spec, h)}`,
      detail: h.tags?.length ? `tags: ${h.tags.join(', ')}` : undefined,
      hosts: [h],
    }));
    if (options.single) {
      const one = await vscode.window.showQuickPick(hostItems, { title: options.title, placeHolder: 'Host' });
      return one?.hosts;
    }
    const tags = [...new Set(candidates.flatMap((h) => h.tags ?? []))].sort();
    const tagItems: Item[] = tags.map((t) => ({
      label: `$(tag) ${t}`,
      description: spec.cluster.tags?.[t],
      hosts: candidates.filter((h) => h.tags?.includes(t)),
    }));
    const items: Item[] = [
      ...hostItems,
      ...(tagItems.length ? [{ label: 'Tags', kind: vscode.QuickPickItemKind.Separator, hosts: [] } as Item, ...tagItems] : []),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: options.title,
      placeHolder: 'Hosts (or tags) to act on',
      canPickMany: true,
    });
    if (!picked?.length) return undefined;
    return [...new Map(picked.flatMap((p) => p.hosts).map((h) => [h.name, h])).values()];
  }
}
