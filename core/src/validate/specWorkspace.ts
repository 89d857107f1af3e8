// The one loader of the workspace's spec with unsaved edits, for the language server (with validation) and the
// client's explorer (the model only). The spec files it knows, grouped by spec root (the folder holding cluster.yaml; host files live
// in its hosts/ folder). Open documents win over the disk; files that are not open are read from disk so
// that cross-file references, rename and validation see the whole cluster. Each root keeps one snapshot
// (model + diagnostics) per generation; any change to any of its files starts a new generation.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedSpecFile, SpecDiagnostic, SpecFileKind, SpecModel } from '../spec/model';
import { forgetParsedFile, inferSpecFileKind, refusedSpecFile } from '../spec/parse';
import { buildModel } from '../spec/workspace';
import { matchesAny } from '../util/glob';
import { fileUri, readSpecTextSync } from './load';
import { parseProgressively } from './progressiveParse';
import { validateFile, validateModel } from './validate';

interface FileEntry {
  uri: string;
  kind: SpecFileKind;
  text: string;
  /** The editor's version when open; a local counter for disk reads. */
  version: number;
  open: boolean;
  parsed?: ParsedSpecFile;
  /** Syntax and schema diagnostics of `parsed` (semantic ones belong to the snapshot). */
  fileDiagnostics?: SpecDiagnostic[];
  /** Why the file was not read from disk (not a regular file, too large). */
  refused?: SpecDiagnostic;
}

export interface SpecSnapshot {
  root: string;
  generation: number;
  model: SpecModel;
  /**
   * Every diagnostic of the root's files, by uri (files without any are present with an empty list); empty when
   * the snapshot was not validated.
   */
  diagnostics: Map<string, SpecDiagnostic[]>;
  /** False when the snapshot carries the model only (validation off, or the root is validated elsewhere). */
  validated: boolean;
  file(uri: string): ParsedSpecFile | undefined;
}

/**
 * Lets the requests that have arrived be answered first. Twice: vscode-jsonrpc queues each message with
 * setImmediate behind our first callback; the second lets them run before we go on.
 */
export async function yieldToRequests(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}

export class SupersededError extends Error {
  constructor() {
    super('superseded by a newer change');
  }
}

class SpecRoot {
  /** By fileKey: clients and pathToFileURL may spell the same file's URI differently. */
  readonly files = new Map<string, FileEntry>();
  generation = 0;
  loaded: Promise<void> | undefined;
  snapshot: SpecSnapshot | undefined;
  building: { generation: number; promise: Promise<SpecSnapshot> } | undefined;
  /** uris given diagnostics by the last snapshot, so files that left the root get theirs cleared. */
  reported = new Set<string>();
  constructor(
    readonly key: string,
    readonly dir: string | undefined,
  ) {}
}

/** Files read from disk between two yields when a spec folder is loaded (small files: a few ms). */
const DISK_READ_BATCH = 200;

/** Work done between two yields to the event loop, so requests stay answered during big validations. */
const SLICE_MS = 12;

/** An open editor document: its text wins over the file on disk. */
export interface OpenDocument {
  readonly uri: string;
  readonly version: number;
  getText(): string;
}

/** A spec file's text as the workspace has it (the disk's or an open document's), e.g. for validating elsewhere. */
export interface SpecFileText {
  uri: string;
  kind: SpecFileKind;
  text: string;
  version: number;
  /** Why the file was not read (not a regular file, too large). */
  refused?: SpecDiagnostic;
}

export interface SpecWorkspaceOptions {
  documents: { get(uri: string): OpenDocument | undefined; all(): readonly OpenDocument[] };
  /** Glob patterns (VS Code's dialect) of the files that are specs: the `gpuCluster.specPatterns` setting. */
  patterns(): readonly string[];
  log(message: string): void;
  /** Snapshots carry the diagnostics of every file (syntax, schema, semantic); false builds the model only. */
  validate?: boolean;
  /**
   * Roots this answers true for (by their files' total text and count) are validated elsewhere (the language
   * server's worker thread): their snapshots carry the model only, and filesFor never offers one as current.
   */
  validatesElsewhere?(chars: number, files: number): boolean;
  /** Each batch of files read from disk while a root is loaded, with the number of files the load will read. */
  filesRead?(root: string, files: SpecFileText[], total: number): void;
}

export class SpecWorkspace {
  private readonly roots = new Map<string, SpecRoot>();
  private diskVersion = 0;
  /** The text last parsed per uri: core's parser reuses the unchanged chunks of that parse. */
  private readonly lastParsedText = new Map<string, string>();

  constructor(private readonly options: SpecWorkspaceOptions) {}

  /** Whether a uri is a spec file according to the configured patterns. */
  isSpecFile(uri: string): boolean {
    const p = uriPath(uri);
    return matchesAny(p ?? uri, this.options.patterns());
  }

  /** The root a spec file belongs to: the cluster file's folder (for host files, the parent of hosts/). */
  rootKeyOf(uri: string): string {
    const p = uriPath(uri);
    return p ? rootKeyOfPath(p) : uri;
  }

  /** The current snapshot of the root holding `uri`, built (or rebuilt after changes) if needed. */
  async snapshotFor(uri: string, isCancelled: () => boolean = () => false): Promise<SpecSnapshot> {
    const root = this.rootOf(uri);
    for (;;) {
      await this.load(root);
      this.syncOpenDocuments(root);
      if (root.snapshot?.generation === root.generation) return root.snapshot;
      if (root.building?.generation !== root.generation) {
        const generation = root.generation;
        root.building = { generation, promise: this.build(root, generation) };
      }
      try {
        return await root.building.promise;
      } catch (err) {
        if (!(err instanceof SupersededError)) {
          root.building = undefined; // let the next request try again rather than replay this failure
          throw err;
        }
        if (isCancelled()) throw err;
      }
    }
  }

  /**
   * The root's files as they are now (the disk read, open documents taken in), for validating elsewhere; with
   * the snapshot when one is current (then there is nothing to validate), and the total size of their text.
   */
  async filesFor(uri: string): Promise<{ current?: SpecSnapshot; files: SpecFileText[]; chars: number }> {
    const root = this.rootOf(uri);
    await this.load(root);
    this.syncOpenDocuments(root);
    const current = root.snapshot?.generation === root.generation && root.snapshot.validated ? root.snapshot : undefined;
    let chars = 0;
    const files = [...root.files.values()].map((e) => {
      chars += e.text.length;
      return workerFile(e);
    });
    return { current, files, chars };
  }

  /** The text of a file of the workspace (an open document's, or the disk's), if it is known. */
  textOf(uri: string): string | undefined {
    return this.options.documents.get(uri)?.getText() ?? this.roots.get(this.rootKeyOf(uri))?.files.get(fileKey(uri))?.text;
  }

  /** The latest snapshot built for a root, even if a newer change is not in it yet. */
  lastSnapshot(uri: string): SpecSnapshot | undefined {
    return this.roots.get(this.rootKeyOf(uri))?.snapshot;
  }

  /** Every uri the last snapshot of the root reported on (for clearing diagnostics of files that left). */
  reportedUris(uri: string): Set<string> {
    return this.rootOf(uri).reported;
  }

  /** The editor closed a document: the file on disk takes its place. */
  documentClosed(uri: string): void {
    const root = this.roots.get(this.rootKeyOf(uri));
    const entry = root?.files.get(fileKey(uri));
    if (!root || !entry) return;
    forgetParsedFile(uri);
    this.lastParsedText.delete(uri);
    root.files.delete(fileKey(uri));
    root.generation++;
    if (!root.dir) return;
    // The disk's text takes its place at once (the read is synchronous), so the file never drops out of the model.
    this.readFromDisk(root, uri);
  }

  /** Files changed on disk; returns uris in known roots whose diagnostics may have changed. */
  async filesChanged(changes: { uri: string; deleted: boolean }[]): Promise<string[]> {
    const affected: string[] = [];
    for (const change of changes) {
      const root = this.roots.get(this.rootKeyOf(change.uri));
      if (!root?.dir || !this.isSpecFile(change.uri)) continue;
      const entry = root.files.get(fileKey(change.uri));
      if (entry?.open) continue;
      if (change.deleted) {
        if (entry) {
          root.files.delete(fileKey(change.uri));
          forgetParsedFile(entry.uri);
          this.lastParsedText.delete(entry.uri);
          root.generation++;
        }
      } else {
        this.readFromDisk(root, change.uri);
      }
      affected.push(change.uri);
    }
    return affected;
  }

  /** The settings' patterns changed: forget everything, it is re-read on demand. */
  reset(): void {
    for (const root of this.roots.values()) for (const entry of root.files.values()) forgetParsedFile(entry.uri);
    this.roots.clear();
    this.lastParsedText.clear();
  }

  private rootOf(uri: string): SpecRoot {
    const key = this.rootKeyOf(uri);
    let root = this.roots.get(key);
    if (!root) {
      root = new SpecRoot(key, uriPath(uri) ? key : undefined);
      this.roots.set(key, root);
    }
    return root;
  }

  private load(root: SpecRoot): Promise<void> {
    return (root.loaded ??= this.loadFromDisk(root).catch((err) => this.options.log(`reading spec folder ${root.dir}: ${err}`)));
  }

  private async loadFromDisk(root: SpecRoot): Promise<void> {
    if (!root.dir) return;
    const names = [
      ...(await readdir(root.dir).catch(() => [] as string[])).map((n) => path.join(root.dir!, n)),
      ...(await readdir(path.join(root.dir, 'hosts')).catch(() => [] as string[])).map((n) => path.join(root.dir!, 'hosts', n)),
    ];
    const open = new Set(this.options.documents.all().map((d) => uriPath(d.uri)));
    const patterns = this.options.patterns();
    // paths, not URIs, are matched: converting 50,000 URIs back and forth took a large part of the load
    const wanted = names.filter(
      (file) =>
        /\.ya?ml$/i.test(file) &&
        !root.files.has(file) &&
        !open.has(file) &&
        matchesAny(file, patterns) &&
        rootKeyOfPath(file) === root.key,
    );
    // read in batches, yielding between them: requests are answered while 50,000 host files are read
    for (let i = 0; i < wanted.length; i += DISK_READ_BATCH) {
      const batch = wanted.slice(i, i + DISK_READ_BATCH).flatMap((file) => this.readFromDisk(root, fileUri(file), file) ?? []);
      this.options.filesRead?.(root.key, batch.map(workerFile), wanted.length);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The entry read (undefined when the file is missing or open in the editor). */
  private readFromDisk(root: SpecRoot, uri: string, file = uriPath(uri)!): FileEntry | undefined {
    const entry: FileEntry = { uri, kind: inferSpecFileKind(file), text: '', version: --this.diskVersion, open: false };
    // Only regular files, checked for size before reading (a FIFO or a link to /dev/zero would hang the server).
    const read = readSpecTextSync(file, uri);
    if ('text' in read) entry.text = read.text;
    else if (read.missing) return undefined;
    // Refused files stay in the model as refused, so the other files are not judged as if it were empty.
    else {
      entry.refused = read.problem;
      entry.parsed = refusedSpecFile(uri, entry.kind, read.problem);
    }
    // The document may have been opened while reading: the editor's text wins.
    if (root.files.get(file)?.open || this.isOpen(file)) return undefined;
    root.files.set(file, entry);
    root.generation++;
    return entry;
  }

  /** Takes in the open documents of a root whose version is not the one we have. */
  private syncOpenDocuments(root: SpecRoot): void {
    for (const doc of this.options.documents.all()) {
      if (this.rootKeyOf(doc.uri) !== root.key || !this.isSpecFile(doc.uri)) continue;
      const entry = root.files.get(fileKey(doc.uri));
      if (entry?.open && entry.version === doc.version) continue;
      root.files.set(fileKey(doc.uri), {
        uri: doc.uri,
        kind: inferSpecFileKind(uriPath(doc.uri) ?? doc.uri),
        text: doc.getText(),
        version: doc.version,
        open: true,
      });
      root.generation++;
    }
  }

  private isOpen(file: string): boolean {
    return this.options.documents.all().some((d) => uriPath(d.uri) === file);
  }

  /** An open document of the root was edited (or opened) since the entries were taken. */
  private hasNewerText(root: SpecRoot): boolean {
    for (const entry of root.files.values()) {
      if (entry.open && this.options.documents.get(entry.uri)?.version !== entry.version) return true;
    }
    return false;
  }

  private async build(root: SpecRoot, generation: number): Promise<SpecSnapshot> {
    let sliceStart = performance.now();
    const pause = async () => {
      await yieldToRequests();
      sliceStart = performance.now();
      if (root.generation !== generation || this.hasNewerText(root)) throw new SupersededError();
    };
    const checkpoint = () => (performance.now() - sliceStart < SLICE_MS ? Promise.resolve() : pause());
    // Cluster file first: buildModel takes the first cluster file, and hosts come in a stable order.
    const entries = [...root.files.values()].sort((a, b) => (a.kind === b.kind ? (a.uri < b.uri ? -1 : 1) : a.kind === 'cluster' ? -1 : 1));
    const chars = entries.reduce((n, e) => n + e.text.length, 0);
    const validate = this.options.validate !== false && !this.options.validatesElsewhere?.(chars, entries.length);
    for (const entry of entries) {
      if (!entry.parsed) {
        entry.parsed = await parseProgressively(
          entry.uri,
          entry.text,
          entry.version,
          entry.kind,
          this.lastParsedText.get(entry.uri),
          pause,
          validate,
        );
        this.lastParsedText.set(entry.uri, entry.text);
        entry.fileDiagnostics = undefined;
        await checkpoint();
      }
    }
    const files = entries.flatMap((e) => (e.parsed ? [e.parsed] : []));
    const model = buildModel(files);
    for (const entry of entries) {
      if (validate && entry.parsed && !entry.fileDiagnostics) {
        entry.fileDiagnostics = validateFile(entry.parsed);
        await checkpoint();
      }
    }
    const semantic = validate ? validateModel(model) : [];
    const diagnostics = new Map<string, SpecDiagnostic[]>();
    if (validate) for (const entry of entries) diagnostics.set(entry.uri, [...(entry.fileDiagnostics ?? [])]);
    for (const d of semantic) {
      const list = diagnostics.get(d.uri);
      if (list) list.push(d);
      else diagnostics.set(d.uri, [d]);
    }
    if (root.generation !== generation) throw new SupersededError();
    const byUri = new Map(files.map((f) => [f.uri, f]));
    const snapshot: SpecSnapshot = { root: root.key, generation, model, diagnostics, validated: validate, file: (uri) => byUri.get(uri) };
    root.snapshot = snapshot;
    return snapshot;
  }
}

function rootKeyOfPath(p: string): string {
  return inferSpecFileKind(p) === 'host' ? path.dirname(path.dirname(p)) : path.dirname(p);
}

function workerFile(e: FileEntry): SpecFileText {
  return { uri: e.uri, kind: e.kind, text: e.text, version: e.version, refused: e.refused };
}

function fileKey(uri: string): string {
  return uriPath(uri) ?? uri;
}

/** Filesystem path of a file: URI, undefined for other schemes (untitled documents). */
export function uriPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}
