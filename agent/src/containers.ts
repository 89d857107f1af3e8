// The agent's container service: `container.{create,start,stop,destroy,list,status}` drive `nixos-container` on the
// host (command lines and output: core/src/ops/containers.ts), every change becomes an event, and containers that
// neither the host's NixOS configuration declares nor the spec names are reported as drift.
//
// No change is lost to a crash: before the tool runs, the operation is written to a journal in the state directory
// and a `container-creating` event (for create) is recorded in the outbox; the outcome event is recorded when the tool
// ends. An agent that starts with operations still in its journal (it was restarted mid-way) looks at what the tool
// left behind and records the outcome then. Through the root unit (`unit`) the tool is no child of the agent's and runs
// on: the agent that comes back first waits until the unit has answered (or is no longer running).
//
// What the agent reads itself, without running the tool every second for telemetry:
//   - the containers: the *.conf files of the configuration directory, as `nixos-container list` does;
//   - declarative or not: nixos-containers.nix (nixpkgs 00ef614) writes a declarative container's .conf through
//     environment.etc, a link into the Nix store, while `nixos-container create` writes a regular file;
//   - running or not: the unit container@<name> runs in Slice=machine.slice (nixos-containers.nix), so its cgroup
//     machine.slice/container@<name>.service exists while it runs, with memory.current and cpu.stat (cgroup v2).

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServiceMsg } from '@nats-io/services';
import { type ContainerSample, type EventAction, NOT_HANDLED_BY_AGENT } from '#core/nats';
import {
  type ContainerUnitResult,
  containerUnitInstance,
  createRequest,
  type CreateRequest,
  parseContainerList,
  parseContainerStatus,
  parseContainerUnitResult,
  parseCreateOutput,
  requestedName,
  toolArgs,
  type ContainerVerb,
} from '#core/ops';

export interface ContainerOptions {
  /** argv of `nixos-container`, or with `unit` of `systemctl`; unset: the commands answer 501. */
  tool?: string[];
  /**
   * nixos-container needs root and the agent runs without privileges: with this, each call is the root template unit
   * `<template>@<instance>.service` (nix-templates/modules/gpu-cluster-agent.nix), started with `systemctl start`,
   * which a polkit rule allows the agent's user for exactly those units. The call's details go in
   * `<requests>/<instance>.json` (the agent's own directory), its outcome comes back in `<results>/<instance>.json`.
   */
  unit?: { template: string; requests: string; results: string };
  /** The file system the paths below are in (`/` on a host). */
  root: string;
  /** Names of the spec's containers for this host (from the deployed configuration). */
  declared: readonly string[];
}

type Headers = { get(key: string): string } | undefined;
type Record = (action: EventAction, data: unknown, headers?: Headers, ids?: { correlationId?: string; causationId?: string }) => void;

interface PendingOperation {
  verb: ContainerVerb;
  name: string;
  correlationId?: string;
  causationId?: string;
  startedAt: string;
  /** With the root unit: the call's nonce, which its result will carry. */
  nonce?: string;
}

const TOOL_TIMEOUT_MS = { create: 60 * 60_000, other: 5 * 60_000 };

/** Where nixos-containers keeps what the agent reads, below the root. */
const PATHS = {
  // nixos-containers.nix (00ef614): configurationDirectory /etc/nixos-containers from stateVersion 22.05
  config: 'etc/nixos-containers',
  // nixos-container.pl (1b87194): the container's system profile, set once its configuration is built
  profiles: 'nix/var/nix/profiles/per-container',
  // the cgroup v2 mount; container@<name> runs in machine.slice
  machines: 'sys/fs/cgroup/machine.slice',
};

export class ContainerError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export class ContainerService {
  private queue: Promise<unknown> = Promise.resolve();
  private changing = 0;
  private lastDrift: string | undefined;
  private lastCpu = new Map<string, { usec: number; at: number }>();
  /** Unit calls by instance: one request file per instance, so calls of the same instance wait for each other. */
  private unitCalls = new Map<string, Promise<unknown>>();

  constructor(
    private readonly options: ContainerOptions,
    private readonly stateDir: string | undefined,
    private readonly record: Record,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void,
  ) {}

  get enabled(): boolean {
    return !!this.options.tool?.length;
  }

  /** Answers a `container.<verb>` request. */
  async handle(verb: ContainerVerb, msg: ServiceMsg): Promise<unknown> {
    if (!this.enabled) throw new ContainerError('containers are not managed by this agent (no --container-tool)', NOT_HANDLED_BY_AGENT);
    const request: unknown = msg.data.length ? msg.json() : {};
    if (verb === 'list') return this.list();
    if (verb === 'status') return this.status(requestedName(request));
    // Changes run one at a time: the journal then holds at most one operation, and the tool's own lock never waits.
    this.changing++;
    const run = this.queue
      .then(() => this.change(verb, request, msg.headers))
      .finally(() => {
        this.changing--;
      });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async change(verb: Exclude<ContainerVerb, 'list' | 'status'>, request: unknown, headers: Headers): Promise<unknown> {
    const create = verb === 'create' ? createRequest(request) : undefined;
    const name = create?.name ?? requestedName(request);
    const ids = { correlationId: headers?.get('X-Correlation-ID') || undefined, causationId: headers?.get('X-Causation-ID') || undefined };
    const nonce = randomUUID();
    await this.journal({ verb, name, ...ids, startedAt: new Date().toISOString(), nonce: this.options.unit ? nonce : undefined });
    if (create)
      this.record(
        'container-creating',
        { name, services: create.services, hostAddress: create.hostAddress, localAddress: create.localAddress },
        headers,
      );
    let result: { stdout: string; stderr: string };
    try {
      result = await this.nixosContainer(verb, name, create, verb === 'create' ? TOOL_TIMEOUT_MS.create : TOOL_TIMEOUT_MS.other, nonce);
    } catch (err) {
      this.record('container-failed', { name, verb, error: (err as Error).message }, headers);
      await this.journal(undefined);
      throw new ContainerError(`nixos-container ${verb} ${name}: ${(err as Error).message}`, 500);
    }
    const outcome = await this.outcome(verb, name, create && parseCreateOutput(result.stderr));
    this.record(outcome.action, outcome.data, headers);
    await this.journal(undefined);
    await this.checkDrift(undefined, true);
    return outcome.data;
  }

  private async outcome(
    verb: Exclude<ContainerVerb, 'list' | 'status'>,
    name: string,
    addresses?: { hostAddress: string; localAddress: string },
  ): Promise<{ action: EventAction; data: { [key: string]: unknown } }> {
    const info = await this.describe(name);
    const action: EventAction =
      verb === 'create'
        ? 'container-created'
        : verb === 'start'
          ? 'container-started'
          : verb === 'stop'
            ? 'container-stopped'
            : 'container-destroyed';
    return { action, data: { name, ...addresses, ...(verb === 'destroy' ? {} : info) } };
  }

  /** After a restart: the operation the previous agent did not finish, judged by what the tool left. */
  async recover(): Promise<void> {
    const pending = await this.readJournal();
    if (!pending) return;
    const unit = this.options.unit;
    if (unit && pending.nonce) {
      // The root unit is not the agent's child: it runs on after a restart. Its outcome is judged once it has answered;
      // commands wait behind it, as behind any change.
      const nonce = pending.nonce;
      this.changing++;
      const judged = this.queue
        .then(() => this.unitResult(unit, containerUnitInstance(pending.verb, pending.name), nonce, TOOL_TIMEOUT_MS.create))
        .then(() => this.judge(pending))
        .finally(() => {
          this.changing--;
        });
      this.queue = judged.catch((err: Error) => this.log('error', `container recovery: ${err.message}`));
      return;
    }
    await this.judge(pending);
  }

  /** Records the outcome of an operation a restart interrupted, from what nixos-container left. */
  private async judge(pending: PendingOperation): Promise<void> {
    const exists = (await this.names()).includes(pending.name);
    const info = exists ? await this.describe(pending.name) : undefined;
    // create writes the .conf first and sets the profile once the system is built: a .conf alone is a half-made container.
    const built =
      exists &&
      (await lstat(this.path('profiles', pending.name, 'system')).then(
        () => true,
        () => false,
      ));
    const done =
      pending.verb === 'create'
        ? built
        : pending.verb === 'destroy'
          ? !exists
          : exists && info!.state === (pending.verb === 'start' ? 'up' : 'down');
    const ids = { correlationId: pending.correlationId, causationId: pending.causationId };
    if (done) {
      const outcome = await this.outcome(pending.verb as Exclude<ContainerVerb, 'list' | 'status'>, pending.name);
      this.record(outcome.action, { ...outcome.data, recovered: true }, undefined, ids);
    } else {
      this.record(
        'container-failed',
        {
          name: pending.name,
          verb: pending.verb,
          error: 'the agent restarted before nixos-container finished',
          recovered: true,
          leftBehind: pending.verb === 'create' && exists ? 'its .conf without a built system: destroy it and create it again' : undefined,
        },
        undefined,
        ids,
      );
    }
    this.log(
      'warn',
      `container ${pending.verb} ${pending.name} was interrupted by a restart; recorded its outcome (${done ? 'done' : 'failed'})`,
    );
    await this.journal(undefined);
  }

  private async list(): Promise<unknown> {
    const { stdout } = await this.nixosContainer('list', undefined, undefined, TOOL_TIMEOUT_MS.other);
    const containers = await Promise.all(parseContainerList(stdout).map((name) => this.describe(name)));
    await this.checkDrift(containers);
    return { containers, missing: this.options.declared.filter((n) => !containers.some((c) => c.name === n)) };
  }

  private async status(name: string): Promise<unknown> {
    const result = await this.nixosContainer('status', name, undefined, TOOL_TIMEOUT_MS.other).catch((err: Error & { stdout?: string }) => {
      if (parseContainerStatus(err.stdout ?? '') === 'gone') return undefined;
      throw err;
    });
    if (!result) return { name, state: 'gone' };
    const state = parseContainerStatus(result.stdout);
    if (!state) throw new ContainerError(`nixos-container status ${name} printed ${JSON.stringify(result.stdout.trim())}`, 500);
    return { ...(await this.describe(name)), state };
  }

  /** The containers of the host, as telemetry carries them. */
  async sample(): Promise<ContainerSample[]> {
    return Promise.all((await this.names()).map((name) => this.describe(name)));
  }

  /**
   * Records `container-drift` when the set of containers outside the spec changes. While a change is under way the
   * change itself looks afterwards, so that its own events come first.
   */
  async checkDrift(known?: ContainerSample[], fromChange = false): Promise<void> {
    if (this.changing > (fromChange ? 1 : 0)) return;
    const containers = known ?? (await this.sample());
    const drift = containers
      .filter((c) => c.drift)
      .map((c) => c.name)
      .sort();
    const key = drift.join(',');
    if (this.lastDrift === undefined && drift.length === 0) {
      this.lastDrift = key;
      return;
    }
    if (key === this.lastDrift) return;
    this.lastDrift = key;
    this.record('container-drift', { containers: drift, declared: this.options.declared });
  }

  private async names(): Promise<string[]> {
    try {
      return (await readdir(this.path('config')))
        .filter((f) => f.endsWith('.conf'))
        .map((f) => f.slice(0, -'.conf'.length))
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private async describe(name: string): Promise<ContainerSample> {
    const conf = await lstat(this.path('config', `${name}.conf`)).catch(() => undefined);
    const declarative = conf?.isSymbolicLink() ?? false;
    const cgroup = this.path('machines', `container@${name}.service`);
    const up = await lstat(cgroup).then(
      (s) => s.isDirectory(),
      () => false,
    );
    const sample: ContainerSample = {
      name,
      state: up ? 'up' : 'down',
      declarative,
      drift: !declarative && !this.options.declared.includes(name),
    };
    if (!up) {
      this.lastCpu.delete(name);
      return sample;
    }
    const memory = Number((await readFile(path.join(cgroup, 'memory.current'), 'utf8').catch(() => '')).trim());
    if (Number.isFinite(memory) && memory > 0) sample.memoryBytes = memory;
    const usec = Number(/^usage_usec (\d+)$/m.exec(await readFile(path.join(cgroup, 'cpu.stat'), 'utf8').catch(() => ''))?.[1]);
    if (Number.isFinite(usec)) {
      const now = Date.now();
      const last = this.lastCpu.get(name);
      if (last && now > last.at) sample.cpuPercent = Math.max(0, ((usec - last.usec) / 1000 / (now - last.at)) * 100);
      this.lastCpu.set(name, { usec, at: now });
    }
    return sample;
  }

  /** One nixos-container call: its stdout and stderr, or an error with its last line of stderr (and its stdout). */
  private nixosContainer(
    verb: ContainerVerb,
    name: string | undefined,
    create: CreateRequest | undefined,
    timeoutMs: number,
    nonce: string = randomUUID(),
  ): Promise<{ stdout: string; stderr: string }> {
    if (!this.options.unit) return this.tool(toolArgs(verb, name, create), timeoutMs);
    const instance = containerUnitInstance(verb, name);
    const call = (this.unitCalls.get(instance) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.throughUnit(this.options.unit!, instance, create, timeoutMs, nonce));
    this.unitCalls.set(instance, call);
    void call
      .finally(() => {
        if (this.unitCalls.get(instance) === call) this.unitCalls.delete(instance);
      })
      .catch(() => undefined);
    return call;
  }

  private async throughUnit(
    unit: NonNullable<ContainerOptions['unit']>,
    instance: string,
    create: CreateRequest | undefined,
    timeoutMs: number,
    nonce: string,
  ): Promise<{ stdout: string; stderr: string }> {
    const request = path.join(unit.requests, `${instance}.json`);
    await mkdir(unit.requests, { recursive: true, mode: 0o700 });
    await writeFile(`${request}.tmp`, JSON.stringify({ nonce, create }), { mode: 0o600 });
    await rename(`${request}.tmp`, request);
    let refused: Error | undefined;
    try {
      // systemctl(1): start waits until the start job is done, which for a Type=oneshot unit is when its program has
      // exited (systemd.service(5)); --no-ask-password: polkit decides, nobody is asked.
      await this.tool(['--no-ask-password', 'start', `${unit.template}@${instance}.service`], timeoutMs);
    } catch (err) {
      refused = err as Error;
    } finally {
      await rm(request, { force: true });
    }
    const result = await this.unitResult(unit, instance, nonce);
    if (!result) throw refused ?? new Error(`${unit.template}@${instance}.service left no result`);
    if (result.exitCode !== 0)
      throw Object.assign(new Error(lastLine(result.stderr) ?? `nixos-container exited with ${result.exitCode}`), {
        stdout: result.stdout,
      });
    return { stdout: result.stdout, stderr: result.stderr };
  }

  /**
   * The unit's answer to the call with `nonce`. With `waitMs`: while the unit still runs (it was started before this
   * agent did), polled for until it is there.
   */
  private async unitResult(
    unit: NonNullable<ContainerOptions['unit']>,
    instance: string,
    nonce: string,
    waitMs = 0,
  ): Promise<ContainerUnitResult | undefined> {
    const until = Date.now() + waitMs;
    const read = async () =>
      parseContainerUnitResult(await readFile(path.join(unit.results, `${instance}.json`), 'utf8').catch(() => ''), nonce);
    for (;;) {
      const result = await read();
      if (result || Date.now() >= until) return result;
      // Finished (or never started) without this answer: one more look, for a unit that ended between the two.
      if (!(await this.unitRunning(unit, instance))) return read();
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** systemctl(1) is-active prints the unit's state (exit 0 only for "active"); a oneshot runs as "activating". */
  private async unitRunning(unit: NonNullable<ContainerOptions['unit']>, instance: string): Promise<boolean> {
    const running = (stdout: string) => /^(activating|active|reloading|deactivating)$/m.test(stdout);
    return this.tool(['is-active', `${unit.template}@${instance}.service`], TOOL_TIMEOUT_MS.other).then(
      ({ stdout }) => running(stdout),
      (err: { stdout?: string }) => running(err.stdout ?? ''),
    );
  }

  private tool(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
    const [command, ...prefix] = this.options.tool!;
    return new Promise((resolve, reject) => {
      execFile(
        command,
        [...prefix, ...args],
        { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 8 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(Object.assign(new Error(lastLine(stderr) ?? err.message), { stdout }));
          else resolve({ stdout, stderr });
        },
      );
    });
  }

  private path(where: keyof typeof PATHS, ...parts: string[]): string {
    return path.join(this.options.root, PATHS[where], ...parts);
  }

  private get journalFile(): string | undefined {
    return this.stateDir && path.join(this.stateDir, 'container-operation.json');
  }

  private async journal(op: PendingOperation | undefined): Promise<void> {
    const file = this.journalFile;
    if (!file) return;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify(op ?? null));
    await rename(`${file}.tmp`, file);
  }

  private async readJournal(): Promise<PendingOperation | undefined> {
    const file = this.journalFile;
    if (!file) return undefined;
    try {
      const op = JSON.parse(await readFile(file, 'utf8')) as PendingOperation | null;
      return op && typeof op.name === 'string' && typeof op.verb === 'string' ? op : undefined;
    } catch {
      return undefined;
    }
  }
}

const lastLine = (text: string): string | undefined => text.trim().split('\n').filter(Boolean).pop();
