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
