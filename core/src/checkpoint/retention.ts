// Which checkpoints to keep: the newest `retain` of each group (a policy keeps that many per unit), the rest go.
// One rule for every store (a host's folder, the NATS object store, S3), so they all delete the same ones.

export interface RetentionPlan<T> {
  keep: T[];
  remove: T[];
}

/**
 * Groups items by `groupOf`, orders each group newest first by `createdAt` (ISO 8601, so text order is time
 * order) and keeps the first `retain` of each. `retain` below 1 keeps one: a policy never deletes the checkpoint
 * it has just taken.
 */
export function retentionPlan<T>(
  items: readonly T[],
  retain: number,
  groupOf: (item: T) => string,
  createdAt: (item: T) => string,
): RetentionPlan<T> {
  const limit = Math.max(1, Math.floor(retain));
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = groupOf(item);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(item);
  }
  const keep: T[] = [];
  const remove: T[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => createdAt(b).localeCompare(createdAt(a)));
    keep.push(...list.slice(0, limit));
    remove.push(...list.slice(limit));
  }
  return { keep, remove };
}
