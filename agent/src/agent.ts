// The node agent: a NATS service (@nats-io/services) answering `{domain}.commands.{host}.*`, publishing
// telemetry every interval on `{domain}.events.{host}.telemetry`, and appending its own events (started, GPU added or
// missing, exo started/stopped, checkpoints) to `{domain}.events.{host}.*`. It only ever touches its own host's
// subjects, which is also all its NATS user is permitted to do (docs/nats.md).

import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import {
  type AgentCommand,
  CAUSATION_HEADER,
  CORRELATION_HEADER,
  type EventAction,
  EventOutbox,
  EventStore,
  type GpuSample,
  NOT_HANDLED_BY_AGENT as NOT_AVAILABLE,
  Subjects,
  type TelemetrySample,
  token,
} from '#core/nats';
import { CONTAINER_VERBS, SERVICE_UNITS, type ServiceKey } from '#core/ops';
import { collectSample, diffGpus, gpuIdentity, type CollectOptions } from './collect';
import { probeFacts } from './probe';
import { ContainerService, type ContainerOptions } from './containers';

export const AGENT_VERSION = '0.1.0';
export const SERVICE_NAME = 'gpu-cluster-agent';

export interface AgentOptions {
  domain: string;
  host: string;
  intervalMs: number;
  collect: CollectOptions;
  /** systemd unit exo.start / exo.stop act on. */
  exoUnit: string;
  /** Where checkpoints (one directory each, with manifest.json) live. */
  checkpointDir: string;
  /** Program (argv) that creates/restores checkpoints as root (`… create <unit>`, `… restore <id>`); unset: 501. */
  checkpointHelper?: string[];
  /**
   * Where the agent remembers the GPUs it last saw, to report changes across restarts, and keeps the events NATS
   * has not acknowledged yet (outbox.jsonl); unset: memory only.
   */
  stateDir?: string;
  /** nixos-containers on this host (container.* commands, telemetry, drift); unset: the commands answer 501. */
  containers?: ContainerOptions;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const UNIT_NAME = /^[A-Za-z0-9@_.:-]+\.service$/;

function systemctl(args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile('systemctl', ['--no-ask-password', ...args], { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ ok: !err, output: (stdout || stderr || (err?.message ?? '')).trim() });
    });
  });
}

export class NodeAgent {
  readonly subjects: Subjects;
  private service: Service | undefined;
  private events: EventStore | undefined;
  private readonly outbox: EventOutbox;
  private nc: NatsConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  /** The sample being taken, if any. */
  private sampling: Promise<void> | undefined;
  private knownGpus: GpuSample[] | undefined;
  private stopped = false;
  private readonly containers: ContainerService | undefined;
  latest: TelemetrySample | undefined;

  constructor(private readonly options: AgentOptions) {
    this.subjects = new Subjects(options.domain);
    token('host', options.host);
    this.outbox = new EventOutbox({ file: options.stateDir && path.join(options.stateDir, 'outbox.jsonl'), log: options.log });
    this.containers =
      options.containers &&
      new ContainerService(
        options.containers,
        options.stateDir,
        (action, data, headers, ids) => this.appendEvent(action, data, headers, ids),
        options.log,
      );
  }

  /** Events recorded but not yet acknowledged by the event stream (kept in the state directory meanwhile). */
  get backlog(): number {
    return this.outbox.backlog;
  }

  async start(nc: NatsConnection): Promise<void> {
    this.nc = nc;
    this.stopped = false;
    this.events = new EventStore(nc, this.options.domain, {
      onRetry: (e, attempt, err) => {
        if (attempt === 1) this.options.log('warn', `event ${e.type} not acknowledged yet, retrying: ${(err as Error).message}`);
      },
      onStreamCreated: (stream) =>
        this.options.log('warn', `the event stream ${stream} did not exist on the server (a new or wiped store); created it`),
    });
    this.outbox.attach(this.events);
    this.knownGpus = await this.loadKnownGpus();
    // @nats-io/services bundles its own (structurally identical) nats-core typings.
    this.service = await new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
      name: SERVICE_NAME,
      version: AGENT_VERSION,
      description: `GPU cluster node agent on ${this.options.host}`,
      metadata: { host: this.options.host, domain: this.options.domain },
      // One agent per host: no queue group, so a second agent on the same host is visible, not hidden.
      queue: '',
    });
    const group = this.service.addGroup(`${this.subjects.prefix}.commands.${this.options.host}`);
    const endpoint = (command: AgentCommand, handle: (msg: ServiceMsg) => Promise<unknown>) => {
      group.addEndpoint(command.replace('.', '-'), {
        subject: command,
        handler: (err, msg) => {
          if (err) {
            this.options.log('error', `${command} endpoint stopped: ${err.message}`);
            return;
          }
          void this.answer(command, msg, handle);
        },
      });
    };
    endpoint('probe', (msg) => this.probe(msg));
    endpoint('exo.start', (msg) => this.exo('start', msg));
    endpoint('exo.stop', (msg) => this.exo('stop', msg));
    endpoint('checkpoint.list', () => this.listCheckpoints());
    endpoint('checkpoint.create', (msg) => this.checkpoint('create', msg));
    endpoint('checkpoint.restore', (msg) => this.checkpoint('restore', msg));
    for (const verb of CONTAINER_VERBS) endpoint(`container.${verb}`, (msg) => this.containerCommand(verb, msg));
    // An operation a previous run of the agent left unfinished gets its outcome event now.
    await this.containers?.recover().catch((err: Error) => this.options.log('error', `container recovery: ${err.message}`));
    // Once start() resolves, the server knows the endpoints: a request right after gets an answer, not "no responders".
    await nc.flush();
    this.appendEvent('agent-started', { version: AGENT_VERSION, intervalMs: this.options.intervalMs, hostname: os.hostname() });
    this.tick();
  }

  /** Resolves once the service is gone and the sample in progress (with its GPU inventory write) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sampling;
    await this.service?.stop().catch(() => undefined);
    this.service = undefined;
  }

  /** Waits (at most timeoutMs) until every event the agent recorded has been acknowledged; the rest stay in the outbox file. */
  async flushEvents(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.outbox.backlog > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  /** Stops publishing events and closes the outbox file (call after flushEvents). */
  closeEvents(): void {
    this.outbox.close();
    this.events?.close();
  }

  private appendEvent(
    action: EventAction,
    data: unknown,
    headers?: { get(key: string): string },
    ids?: { correlationId?: string; causationId?: string },
  ): void {
    const correlationId = headers?.get(CORRELATION_HEADER) || ids?.correlationId || undefined;
    try {
      this.outbox.record({
        aggregate: this.options.host,
        aggregateType: 'host',
        action,
        data,
        source: `agent:${this.options.host}`,
        correlationId,
        causationId: headers?.get(CAUSATION_HEADER) || ids?.causationId || correlationId,
      });
    } catch (err) {
      this.options.log('error', `event ${action} not recorded: ${(err as Error).message}`);
    }
  }

  private async answer(command: AgentCommand, msg: ServiceMsg, handle: (msg: ServiceMsg) => Promise<unknown>): Promise<void> {
    try {
      const result = await handle(msg);
      msg.respond(JSON.stringify(result ?? {}));
    } catch (err) {
      const code = (err as { code?: number }).code ?? 500;
      this.options.log(code === NOT_AVAILABLE ? 'info' : 'warn', `${command}: ${(err as Error).message}`);
      // The description travels in a header: one line.
      msg.respondError(code, (err as Error).message.replace(/\s*[\r\n]+\s*/g, '; ').slice(0, 1000));
    }
  }

  // --- telemetry -------------------------------------------------------------------------------------------

  private tick(): void {
    if (this.stopped || this.sampling) return;
    const started = Date.now();
    this.sampling = this.sampleAndPublish();
    void this.sampling.finally(() => {
      this.sampling = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), Math.max(0, this.options.intervalMs - (Date.now() - started)));
    });
  }

  private async sampleAndPublish(): Promise<void> {
    if (!this.nc || this.nc.isClosed()) return;
    try {
      const sample = await collectSample(this.options.host, ++this.seq, this.options.collect);
      sample.agentVersion = AGENT_VERSION;
      if (this.containers?.enabled) {
        sample.containers = await this.containers.sample();
        await this.containers.checkDrift(sample.containers);
      }
      this.latest = sample;
      // Core NATS publish: telemetry is live data, buffered by the client while reconnecting, never stored.
      this.nc.publish(this.subjects.telemetry(this.options.host), JSON.stringify(sample));
      if (!sample.gpuError) await this.checkHardware(sample.gpus);
    } catch (err) {
      this.options.log('warn', `telemetry: ${(err as Error).message}`);
    }
  }

  private async checkHardware(gpus: GpuSample[]): Promise<void> {
    const before = this.knownGpus;
    this.knownGpus = gpus;
    if (!before) {
      await this.saveKnownGpus(gpus);
      return;
    }
    const { added, removed } = diffGpus(before, gpus);
    if (!added.length && !removed.length) return;
    const describe = (g: GpuSample) => ({
      id: gpuIdentity(g),
      vendor: g.vendor,
      name: g.name,
      uuid: g.uuid,
      index: g.index,
      memoryTotalMiB: g.memoryTotalMiB,
    });
    for (const g of added) this.appendEvent('gpu-added', { gpu: describe(g), count: gpus.length });
    for (const g of removed) this.appendEvent('gpu-missing', { gpu: describe(g), count: gpus.length });
    this.options.log('warn', `GPU change: ${added.length} added, ${removed.length} missing (now ${gpus.length})`);
    await this.saveKnownGpus(gpus);
  }

  private async loadKnownGpus(): Promise<GpuSample[] | undefined> {
    if (!this.options.stateDir) return undefined;
    try {
      return JSON.parse(await readFile(path.join(this.options.stateDir, 'gpus.json'), 'utf8')) as GpuSample[];
    } catch {
      return undefined;
    }
  }

  private async saveKnownGpus(gpus: GpuSample[]): Promise<void> {
    if (!this.options.stateDir) return;
    try {
      await mkdir(this.options.stateDir, { recursive: true });
      const file = path.join(this.options.stateDir, 'gpus.json');
      await writeFile(
        `${file}.tmp`,
        JSON.stringify(gpus.map(({ index, vendor, name, uuid, memoryTotalMiB }) => ({ index, vendor, name, uuid, memoryTotalMiB }))),
      );
      await rename(`${file}.tmp`, file);
    } catch (err) {
      this.options.log('warn', `cannot remember the GPU inventory: ${(err as Error).message}`);
    }
  }

  // --- commands --------------------------------------------------------------------------------------------

  /** ProbeFacts for the services asked for (`{"services": ["exo", "nats"]}`), as the SSH probe returns them. */
  private async probe(msg: ServiceMsg): Promise<unknown> {
    const request = (msg.data.length ? msg.json() : {}) as { services?: unknown };
    const services = Array.isArray(request.services)
      ? request.services.filter((s): s is ServiceKey => typeof s === 'string' && s in SERVICE_UNITS)
      : [];
    return probeFacts(this.options.host, services, this.options.collect);
  }

  private async exo(verb: 'start' | 'stop', msg: ServiceMsg): Promise<unknown> {
    if (!UNIT_NAME.test(this.options.exoUnit))
      throw Object.assign(new Error(`invalid exo unit name ${this.options.exoUnit}`), { code: 500 });
    const result = await systemctl([verb, this.options.exoUnit]);
    if (!result.ok) {
      this.appendEvent(`exo-${verb}-failed`, { unit: this.options.exoUnit, error: result.output }, msg.headers);
      throw Object.assign(new Error(`systemctl ${verb} ${this.options.exoUnit}: ${result.output}`), { code: 500 });
    }
    const state = (await systemctl(['is-active', this.options.exoUnit])).output;
    this.appendEvent(verb === 'start' ? 'exo-started' : 'exo-stopped', { unit: this.options.exoUnit, state }, msg.headers);
    return { unit: this.options.exoUnit, state };
  }

  private containerCommand(verb: (typeof CONTAINER_VERBS)[number], msg: ServiceMsg): Promise<unknown> {
    if (!this.containers) throw Object.assign(new Error('containers are not managed by this agent'), { code: NOT_AVAILABLE });
    return this.containers.handle(verb, msg);
  }

  private async listCheckpoints(): Promise<unknown> {
    let entries: string[];
    try {
      entries = await readdir(this.options.checkpointDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [] };
      throw err;
    }
    const checkpoints: unknown[] = [];
    for (const id of entries.sort()) {
      try {
        const manifest = JSON.parse(await readFile(path.join(this.options.checkpointDir, id, 'manifest.json'), 'utf8')) as Record<
          string,
          unknown
        >;
        checkpoints.push({ id, ...manifest });
      } catch {
        // Not a checkpoint directory (or one still being written): skip it.
      }
    }
    return { checkpoints };
  }

  private async checkpoint(verb: 'create' | 'restore', msg: ServiceMsg): Promise<unknown> {
    const helper = this.options.checkpointHelper;
    if (!helper?.length) throw Object.assign(new Error('checkpoints are not handled by this agent'), { code: NOT_AVAILABLE });
    const request = (msg.data.length ? msg.json() : {}) as { unit?: string; id?: string };
    const target = verb === 'create' ? request.unit : request.id;
    if (!target || !/^[A-Za-z0-9@_.:-]+$/.test(target)) {
      throw Object.assign(
        new Error(verb === 'create' ? 'request needs a "unit" (a systemd unit name)' : 'request needs a checkpoint "id"'),
        { code: 400 },
      );
    }
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        helper[0],
        [...helper.slice(1), verb, target],
        { timeout: 30 * 60_000, encoding: 'utf8', maxBuffer: 8 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err)
            reject(Object.assign(new Error(`${verb} ${target}: ${(stderr || err.message).trim().split('\n').pop()}`), { code: 500 }));
          else resolve(stdout);
        },
      );
    }).catch((err: Error) => {
      this.appendEvent(`checkpoint-${verb}-failed`, { target, error: err.message }, msg.headers);
      throw err;
    });
    let result: unknown;
    try {
      result = JSON.parse(output);
    } catch {
      result = { output: output.trim() };
    }
    this.appendEvent(verb === 'create' ? 'checkpoint-created' : 'checkpoint-restored', { target, result }, msg.headers);
    return result;
  }
}
