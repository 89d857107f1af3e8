// The integration suite runs sealed (scripts/sealed.mjs, from `npm test`): a network namespace whose only interface
// is loopback. Checked here from inside, so a run that lost the namespace fails instead of quietly reaching out.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';

test('the suite sees no network interface but loopback', () => {
  assert.deepEqual(Object.keys(networkInterfaces()), ['lo']);
});

test('an address outside this machine has no route: the connection fails before a packet is sent', async () => {
  // 10.0.0.10 is the example cluster's hub: exactly what a mistaken test would dial.
  const code = await new Promise<string | undefined>((resolve) => {
    const socket = connect({ host: '10.0.0.10', port: 4222 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
  assert.equal(code, 'ENETUNREACH');
});
