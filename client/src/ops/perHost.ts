// Runs an operation on several hosts at once (bounded), under one cancellable progress notification, and
// reports each host's result; a failure on one host never hides the others.

import * as vscode from 'vscode';
import { fanOut, type FanOutResult } from '#core/ops';
import type { HostSpec } from '#core/spec';
import type { ErrorAction, SshAdvice } from './sshErrorActions';

export interface PerHostRun<T> {
  title: string;
  hosts: HostSpec[];
  limit: number;
  task(host: HostSpec, signal: AbortSignal, progress: (message: string, increment?: number) => void): Promise<T>;
  /** One line per host for the summary; defaults to "ok" / the error. */
  describe?(result: FanOutResult<HostSpec, T>): string;
  /** Whether a fulfilled task counts as a success (e.g. a deploy outcome with ok: false does not). */
  succeeded?(value: T): boolean;
  output: vscode.LogOutputChannel;
  /** What to check and what to do about one host's failure (e.g. sshAdvice), offered on the error message. */
  advice?(error: Error, host: HostSpec): SshAdvice;
}

export async function runPerHost<T>(run: PerHostRun<T>): Promise<FanOutResult<HostSpec, T>[]> {
  const results = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: run.title, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      const share = 100 / run.hosts.length;
      let done = 0;
      return fanOut(
        run.hosts,
        (host) =>
          run.task(host, controller.signal, (message, increment = 0) =>
            progress.report({ message: `${host.name}: ${message}`, increment: increment * share }),
          ),
        {
          limit: run.limit,
          signal: controller.signal,
          onResult: (r) => progress.report({ message: `${++done}/${run.hosts.length} done (${r.item.name}: ${r.ok ? 'done' : 'failed'})` }),
        },
      );
    },
  );
  const ok = (r: FanOutResult<HostSpec, T>) => r.ok && (run.succeeded?.(r.value) ?? true);
  const describe = run.describe ?? ((r) => (r.ok ? 'ok' : r.error.message));
  for (const r of results) run.output[ok(r) ? 'info' : 'warn'](`${run.title} — ${r.item.name}: ${describe(r)}`);
  const failed = results.filter((r) => !ok(r));
  if (failed.length === 0) {
    void vscode.window.showInformationMessage(
      `${run.title}: ${results.length === 1 ? results[0].item.name : `all ${results.length} hosts`} done.`,
    );
  } else {
    const lines = failed.map((r) => `${r.item.name}: ${describe(r)}`);
    // One failed host: what to check and what to do about it, on the message. Several: the log has each.
    const advice = failed.length === 1 && !failed[0].ok && run.advice ? run.advice(failed[0].error, failed[0].item) : { actions: [] };
    const showLog: ErrorAction = { title: 'Show Log', run: async () => run.output.show() };
    const actions = [...advice.actions, ...(results.length > 1 ? [showLog] : [])];
    void vscode.window
      .showErrorMessage(
        `${run.title}: ${failed.length} of ${results.length} failed — ${lines.join(' | ')}${advice.hint ? ` ${advice.hint}` : ''}`,
        ...actions.map((a) => a.title),
      )
      .then((choice) => actions.find((a) => a.title === choice)?.run());
  }
  return results;
}
