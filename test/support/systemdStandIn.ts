// The part of systemd (PID 1) that `systemctl start` talks to, for a machine without systemd: it starts instances of
// template units as root, after asking polkit, the way systemd's documentation and source describe it.
//   - systemctl(1): `start UNIT` enqueues a start job and, unless --no-block, waits until it is done; a failed job is
//     reported as "Job for UNIT failed because the control process exited with error code." and a non-zero exit;
//     --no-ask-password means no polkit agent is asked, so anything short of an outright yes is refused;
//   - systemd.unit(5): `foo@bar.service` is an instance of the template `foo@.service`; unit names are at most 255
//     characters of ASCII letters, digits, ":", "-", "_", ".", and "\", with a type suffix; in the template's
//     settings `%i` is the instance name as written, `%%` a single "%";
//   - systemd.service(5), COMMAND LINES: ExecStart= is split into words at whitespace, a word in double quotes may hold
//     whitespace and C-style escapes, "$$" is a single "$"; Type=oneshot: the start job is done when the process has
//     exited, and failed when it exited with a non-zero status;
//   - systemctl(1) `is-active UNIT` prints the unit's state (a oneshot is "activating" while its program runs, then
//     "inactive", or "failed" when it failed) and exits 0 only for "active" (3 otherwise, the LSB "not running"); a
//     query needs no authorization;
//   - a start of a unit whose start job is still running joins that job (systemd.unit(5), jobs are merged): it waits
//     for the same outcome and runs nothing again;
//   - polkit: an unprivileged caller's start of a unit is authorized by org.freedesktop.systemd1.manage-units with the
//     details unit (the unit's name) and verb ("start") (systemd commit 88ced61); root's calls need no authorization.
// The unit's output goes to the journal, never back to systemctl: here, to `journal`.
// The callers are processes of this machine; the user a caller's uid resolves to comes from `users` (for a DynamicUser
// service, nss-systemd resolves its dynamically allocated uid to the User= name: systemd.exec(5)).
import { spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import { polkitRules } from './polkitStandIn';

export interface TemplateUnit {
  /** ExecStart= as the unit file has it. */
  execStart: string;
}

export interface SystemdStandInOptions {
  socket: string;
  /** Template units by name, e.g. `gpu-cluster-container@.service`. */
  templates: Record<string, TemplateUnit>;
  /** The polkit rules (the rules files' JavaScript). */
  polkitRules: string;
  /** uid → user name. */
  users: Record<number, string>;
  /** Where the machine's paths are on this one: each argv word that starts with a key starts with its value instead. */
  paths?: Record<string, string>;
  /** The environment units run with. */
  env?: NodeJS.ProcessEnv;
}

export type StartOutcome = 'done' | 'failed' | 'access-denied' | 'interactive-authentication-required' | 'not-found' | 'invalid-name';

const UNIT_NAME = /^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.(service|socket|target|device|mount|automount|swap|timer|path|slice|scope)$/;

/** An ExecStart= line as argv: words, quoting and escapes, `%` specifiers from `specifiers` (others left), `$$`. */
export function execArgv(line: string, specifiers: Record<string, string> = {}): string[] {
  const expand = (word: string) =>
    word.replace(/%(.)/g, (all, c: string) => (c === '%' ? '%' : (specifiers[c] ?? all))).replace(/\$\$/g, '$');
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    expand(m[1] === undefined ? m[2] : (JSON.parse(`"${m[1]}"`) as string)),
  );
}

export class SystemdStandIn {
  readonly journal: { unit: string; text: string }[] = [];
  readonly starts: { unit: string; user: string; outcome: StartOutcome }[] = [];
  private server: net.Server | undefined;
  private readonly running = new Map<string, Promise<StartOutcome>>();
  private readonly states = new Map<string, 'inactive' | 'failed'>();
  private readonly allowed: ReturnType<typeof polkitRules>;

  constructor(private readonly options: SystemdStandInOptions) {
    this.allowed = polkitRules(options.polkitRules);
  }

  async listen(): Promise<void> {
    rmSync(this.options.socket, { force: true });
    this.server = net.createServer((socket) => {
      let buffer = '';
      socket.on('data', (d) => {
        buffer += d;
        const end = buffer.indexOf('\n');
        if (end < 0) return;
        const request = JSON.parse(buffer.slice(0, end)) as { verb: string; unit: string; uid: number };
        if (request.verb === 'is-active') socket.end(`${JSON.stringify({ state: this.state(request.unit) })}\n`);
        else void this.start(request.unit, request.uid).then((outcome) => socket.end(`${JSON.stringify({ outcome })}\n`));
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.options.socket, resolve));
    // Anyone may talk to PID 1; polkit decides what they may do.
    chmodSync(this.options.socket, 0o666);
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  state(unit: string): string {
    return this.running.has(unit) ? 'activating' : (this.states.get(unit) ?? 'inactive');
  }

  async start(unit: string, uid: number): Promise<StartOutcome> {
    const user = this.options.users[uid] ?? String(uid);
    const outcome = await this.decide(unit, uid, user);
    this.starts.push({ unit, user, outcome });
    return outcome;
  }

  private async decide(unit: string, uid: number, user: string): Promise<StartOutcome> {
    if (unit.length > 255 || !UNIT_NAME.test(unit)) return 'invalid-name';
    const at = unit.indexOf('@');
    const suffix = unit.slice(unit.lastIndexOf('.'));
    const template = at < 0 ? undefined : this.options.templates[`${unit.slice(0, at + 1)}${suffix}`];
    if (!template) return 'not-found';
    if (uid !== 0) {
      const result = this.allowed({ action: 'org.freedesktop.systemd1.manage-units', details: { unit, verb: 'start' }, user });
      if (result === 'no') return 'access-denied';
      if (result !== 'yes') return 'interactive-authentication-required';
    }
    const joined = this.running.get(unit);
    if (joined) return joined;
    const instance = unit.slice(at + 1, unit.length - suffix.length);
    const argv = execArgv(template.execStart, { i: instance }).map((word) => this.mapPath(word));
    const job = this.run(unit, argv);
    this.running.set(unit, job);
    const outcome = await job;
    this.running.delete(unit);
    this.states.set(unit, outcome === 'done' ? 'inactive' : 'failed');
    return outcome;
  }

  private run(unit: string, argv: string[]): Promise<StartOutcome> {
    return new Promise((resolve) => {
      const child = spawn(argv[0], argv.slice(1), { env: this.options.env ?? {}, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (text += d));
      child.on('error', (err) => {
        this.journal.push({ unit, text: err.message });
        resolve('failed');
      });
      child.on('close', (code) => {
        this.journal.push({ unit, text });
        resolve(code === 0 ? 'done' : 'failed');
      });
    });
  }

  private mapPath(word: string): string {
    for (const [from, to] of Object.entries(this.options.paths ?? {})) if (word.startsWith(from)) return to + word.slice(from.length);
    return word;
  }
}
