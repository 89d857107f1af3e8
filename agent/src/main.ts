// gpu-cluster-agent: the node agent daemon (bundled as dist/agent.js; the NixOS module services.gpu-cluster-agent
// runs it). Flags win over environment variables:
//   --nats-url / NATS_URL          nats://hub:4222 (comma-separated for several)
//   --creds / NATS_CREDS           path of a .creds file (read here; never passed on a command line as content)
//   --nkey / NATS_NKEY_FILE        path of a file holding an nkey seed
//   --user, --password-file        user/password auth (NATS_USER, NATS_PASSWORD_FILE)
//   --token-file / NATS_TOKEN_FILE token auth
//   --tls-ca, --tls-cert, --tls-key
//   --domain / GPU_CLUSTER_DOMAIN  subject prefix (the spec's cluster.domain)
//   --host / GPU_CLUSTER_HOST      this host's name in the spec (default: hostname)
//   --interval / GPU_CLUSTER_INTERVAL  telemetry period, e.g. 1s, 500ms, 5 (seconds)
//   --gpu auto|nvidia|amd|none, --exo-url, --exo-unit, --checkpoint-dir, --checkpoint-helper, --state-dir
//   --container-tool (argv of nixos-container, repeated), --container-root (/), --declared-container NAME (repeated: the spec's containers)
//   --container-unit TEMPLATE, --container-requests DIR, --container-results DIR: run nixos-container as root through
//     the template unit TEMPLATE@<instance>.service; --container-tool is then systemctl's argv (agent/src/containers.ts)
// `gpu-cluster-agent checkpoint policy …` instead runs one checkpoint policy and exits (agent/src/checkpointCommand.ts);
// `gpu-cluster-agent container-helper …` is that template unit's program, run as root (agent/src/containerHelper.ts).

import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { NatsConnectionManager, type NatsCredentials, Subjects } from '#core/nats';
import { NodeAgent, type AgentOptions } from './agent';
import { checkpointCommand } from './checkpointCommand';
import { containerHelper } from './containerHelper';
import type { GpuTool } from './collect';

/** The command-line flags (the NixOS module's ExecStart is tested against this table). */
export const AGENT_FLAGS = {
  'nats-url': { type: 'string' },
  creds: { type: 'string' },
  nkey: { type: 'string' },
  user: { type: 'string' },
  'password-file': { type: 'string' },
  'token-file': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  domain: { type: 'string' },
  host: { type: 'string' },
  interval: { type: 'string' },
  gpu: { type: 'string' },
  'exo-url': { type: 'string' },
  'exo-unit': { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  'checkpoint-helper': { type: 'string', multiple: true },
  'state-dir': { type: 'string' },
  help: { type: 'boolean' },
  'container-tool': { type: 'string', multiple: true },
  'container-root': { type: 'string' },
  'declared-container': { type: 'string', multiple: true },
  'container-unit': { type: 'string' },
  'container-requests': { type: 'string' },
  'container-results': { type: 'string' },
} as const;

export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`invalid interval "${text}" (examples: 1s, 500ms, 2m)`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (ms < 100) throw new Error(`interval ${text} is below 100ms`);
  return ms;
}

const readSecret = (file: string) => readFileSync(file, 'utf8').trim();

export function credentialsFrom(v: Record<string, string | undefined>): NatsCredentials {
  if (v.creds) return { kind: 'creds', creds: readFileSync(v.creds, 'utf8') };
  if (v.nkey) return { kind: 'nkey', seed: readSecret(v.nkey) };
  if (v.user) {
    if (!v.passwordFile) throw new Error('--user needs --password-file');
    return { kind: 'userpass', user: v.user, pass: readSecret(v.passwordFile) };
  }
  if (v.tokenFile) return { kind: 'token', token: readSecret(v.tokenFile) };
  return { kind: 'none' };
}

function containerUnit(values: { [flag: string]: unknown }): { template: string; requests: string; results: string } | undefined {
  const [template, requests, results] = ['container-unit', 'container-requests', 'container-results'].map(
    (f) => values[f] as string | undefined,
  );
  if (template === undefined && requests === undefined && results === undefined) return undefined;
  if (!template || !requests?.startsWith('/') || !results?.startsWith('/'))
    throw new Error('--container-unit needs --container-requests and --container-results (absolute paths)');
  return { template, requests, results };
}

function main(): void {
  const { values } = parseArgs({ options: AGENT_FLAGS });
  if (values.help) {
    console.log('usage: gpu-cluster-agent --nats-url nats://hub:4222 --domain lab --host gpu-01 [--creds file] [--interval 1s]');
    return;
  }
  const env = process.env;
  const domain = values.domain ?? env.GPU_CLUSTER_DOMAIN;
  if (!domain) throw new Error('--domain (or GPU_CLUSTER_DOMAIN) is required: the cluster.domain of the spec');
  const host = values.host ?? env.GPU_CLUSTER_HOST ?? os.hostname().split('.')[0];
  const gpu = (values.gpu ?? env.GPU_CLUSTER_GPU ?? 'auto') as GpuTool;
  if (!['auto', 'nvidia', 'amd', 'none'].includes(gpu)) throw new Error(`--gpu must be auto, nvidia, amd or none, not ${gpu}`);
  const credentials = credentialsFrom({
    creds: values.creds ?? env.NATS_CREDS,
    nkey: values.nkey ?? env.NATS_NKEY_FILE,
    user: values.user ?? env.NATS_USER,
    passwordFile: values['password-file'] ?? env.NATS_PASSWORD_FILE,
    tokenFile: values['token-file'] ?? env.NATS_TOKEN_FILE,
  });
  const log: AgentOptions['log'] = (level, message) => {
    // systemd's journal reads the <N> prefix as the priority.
    const prio = level === 'error' ? 3 : level === 'warn' ? 4 : 6;
    process.stderr.write(`<${prio}>${message}\n`);
  };
  const options: AgentOptions = {
    domain,
    host,
    intervalMs: parseInterval(values.interval ?? env.GPU_CLUSTER_INTERVAL ?? '1s'),
    collect: { gpuTool: gpu, exoUrl: values['exo-url'] ?? env.GPU_CLUSTER_EXO_URL ?? 'http://127.0.0.1:52415' },
    exoUnit: values['exo-unit'] ?? 'exo.service',
    checkpointDir: values['checkpoint-dir'] ?? '/var/lib/gpu-cluster/checkpoints',
    checkpointHelper: values['checkpoint-helper'],
    stateDir: values['state-dir'] ?? env.STATE_DIRECTORY,
    containers: values['container-tool'] && {
      tool: values['container-tool'],
      unit: containerUnit(values),
      root: values['container-root'] ?? '/',
      declared: values['declared-container'] ?? [],
    },
    log,
  };
  const agent = new NodeAgent(options);
  const manager = new NatsConnectionManager({
    servers: (values['nats-url'] ?? env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',').map((s) => s.trim()),
    credentials,
    tls: { caFile: values['tls-ca'], certFile: values['tls-cert'], keyFile: values['tls-key'] },
    name: `gpu-cluster-agent ${host}`,
    inboxPrefix: new Subjects(domain).agentInboxPrefix(host),
  });
  let started = false;
  manager.onStatus((s) => {
    log(s.state === 'connected' ? 'info' : 'warn', `nats: ${s.state}${s.server ? ` ${s.server}` : ''}${s.reason ? ` (${s.reason})` : ''}`);
  });
  manager.onConnected((nc) => {
    if (started) return; // subscriptions and the service survive reconnects
    started = true;
    agent.start(nc).catch((err: Error) => {
      log('error', `cannot start the agent service: ${err.message}`);
      process.exit(1);
    });
  });
  const shutdown = () => {
    void agent
      .stop()
      .then(() => agent.flushEvents(2000))
      .then(() => {
        agent.closeEvents();
        return manager.stop();
      })
      .finally(() => process.exit(process.exitCode ?? 0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  void manager.start();
  // With refused credentials the manager stops retrying: exit so systemd restarts us with backoff.
  manager.onStatus((s) => {
    if (s.authFailed) void manager.stop().then(() => process.exit(2));
  });
}

if (require.main === module && process.argv[2] === 'checkpoint') {
  checkpointCommand(process.argv.slice(3), (text) => process.stdout.write(text)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`<3>gpu-cluster-agent checkpoint: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
} else if (require.main === module && process.argv[2] === 'container-helper') {
  containerHelper(process.argv.slice(3), (line) => process.stderr.write(`${line}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`<3>gpu-cluster-agent container-helper: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
} else if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`<3>gpu-cluster-agent: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
