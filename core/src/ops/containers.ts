// The `nixos-container` tool's command lines and output, as nixpkgs' pkgs/tools/virtualization/nixos-container/
// nixos-container.pl (commit 1b8719437b4b1269d05e1a8b1628f885fa2a9d62) defines them:
//   list                     prints each container's name (the *.conf files of the configuration directory), one a line
//   status <name>            prints `up` or `down` (ActiveState of container@<name>); `gone` and exit ≠ 0 when unknown
//   create <name> [--config <nix>] [--host-address A --local-address B] [--auto-start]
//                            writes <name>.conf, builds the system; stderr "host IP is A, container IP is B"
//   start|stop <name>        systemctl start|stop container@<name>
//   destroy <name>           refuses declarative containers ("cannot destroy declarative container"); exit 0 when unknown
// The requests that reach the agent over NATS are checked here before anything becomes an argument: names as the
// tool and nixos-containers.nix accept them, IPv4 addresses, NixOS service names. The configuration text is built
// from those checked names only (the tool writes it into the container's configuration.nix).

import { containerNameProblem } from '../spec/containers';
import { nixAttrPath } from '../nix/emit';

export const CONTAINER_VERBS = ['create', 'start', 'stop', 'destroy', 'list', 'status'] as const;
export type ContainerVerb = (typeof CONTAINER_VERBS)[number];

export class ContainerRequestError extends Error {
  readonly code = 400;
  /** For a refused unit request whose nonce could be read: the agent matches the refusal to its call. */
  nonce?: string;
}

export interface CreateRequest {
  name: string;
  services?: string[];
  hostAddress?: string;
  localAddress?: string;
  autoStart?: boolean;
}

const IPV4 = /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const SERVICE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The container name of a request, checked; throws a ContainerRequestError (400) otherwise. */
export function requestedName(request: unknown): string {
  const name = typeof request === 'object' && request !== null ? (request as { name?: unknown }).name : undefined;
  if (typeof name !== 'string') throw new ContainerRequestError('the request needs a container "name"');
  const problem = containerNameProblem(name);
  if (problem) throw new ContainerRequestError(`'${name}' cannot be a container name: ${problem}`);
  return name;
}

/** A create request, checked field by field. */
export function createRequest(request: unknown): CreateRequest {
  const name = requestedName(request);
  const r = request as Record<string, unknown>;
  const services = r.services === undefined ? [] : r.services;
  if (!Array.isArray(services) || !services.every((s) => typeof s === 'string' && SERVICE.test(s))) {
    throw new ContainerRequestError('"services" must be a list of NixOS service names');
  }
  for (const key of ['hostAddress', 'localAddress'] as const) {
    if (r[key] !== undefined && (typeof r[key] !== 'string' || !IPV4.test(r[key] as string)))
      throw new ContainerRequestError(`"${key}" must be an IPv4 address`);
  }
  if ((r.hostAddress === undefined) !== (r.localAddress === undefined)) {
    throw new ContainerRequestError('"hostAddress" and "localAddress" go together (nixos-container: --host-address needs --local-address)');
  }
  if (r.autoStart !== undefined && typeof r.autoStart !== 'boolean') throw new ContainerRequestError('"autoStart" must be true or false');
  return {
    name,
    services: services as string[],
    hostAddress: r.hostAddress as string | undefined,
    localAddress: r.localAddress as string | undefined,
    autoStart: r.autoStart === true,
  };
}

/** The arguments of `nixos-container create` for a checked request. */
export function createArgs(request: CreateRequest): string[] {
  const args = ['create', request.name];
  const config = (request.services ?? []).map((s) => `${nixAttrPath(['services', s, 'enable'])} = true;`).join(' ');
  if (config) args.push('--config', config);
  if (request.hostAddress && request.localAddress)
    args.push('--host-address', request.hostAddress, '--local-address', request.localAddress);
  if (request.autoStart) args.push('--auto-start');
  return args;
}

/** The arguments of one `nixos-container` call: `list`, `<verb> <name>`, or a create request's. */
export function toolArgs(verb: ContainerVerb, name?: string, create?: CreateRequest): string[] {
  if (create) return createArgs(create);
  return verb === 'list' ? ['list'] : [verb, name!];
}

// The root template unit `gpu-cluster-container@.service` (nix-templates/modules/gpu-cluster-agent.nix) runs one
// nixos-container call for the unprivileged agent. Its instance names the call, `<verb>-<name>` or `list`: only
// letters, digits and '-', so `%i` is the instance as written and nothing in it is a systemd escape (systemd.unit(5):
// `%i` is the instance name, `%I` the same with escaping undone). The unit reads the rest of the call from a request
// file the agent writes and answers with a result file; the nonce ties the two together, so a result left from an
// earlier call (or no result, when polkit or systemd refused the start) is never taken for this call's.

/** Verbs that change a container; `list` and `status` only read (but nixos-container.pl still needs root to run). */
const INSTANCE = /^(create|start|stop|destroy|status)-(.*)$/;
const NONCE = /^[A-Za-z0-9-]{8,64}$/;
/** Bytes of a request file the root unit reads at most (a create request is a few hundred bytes). */
export const MAX_UNIT_REQUEST_BYTES = 64 * 1024;

export interface ContainerUnitCall {
  verb: ContainerVerb;
  name?: string;
}
export interface ContainerUnitRequest {
  nonce: string;
  create?: CreateRequest;
}
export interface ContainerUnitResult {
  nonce: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The instance string of the root unit for one call. */
export function containerUnitInstance(verb: ContainerVerb, name?: string): string {
  return verb === 'list' ? 'list' : `${verb}-${requestedName({ name })}`;
}

/** The call an instance string names, checked as strictly as a request over NATS; a ContainerRequestError otherwise. */
export function parseContainerUnitInstance(instance: string): ContainerUnitCall {
  if (instance === 'list') return { verb: 'list' };
  const m = INSTANCE.exec(instance);
  if (!m) throw new ContainerRequestError('the unit instance must be list or <create|start|stop|destroy|status>-<container name>');
  return { verb: m[1] as ContainerVerb, name: requestedName({ name: m[2] }) };
}

/** A request file's content for `call`, checked field by field (the file is the agent's: treated as hostile). */
export function parseContainerUnitRequest(text: string, call: ContainerUnitCall): ContainerUnitRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ContainerRequestError('the request is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ContainerRequestError('the request is not an object');
  const { nonce, create, ...rest } = value as Record<string, unknown>;
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) throw new ContainerRequestError('the request needs a nonce');
  try {
    if (Object.keys(rest).length) throw new ContainerRequestError('the request has unknown fields');
    if (call.verb !== 'create') {
      if (create !== undefined) throw new ContainerRequestError(`a ${call.verb} request carries no create fields`);
      return { nonce };
    }
    const checked = createRequest(create);
    if (checked.name !== call.name) throw new ContainerRequestError('the request names another container than the unit');
    return { nonce, create: checked };
  } catch (err) {
    if (err instanceof ContainerRequestError) err.nonce = nonce;
    throw err;
  }
}

/** The unit's answer in a result file, when it is the answer to the call with `nonce`. */
export function parseContainerUnitResult(text: string, nonce: string): ContainerUnitResult | undefined {
  try {
    const r = JSON.parse(text) as Partial<ContainerUnitResult>;
    return r.nonce === nonce && Number.isInteger(r.exitCode) && typeof r.stdout === 'string' && typeof r.stderr === 'string'
      ? (r as ContainerUnitResult)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `nixos-container list`: one name per line. */
export function parseContainerList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** `nixos-container status`: `up`, `down`, or `gone` for a container that does not exist. */
export function parseContainerStatus(stdout: string): 'up' | 'down' | 'gone' | undefined {
  const word = stdout.trim().split('\n')[0];
  return word === 'up' || word === 'down' || word === 'gone' ? word : undefined;
}

/** The addresses `nixos-container create` reports on stderr ("host IP is A, container IP is B"). */
export function parseCreateOutput(stderr: string): { hostAddress: string; localAddress: string } | undefined {
  const m = /host IP is (\S+), container IP is (\S+)/.exec(stderr);
  return m ? { hostAddress: m[1], localAddress: m[2] } : undefined;
}
