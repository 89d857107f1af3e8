// TLS against a real nats-server with a certificate from a throwaway CA (openssl): the connection manager
// connects with the CA file, and without it reports a TLS failure instead of connecting.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { NatsConnectionManager } from '#core/nats';
import { NatsServer } from './nats-harness';

describe('NATS over TLS', () => {
  const server = new NatsServer();
  const file = (name: string) => path.join(server.dir, name);
  const managers: NatsConnectionManager[] = [];

  before(async () => {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: server.dir, stdio: 'pipe' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\n" > san.ext'], { cwd: server.dir });
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      'server.pem',
    );
    server.config = `tls { cert_file: ${JSON.stringify(file('server.pem'))}, key_file: ${JSON.stringify(file('server.key'))} }`;
    await server.start();
  });
  after(async () => {
    for (const m of managers) await m.stop();
    await server.dispose();
  });

  it('connects when the server certificate chains to the given CA', async () => {
    const m = new NatsConnectionManager({ servers: `tls://127.0.0.1:${server.port}`, tls: { caFile: file('ca.pem') } });
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
