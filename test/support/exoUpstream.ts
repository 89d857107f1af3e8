// Where exo's pinned source is (../shared/upstream/exo beside the clone, or two levels up from a worktree), and
// the Python that runs exo's models for test/fixtures/exo/py (python3 with pydantic 2), when this machine has them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');

export function exoUpstream(): string | undefined {
  if (process.env.EXO_ROOT) return process.env.EXO_ROOT;
  // UPSTREAM_DIR as for nixpkgs' lib (test/support/upstream.ts), then beside the clone or a worktree.
  return [
    process.env.UPSTREAM_DIR && path.join(process.env.UPSTREAM_DIR, 'exo'),
    path.join(REPO, '../shared/upstream/exo'),
    path.join(REPO, '../../shared/upstream/exo'),
  ].find((dir): dir is string => !!dir && existsSync(path.join(dir, 'src/exo')));
}

/** python3, if it can import pydantic 2 (what make_fixtures.py needs besides exo's source). */
export function pythonWithPydantic(): string | undefined {
  try {
    const version = execFileSync('python3', ['-c', 'import pydantic; print(pydantic.VERSION)'], {
      encoding: 'utf8',
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return version.startsWith('2.') ? 'python3' : undefined;
  } catch {
    return undefined;
  }
}
