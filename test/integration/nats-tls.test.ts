// TLS against a real nats-server with a certificate from a throwaway CA (openssl): the connection manager
// connects with the CA file, and without it reports a TLS failure instead of connecting.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NatsConnectionManager } from '#core/nats';
import { NatsServer } from './nats-harness';

describe('NATS over TLS', () => {
  const server = new NatsServer();
  const managers: NatsConnectionManager[] = [];
  let caFile: string;

  before(async () => {
    caFile = server.serveTls();
    await server.start();
  });
  after(async () => {
    for (const m of managers) await m.stop();
    await server.dispose();
  });

  it('connects when the server certificate chains to the given CA', async () => {
    const m = new NatsConnectionManager({ servers: `tls://127.0.0.1:${server.port}`, tls: { caFile } });
    managers.push(m);
    await m.start();
    const nc = await m.ready(10_000);
    assert.equal(m.status.state, 'connected');
    assert.equal(nc.info?.tls_required, true);
  });

  it('refuses an unknown CA with a TLS reason and keeps retrying with backoff', async () => {
    const m = new NatsConnectionManager({ servers: `tls://127.0.0.1:${server.port}`, tls: {}, initialRetryMs: 100 });
    managers.push(m);
    await m.start();
    await assert.rejects(m.ready(3000), /NATS TLS handshake failed .*certificate/i);
    assert.equal(m.status.state, 'reconnecting');
    assert.ok(!m.status.authFailed);
  });
});
