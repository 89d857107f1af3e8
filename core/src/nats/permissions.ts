// The NATS permissions of a node agent's user, in nats-server's configuration shape. docs/nats.md explains
// them; test/integration/nats-auth.test.ts runs a real server with exactly these and checks the boundaries.
import { streamName, Subjects } from './subjects';

export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  /** Lets the user answer requests it received (replies to the requester's inbox), and nothing else there. */
  allow_responses: boolean;
}

/**
 * An agent may publish under its own host's aggregate, `{domain}.events.{host}.>`: its events (the JetStream
 * stream stores them; the publish ack comes back to its inbox) and its telemetry (`….telemetry`, not stored), receive its own host's commands and the service discovery requests (`$SRV.>`),
 * answer what it received, and read replies only on its own inbox prefix. It may also create the cluster's event
 * stream (only create: the server refuses to create a stream that exists), so that an agent whose server lost its
 * store brings the stream back instead of waiting for the extension.
 */
export function agentPermissions(domain: string, host: string): NatsPermissions {
  const s = new Subjects(domain);
  return {
    publish: { allow: [s.hostEvents(host), `$JS.API.STREAM.CREATE.${streamName(domain)}`] },
    subscribe: { allow: [s.hostCommands(host), '$SRV.>', `${s.agentInboxPrefix(host)}.>`] },
    allow_responses: true,
  };
}

/** A `users` entry for nats-server's config (JSON is valid nats-server config syntax). */
export function agentUserConfig(domain: string, host: string, auth: { user: string; password: string } | { nkey: string }): string {
  return JSON.stringify({ ...auth, permissions: agentPermissions(domain, host) });
}
