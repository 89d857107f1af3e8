// The guard phase of the end-to-end run: opening a workspace contacts nothing the user did not ask for.
// Every example in examples/ is opened, unchanged (its 10.x addresses are someone else's network), in a window of
// a code-server run under strace, once trusted and once in Restricted Mode, and left alone for a while after the
// extension has drawn its views. strace records every connect() of the whole code-server process tree, with the
// clones and execs that tell which process is the extension host (and its children: the language server).
// Asserted from the trace:
//   - trusted: no process connects to any address a spec names, and the extension host's tree makes no network
//     connection off loopback, before the user chooses Connect to Cluster;
//   - Restricted Mode: the extension host's tree makes no network connection at all.
// The whole run is inside the loopback-only namespace, so a failure here has sent no packet either.
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './setup.mjs';

export const GUARD_MODES = ['trusted', 'restricted'];
/** How long each window is left alone once the extension has drawn its views (timers, retries, polling). */
const DWELL_MS = 10_000;
const EXAMPLES = path.join(repoRoot, 'examples');

/** strace in front of a command: connects, and the process tree's clones and execs, of every thread. */
export function traceCommand(file) {
  return [
    'strace',
    '-f',
    '-qq',
    '--seccomp-bpf',
    '-s',
    '200',
    '-e',
    'trace=connect,execve,clone,clone3,fork,vfork',
    '-e',
    'signal=none',
    '-o',
    file,
  ];
}

/** Every IP address and URL host named in an example's spec files. */
export function specAddresses(folder) {
  const texts = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const at = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(at);
      else if (/\.ya?ml$/.test(entry.name)) texts.push(readFileSync(at, 'utf8'));
    }
  };
  walk(folder);
  const found = new Set();
  for (const text of texts) {
    for (const m of text.matchAll(/\b(\d{1,3}(?:\.\d{1,3}){3})(?:\/\d+)?\b/g)) found.add(m[1]);
    for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/\[?([^\]/:\s'"]+)/gi)) found.add(m[1]);
    // IPv6 (anything of hex groups and at least two colons; a stray match only makes the check stricter).
    for (const m of text.matchAll(/(?<![\w:.])((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4})(?![\w:])/gi)) found.add(m[1].toLowerCase());
  }
  return found;
}

/**
 * Reads an strace -f log: the parent of each process or thread, the argv of each exec, and each connect with its
 * family and address.
 */
export function parseTrace(text) {
  const parent = new Map();
  const argv = new Map();
  const connects = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [pid, call] = [Number(m[1]), m[2]];
    const child = /^(?:<\.\.\. )?(?:clone3?|v?fork)\b.*=\s+(\d+)\s*$/.exec(call);
    if (child) {
      parent.set(Number(child[1]), pid);
      continue;
    }
    const exec = /^execve\("[^"]*", \[(.*?)\](?:, |\.\.\.)/.exec(call);
    if (exec) {
      argv.set(pid, exec[1]);
      continue;
    }
    const conn = /^connect\(\d+, \{sa_family=(AF_[A-Z0-9]+)(.*?)\}, \d+\)\s*=\s*(.*)$/.exec(call);
    if (conn) {
      const [, family, rest, result] = conn;
      const address =
        /inet_addr\("([^"]+)"\)/.exec(rest)?.[1] ??
        /inet_pton\(AF_INET6, "([^"]+)"/.exec(rest)?.[1] ??
        /sun_path="([^"]*)"/.exec(rest)?.[1] ??
        '';
      const port = Number(/htons\((\d+)\)/.exec(rest)?.[1] ?? 0);
      connects.push({ pid, family, address, port, result: result.trim() });
    }
  }
  const ancestry = (pid) => {
    const chain = [];
    for (let p = pid, guard = 0; p !== undefined && guard < 10_000; p = parent.get(p), guard++) chain.push(p);
    return chain;
  };
  /** True when pid is, or descends from, a process whose exec matches `pattern`. */
  const within = (pid, pattern) => ancestry(pid).some((p) => pattern.test(argv.get(p) ?? ''));
  const execs = (pattern) => [...argv.entries()].filter(([, a]) => pattern.test(a)).map(([p]) => p);
  return { connects, within, execs };
}

const EXTENSION_HOST = /--type=extensionHost/;
const isLoopback = (address) => /^127\./.test(address) || address === '::1' || address === '::ffff:127.0.0.1';
const network = (c) => c.family === 'AF_INET' || c.family === 'AF_INET6';
const describeConnect = (c) => `${c.family} ${c.address}${c.port ? `:${c.port}` : ''} (pid ${c.pid}) = ${c.result}`;

/**
 * Runs the guard in both modes side by side. `deps`: startCodeServer(options) → base URL, newPage() → page, log,
 * runDir, copyTo(name) → a fresh folder under the run folder.
 */
export async function runGuard(deps) {
  const examples = readdirSync(EXAMPLES)
    .filter((e) => existsSync(path.join(EXAMPLES, e, 'cluster.yaml')))
    .sort();
  return Promise.all(GUARD_MODES.map((mode) => guardMode(deps, mode, examples)));
}

async function guardMode({ startCodeServer, newPage, log, runDir }, mode, examples) {
  const results = [];
  const traceFile = path.join(runDir, `guard-${mode}.strace`);
  const { base, stop } = await startCodeServer({ name: `guard-${mode}`, trusted: mode === 'trusted', env: {}, trace: traceFile });
  const page = await newPage();
  const opened = [];
  try {
    for (const example of examples) {
      const folder = path.join(runDir, `guard-${mode}-${example}`);
      cpSync(path.join(EXAMPLES, example), folder, { recursive: true });
      // Traced, everything is slower: generous bounds (they only bound the wait, they assert nothing).
      await page.goto(`${base}/?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
      // The extension has activated, read the spec and drawn the Nodes view: the row that says live state is off.
      const container = page.locator('.activitybar [aria-label^="GPU Cluster"]').first();
      await container.waitFor({ timeout: 120_000 });
      const expected = mode === 'trusted' ? 'Not connected' : 'Live state needs a trusted workspace';
      const row = page
        .locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Nodes' }) })
        .locator('.monaco-list-row', { hasText: expected })
        .first();
      if (!(await row.isVisible())) {
        if (!(await page.locator('.sidebar .pane-header', { hasText: 'Nodes' }).first().isVisible())) await container.click();
        await row.waitFor({ timeout: 60_000 });
      }
      log(`guard (${mode}): ${example} open, the Nodes view says "${expected}"; watching for ${DWELL_MS / 1000} s`);
      await page.waitForTimeout(DWELL_MS);
      opened.push(example);
    }
    await page.goto('about:blank');
  } catch (err) {
    results.push({ phase: 'guard', name: `guard (${mode}): open every example`, ok: false, error: String(err?.stack ?? err) });
  } finally {
    await page
      .context()
      .close()
      .catch(() => {});
    await stop();
  }
  const trace = parseTrace(readFileSync(traceFile, 'utf8'));
  const hosts = trace.execs(EXTENSION_HOST);
  const fromExtensionHost = trace.connects.filter((c) => trace.within(c.pid, EXTENSION_HOST));
  const check = (name, problems) =>
    results.push({ phase: 'guard', name: `guard (${mode}): ${name}`, ok: problems.length === 0, error: problems.join('\n') });
  log(
    `guard (${mode}): ${trace.connects.length} connects traced, ${fromExtensionHost.length} from ${hosts.length} extension host process trees`,
  );
  check(
    `each example opened in its own extension host (${opened.join(', ')})`,
    hosts.length >= examples.length && opened.length === examples.length
      ? []
      : [`opened ${opened.length}/${examples.length} examples, ${hosts.length} extension hosts traced`],
  );
  for (const example of examples) {
    const named = specAddresses(path.join(EXAMPLES, example));
    const hits = trace.connects.filter((c) => named.has(c.address));
    check(`opening ${example} connects to none of its ${named.size} addresses`, hits.map(describeConnect));
  }
  if (mode === 'trusted') {
    check(
      'the extension host makes no connection off loopback before the user connects',
      fromExtensionHost.filter((c) => network(c) && !isLoopback(c.address)).map(describeConnect),
    );
  } else {
    check('Restricted Mode: the extension host makes no network connection at all', fromExtensionHost.filter(network).map(describeConnect));
  }
  return results;
}
