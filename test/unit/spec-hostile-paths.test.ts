// Paths from the spec end up in line-based files on the hosts (systemd-tmpfiles rules, unit files, k3s's ExecStart):
// the schema refuses whitespace, control characters, '%' and '\' in them, so a spec value cannot add a line such as
// `f+ /etc/sudoers.d/x` to a tmpfiles rule. The module types refuse the same (test/integration/flake-eval.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecFile } from '#core/spec';
import { validateFile } from '#core/validate';

let version = 0;
const patternErrors = (yaml: string) =>
  validateFile(parseSpecFile('file:///s/cluster.yaml', `cluster:\n  name: lab\n  domain: lab\n${yaml}`, ++version)).filter(
    (d) => d.code === 'schema.pattern',
  );

const hostile = [
  '"/var/lib/x\\nf+ /etc/sudoers.d/99-x - - - - ALL ALL=(ALL) NOPASSWD: ALL"',
  '"/var/lib/a b"',
  '"/var/lib/%h"',
  '"/var/lib/x\\\\y"',
  '"/var/lib/\\ttab"',
  '"/var/lib/\\u001b[2J"',
  'relative/path',
];

test('checkpoint storage and JetStream store paths refuse whitespace, control characters, % and \\', () => {
  for (const value of hostile) {
    assert.equal(
      patternErrors(`checkpoints:\n  storage: { kind: local, path: ${value} }\n`).length,
      1,
      `checkpoints.storage.path ${value}`,
    );
    assert.equal(patternErrors(`nats:\n  jetstream: { storeDir: ${value} }\n`).length, 1, `nats.jetstream.storeDir ${value}`);
    assert.equal(patternErrors(`k3s:\n  tokenFile: ${value}\n`).length, 1, `k3s.tokenFile ${value}`);
  }
  assert.deepEqual(
    patternErrors(
      'checkpoints:\n  storage: { kind: local, path: /var/lib/gpu-cluster/checkpoints }\nnats:\n  jetstream: { storeDir: /srv/nats-js_1 }\n',
    ),
    [],
  );
});

test('the k3s server address is a host and port only: k3s writes it into its unit file as it is', () => {
  for (const value of ['"https://10.0.0.1:6443\\nExecStartPre=/bin/x"', 'https://$HOST:6443', 'https://10.0.0.1:6443/%h']) {
    assert.equal(patternErrors(`k3s:\n  serverAddress: ${value}\n`).length, 1, value);
  }
  assert.deepEqual(patternErrors('k3s:\n  serverAddress: https://k3s.lab:6443\n'), []);
});
