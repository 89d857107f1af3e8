// Pushes diagnostics: debounced per document, one run at a time per validation scope (a newer request
// cancels the run in flight), results cached by (uri, version) so an unchanged document is not re-sent.
// Languages do the validation (LanguageFeatures.diagnostics); this file only decides when and publishes.

import { CancellationTokenSource, type Connection, type Diagnostic } from 'vscode-languageserver/node';
import type { LanguageFeatures } from './languages';

interface Published {
  version: number | undefined;
  key: string;
}

export interface DiagnosticsSchedulerOptions {
  connection: Connection;
  debounceMs(): number;
  /** Version of an open document; undefined when the file is only on disk. */
  versionOf(uri: string): number | undefined;
  log(message: string): void;
}

export class DiagnosticsScheduler {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; language: LanguageFeatures }>();
  /** Running validation per scope, cancelled when a newer run of the same scope starts. */
  private readonly running = new Map<string, CancellationTokenSource>();
  /** Per scope: the uris waiting for the run in flight to finish, so they are validated right after it. */
  private readonly queued = new Map<string, Map<string, LanguageFeatures>>();
  private readonly published = new Map<string, Published>();

  constructor(private readonly options: DiagnosticsSchedulerOptions) {}

  /** Validate `uri` after the debounce delay; a later call for the same uri restarts the delay. */
  schedule(uri: string, language: LanguageFeatures, delayMs = this.options.debounceMs()): void {
    const pending = this.timers.get(uri);
    if (pending) clearTimeout(pending.timer);
    // A newer edit makes the run in flight pointless: stop it now rather than after the delay.
    this.running.get(this.scopeOf(uri, language))?.cancel();
    const timer = setTimeout(() => {
      this.timers.delete(uri);
      void this.run(uri, language);
    }, delayMs);
    this.timers.set(uri, { timer, language });
  }

  /** Forget a closed document: stop its pending work and clear what was published for it. */
  clear(uri: string): void {
    const pending = this.timers.get(uri);
    if (pending) clearTimeout(pending.timer);
    this.timers.delete(uri);
    this.published.delete(uri);
    void this.options.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  dispose(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    for (const source of this.running.values()) source.cancel();
    this.timers.clear();
  }

  private scopeOf(uri: string, language: LanguageFeatures): string {
    return `${language.id}:${language.validationScope?.(uri) ?? uri}`;
  }

  private async run(uri: string, language: LanguageFeatures): Promise<void> {
    const scope = this.scopeOf(uri, language);
    if (this.running.has(scope)) {
      // Let the cancelled run unwind first; this uri is validated as soon as it has.
      this.running.get(scope)!.cancel();
      let waiting = this.queued.get(scope);
      if (!waiting) this.queued.set(scope, (waiting = new Map()));
      waiting.set(uri, language);
      return;
    }
    const source = new CancellationTokenSource();
    this.running.set(scope, source);
    try {
      const results = await language.diagnostics(uri, source.token);
      if (!source.token.isCancellationRequested) this.publish(results);
    } catch (err) {
      if (!source.token.isCancellationRequested) this.options.log(`validation of ${uri} failed: ${(err as Error).stack ?? err}`);
    } finally {
      this.running.delete(scope);
      source.dispose();
      const waiting = this.queued.get(scope);
      if (waiting) {
        this.queued.delete(scope);
        for (const [next, lang] of waiting) if (!this.timers.has(next)) void this.run(next, lang);
      }
    }
  }

  private publish(results: Map<string, Diagnostic[]>): void {
    for (const [uri, diagnostics] of results) {
      const version = this.options.versionOf(uri);
      const key = JSON.stringify(diagnostics);
      const last = this.published.get(uri);
      // Re-sent when the version moved even if unchanged, so the client knows they match the new text.
      if (last && last.version === version && last.key === key) continue;
      // A file that is not open and never had any: nothing to clear (a cluster may have thousands).
      if (!last && version === undefined && diagnostics.length === 0) continue;
      this.published.set(uri, { version, key });
      void this.options.connection.sendDiagnostics({ uri, version, diagnostics });
    }
  }
}
