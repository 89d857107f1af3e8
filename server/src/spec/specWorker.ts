// The validation worker (bundled as dist/specWorker.js): parses and validates the files of a big spec root on
// its own thread, so the server's thread stays free to answer requests (a hover on another spec must not wait
// seconds behind a 2,000-host cluster.yaml). It keeps each file's parse while its text is unchanged, so an edit
// of one file re-parses only that file (and core's chunk cache re-parses only the changed host of a big one).
// Requests are not served here: they need the model on the server's thread, built only when one is asked for.

import { parentPort, workerData } from 'node:worker_threads';
import type { Diagnostic } from 'vscode-languageserver/node';
import { buildModel, forgetParsedFile, type ParsedSpecFile, parseSpecFile, refusedSpecFile, type SpecDiagnostic } from '#core/spec';
import { capPerFile, type SpecFileText, validateFile, validateModel } from '#core/validate';
import { toLspDiagnostic } from './convert';
import { lowerThreadPriority } from '../lsp/threadPriority';

/** How far below the server's thread the worker runs (nice steps): a request outruns a validation on a busy machine. */
const WORKER_NICE_STEPS = 10;

export interface WorkerJob {
  id: number;
  root: string;
  files: SpecFileText[];
}
/**
 * Files of a big root as the server reads them from disk, before the job that will include them: parsing them
 * while the rest is read overlaps the two (for 50,000 host files, reading alone takes seconds).
 */
export interface WorkerReadAhead {
  root: string;
  readAhead: SpecFileText[];
}
export type WorkerReply =
  { id: number; diagnostics: [string, Diagnostic[]][] } | { id: number; superseded: true } | { id: number; error: string };

/** Shared with the server's thread: slot 0 holds the id of a job to abandon (a newer one for its root is waiting). */
export interface WorkerData {
  abort: SharedArrayBuffer;
}

class Superseded extends Error {}

function serve(port: NonNullable<typeof parentPort>, abort: Int32Array): void {
  const parsedByUri = new Map<string, { text: string; version: number; parsed: ParsedSpecFile }>();
  const urisByRoot = new Map<string, Set<string>>();
  /** The file's parse, reused while its text and version are the ones parsed. */
  const parse = (f: SpecFileText): ParsedSpecFile => {
    const known = parsedByUri.get(f.uri);
    if (known && known.text === f.text && !f.refused && known.version === f.version) return known.parsed;
    const file = f.refused
      ? refusedSpecFile(f.uri, f.kind, f.refused)
      : parseSpecFile(f.uri, f.text, f.version, f.kind, { positionsOnDemand: true });
    parsedByUri.set(f.uri, { text: f.text, version: f.version, parsed: file });
    return file;
  };
  port.on('message', (message: WorkerJob | WorkerReadAhead) => {
    if ('readAhead' in message) {
      // counted in the root's files, so the next job forgets those that left it meanwhile
      const uris = urisByRoot.get(message.root) ?? new Set<string>();
      urisByRoot.set(message.root, uris);
      // the file checks are cached with the parse (validateFile keeps them per parsed file)
      for (const f of message.readAhead) {
        uris.add(f.uri);
        validateFile(parse(f));
      }
      return;
    }
    const job = message;
    // files that left the root (deleted, renamed) are forgotten
    const now = new Set(job.files.map((f) => f.uri));
    for (const uri of urisByRoot.get(job.root) ?? [])
      if (!now.has(uri)) {
        parsedByUri.delete(uri);
        forgetParsedFile(uri);
      }
    urisByRoot.set(job.root, now);
    const check = () => {
      if (Atomics.load(abort, 0) === job.id) throw new Superseded();
    };
    try {
      // cluster file first: buildModel takes the first one
      const files = [...job.files].sort((a, b) => (a.kind === b.kind ? (a.uri < b.uri ? -1 : 1) : a.kind === 'cluster' ? -1 : 1));
      const parsed: ParsedSpecFile[] = [];
      for (const [i, f] of files.entries()) {
        if (i % 64 === 0) check();
        parsed.push(parse(f));
      }
      const model = buildModel(parsed);
      const byUri = new Map<string, SpecDiagnostic[]>();
      for (const [i, file] of parsed.entries()) {
        if (i % 64 === 0) check();
        byUri.set(file.uri, [...validateFile(file)]);
      }
      check();
      for (const d of validateModel(model)) {
        const list = byUri.get(d.uri);
        if (list) list.push(d);
        else byUri.set(d.uri, [d]);
      }
      const diagnostics: [string, Diagnostic[]][] = [...byUri].map(([uri, list]) => [uri, capPerFile(list).map(toLspDiagnostic)]);
      port.postMessage({ id: job.id, diagnostics } satisfies WorkerReply);
    } catch (err) {
      port.postMessage(
        err instanceof Superseded ? { id: job.id, superseded: true } : { id: job.id, error: (err as Error).stack ?? String(err) },
      );
    }
  });
}

if (parentPort && (workerData as WorkerData | undefined)?.abort) {
  lowerThreadPriority(WORKER_NICE_STEPS);
  serve(parentPort, new Int32Array((workerData as WorkerData).abort));
}
