// Runs one task per item with at most `limit` running at once; every item gets its own result (a failure on
// one host never hides the others), and cancelling stops the ones not yet started.

export type FanOutResult<I, T> =
  { item: I; ok: true; value: T; ms: number } | { item: I; ok: false; error: Error; ms: number; cancelled: boolean };

export interface FanOutOptions<I, T> {
  limit: number;
  signal?: AbortSignal;
  /** Called as each item finishes, in completion order. */
  onResult?(result: FanOutResult<I, T>): void;
}

export async function fanOut<I, T>(
  items: readonly I[],
  task: (item: I, signal: AbortSignal | undefined) => Promise<T>,
  options: FanOutOptions<I, T>,
): Promise<FanOutResult<I, T>[]> {
  const limit = Math.max(1, Math.floor(options.limit));
  const results = new Array<FanOutResult<I, T>>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index];
      const started = Date.now();
      let result: FanOutResult<I, T>;
      if (options.signal?.aborted) {
        result = { item, ok: false, error: new Error('Cancelled before it started.'), ms: 0, cancelled: true };
      } else {
        try {
          result = { item, ok: true, value: await task(item, options.signal), ms: Date.now() - started };
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          result = { item, ok: false, error, ms: Date.now() - started, cancelled: options.signal?.aborted ?? false };
        }
      }
      results[index] = result;
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
