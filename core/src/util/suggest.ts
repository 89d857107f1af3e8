// "Did you mean …?": the closest candidate by edit distance, when it is close enough to be a typo.

/** Edit distance where swapping two neighbouring letters counts as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  let cur = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        cur[j] = Math.min(cur[j], before[j - 2] + 1);
      }
    }
    [before, prev, cur] = [prev, cur, before];
  }
  return prev[b.length];
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * The best candidate within a distance that grows with the word's length (1 for short words, up to 3). Of
 * equally close candidates, the one sharing the longest start with the word wins: people get the start of a
 * name right and miss its end (`gpu` is `gpus`, not `cpu`).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  let bestPrefix = -1;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    if (c === word) continue;
    const candidate = c.toLowerCase();
    const d = candidate === lower ? 0.5 : editDistance(lower, candidate);
    if (d > bestDistance) continue;
    const prefix = commonPrefix(lower, candidate);
    if (d < bestDistance || prefix > bestPrefix) {
      bestDistance = d;
      best = c;
      bestPrefix = prefix;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
