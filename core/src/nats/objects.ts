// Versioned documents in the JetStream object store: nixos-facter reports (one key per host) and checkpoint
// manifests (one key per host and unit). A NATS object keeps only its latest content, so each version is its own
// object, `{key}@{revision}` with a zero-padded revision; older versions beyond `retain` are deleted.

import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import { StorageType } from '@nats-io/jetstream';
import { readFacterReport } from '../spec/facterReport';
import type { HostSpec } from '../spec/types';
import { bucketName, token } from './subjects';

export type DocumentKind = 'facter' | 'checkpoints';

export interface DocumentVersion {
  key: string;
  revision: number;
  size: number;
  digest: string;
  modified: string;
  metadata: Record<string, string>;
}

const REVISION_DIGITS = 8;

/** `host` or `host/unit`: tokens joined by `/`, so keys cannot smuggle separators or wildcards. */
export function documentKey(...parts: string[]): string {
  return parts.map((p, i) => token(i === 0 ? 'host' : 'key part', p)).join('/');
}

function parseName(name: string): { key: string; revision: number } | undefined {
  const at = name.lastIndexOf('@');
  if (at < 0) return undefined;
  const revision = Number(name.slice(at + 1));
  return Number.isInteger(revision) && revision > 0 ? { key: name.slice(0, at), revision } : undefined;
}

function toVersion(info: ObjectInfo): DocumentVersion | undefined {
  const parsed = parseName(info.name);
  if (!parsed || info.deleted) return undefined;
  return { ...parsed, size: info.size, digest: info.digest, modified: info.mtime, metadata: info.metadata ?? {} };
}

export class DocumentStore {
  private readonly buckets = new Map<DocumentKind, Promise<ObjectStore>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly domain: string,
    private readonly retain = 20,
  ) {}

  private bucket(kind: DocumentKind): Promise<ObjectStore> {
    let b = this.buckets.get(kind);
    if (!b) {
      b = new Objm(this.nc).create(bucketName(this.domain, kind), {
        storage: StorageType.File,
        description: kind === 'facter' ? 'nixos-facter reports per host' : 'CRIU checkpoint manifests',
      });
      b.catch(() => this.buckets.delete(kind));
      this.buckets.set(kind, b);
    }
    return b;
  }

  /** Every stored version of a key, oldest first. */
  async versions(kind: DocumentKind, key: string): Promise<DocumentVersion[]> {
    const os = await this.bucket(kind);
    return (await os.list())
      .map(toVersion)
      .filter((v): v is DocumentVersion => v !== undefined && v.key === key)
      .sort((a, b) => a.revision - b.revision);
  }

  /** Stores a new version; returns it. Keeps the newest `retain` versions. */
  async put(
    kind: DocumentKind,
    key: string,
    content: Uint8Array | string,
    metadata: Record<string, string> = {},
  ): Promise<DocumentVersion> {
    const os = await this.bucket(kind);
    const existing = await this.versions(kind, key);
    const latest = existing[existing.length - 1];
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const revision = (latest?.revision ?? 0) + 1;
    const info = await os.putBlob({ name: `${key}@${String(revision).padStart(REVISION_DIGITS, '0')}`, metadata }, bytes);
    for (const old of existing.slice(0, Math.max(0, existing.length + 1 - this.retain))) {
      await os.delete(`${old.key}@${String(old.revision).padStart(REVISION_DIGITS, '0')}`).catch(() => undefined);
    }
    return toVersion(info)!;
  }

  /** Stores a new version only when the content differs from the latest one. */
  async putIfChanged(
    kind: DocumentKind,
    key: string,
    content: Uint8Array | string,
    metadata: Record<string, string> = {},
  ): Promise<{ version: DocumentVersion; stored: boolean }> {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const latest = (await this.versions(kind, key)).pop();
    if (latest && latest.digest === objectDigest(bytes)) return { version: latest, stored: false };
    return { version: await this.put(kind, key, bytes, metadata), stored: true };
  }

  /** Content of a version (the latest when `revision` is left out), or undefined. */
  async get(kind: DocumentKind, key: string, revision?: number): Promise<{ version: DocumentVersion; content: Uint8Array } | undefined> {
    const os = await this.bucket(kind);
    const all = await this.versions(kind, key);
    const version = revision === undefined ? all[all.length - 1] : all.find((v) => v.revision === revision);
    if (!version) return undefined;
    const content = await os.getBlob(`${key}@${String(version.revision).padStart(REVISION_DIGITS, '0')}`);
    return content ? { version, content } : undefined;
  }

  /** Keys with at least one version. */
  async keys(kind: DocumentKind): Promise<string[]> {
    const os = await this.bucket(kind);
    return [
      ...new Set(
        (await os.list())
          .map(toVersion)
          .filter((v) => v !== undefined)
          .map((v) => v!.key),
      ),
    ].sort();
  }
}

/** The object store's digest of some content: `SHA-256=` and the padded base64url SHA-256. */
export function objectDigest(bytes: Uint8Array): string {
  return `SHA-256=${createHash('sha256').update(bytes).digest('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
}

export interface FacterSyncResult {
  host: string;
  revision?: number;
  stored?: boolean;
  error?: string;
}

/** Stores each host's nixos-facter report (`hardware.facterReport`, relative to the spec) as a new version when it changed. */
export async function syncFacterReports(
  documents: DocumentStore,
  hosts: readonly HostSpec[],
  specDir: string,
): Promise<FacterSyncResult[]> {
  const results: FacterSyncResult[] = [];
  for (const host of hosts) {
    const report = host.hardware?.facterReport;
    if (!report) continue;
    try {
      // only reports inside the spec folder, and only nixos-facter reports, are kept
      const read = await readFacterReport(specDir, report);
      if ('error' in read) throw new Error(read.error);
      const content = Buffer.from(read.text, 'utf8');
      const { version, stored } = await documents.putIfChanged('facter', documentKey(host.name), content, { file: report });
      results.push({ host: host.name, revision: version.revision, stored });
    } catch (err) {
      results.push({ host: host.name, error: (err as Error).message });
    }
  }
  return results;
}
