// The calls of the root unit gpu-cluster-container@<instance>.service (core/src/ops/containers.ts): instance names both
// ways, request files checked as hostile input, results matched to their call by the nonce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  containerUnitInstance,
  parseContainerUnitInstance,
  parseContainerUnitRequest,
  parseContainerUnitResult,
  toolArgs,
} from '#core/ops';

const nonce = '0b6f2f1e-5d0c-4c59-a1a4-7a0f5d1e9c11';

test('instances: every call and back, and nothing else', () => {
  for (const [verb, name] of [
    ['create', 'web'],
    ['start', 'my-db'],
    ['stop', 'a'],
    ['destroy', 'abcdefghijk'],
    ['status', 'x1-2'],
  ] as const) {
    const instance = containerUnitInstance(verb, name);
    assert.equal(instance, `${verb}-${name}`);
    assert.deepEqual(parseContainerUnitInstance(instance), { verb, name });
  }
  assert.equal(containerUnitInstance('list'), 'list');
  assert.deepEqual(parseContainerUnitInstance('list'), { verb: 'list' });
  assert.throws(() => containerUnitInstance('start', 'my_db'), /'_'/);
  for (const bad of [
    '',
    'list-web',
    'restart-web',
    'start-',
    'start',
    '-web',
    'start--web',
    'start-my_db',
    'start-inference-gpu',
    'start-web.service',
    'start-web\n',
    'start-a\\x2fb',
    'start-a/b',
    'start-a b',
    'Start-web',
  ])
    assert.throws(() => parseContainerUnitInstance(bad), { name: 'Error', code: 400 } as object, JSON.stringify(bad));
});

test('requests: checked field by field against the instance', () => {
  const create = { name: 'web', services: ['nginx'], hostAddress: '10.233.5.1', localAddress: '10.233.5.2', autoStart: true };
  assert.deepEqual(parseContainerUnitRequest(JSON.stringify({ nonce, create }), { verb: 'create', name: 'web' }), { nonce, create });
  assert.deepEqual(parseContainerUnitRequest(JSON.stringify({ nonce }), { verb: 'stop', name: 'web' }), { nonce });
  const refused = (text: string, call: Parameters<typeof parseContainerUnitRequest>[1], message: RegExp, withNonce: boolean) => {
    assert.throws(
      () => parseContainerUnitRequest(text, call),
      (err: Error & { nonce?: string }) => message.test(err.message) && (err.nonce === nonce) === withNonce,
      text,
    );
  };
  refused('not json', { verb: 'list' }, /not JSON/, false);
  refused('[1]', { verb: 'list' }, /not an object/, false);
  refused('null', { verb: 'list' }, /not an object/, false);
  refused('{}', { verb: 'list' }, /nonce/, false);
  refused(JSON.stringify({ nonce: 'short' }), { verb: 'list' }, /nonce/, false);
  refused(JSON.stringify({ nonce: `${nonce}\n` }), { verb: 'list' }, /nonce/, false);
  refused(JSON.stringify({ nonce: 7 }), { verb: 'list' }, /nonce/, false);
  refused(JSON.stringify({ nonce, extra: 1 }), { verb: 'list' }, /unknown fields/, true);
  refused(JSON.stringify({ nonce, create }), { verb: 'start', name: 'web' }, /no create fields/, true);
  refused(JSON.stringify({ nonce }), { verb: 'create', name: 'web' }, /needs a container "name"/, true);
  refused(JSON.stringify({ nonce, create: { ...create, name: 'db' } }), { verb: 'create', name: 'web' }, /another container/, true);
  refused(JSON.stringify({ nonce, create: { ...create, services: ['a b'] } }), { verb: 'create', name: 'web' }, /service names/, true);
  refused(
    JSON.stringify({ nonce, create: { ...create, services: ['x; imports = [ /etc/shadow ]'] } }),
    { verb: 'create', name: 'web' },
    /service names/,
    true,
  );
  refused(JSON.stringify({ nonce, create: { ...create, localAddress: '10.0.0.2\n' } }), { verb: 'create', name: 'web' }, /IPv4/, true);
  refused(JSON.stringify({ nonce, create: { ...create, autoStart: 'yes' } }), { verb: 'create', name: 'web' }, /autoStart/, true);
});

test('the tool arguments come from checked requests only', () => {
  assert.deepEqual(toolArgs('list'), ['list']);
  assert.deepEqual(toolArgs('status', 'web'), ['status', 'web']);
  assert.deepEqual(toolArgs('create', 'web', { name: 'web', services: ['nginx'], autoStart: false }), [
    'create',
    'web',
    '--config',
    'services.nginx.enable = true;',
  ]);
});

test('results: only the answer to this call', () => {
  const result = { nonce, exitCode: 0, stdout: 'web\n', stderr: '' };
  assert.deepEqual(parseContainerUnitResult(JSON.stringify(result), nonce), result);
  assert.equal(parseContainerUnitResult(JSON.stringify(result), 'another-nonce-0000'), undefined, 'an earlier call’s result');
  assert.equal(parseContainerUnitResult('', nonce), undefined, 'no result');
  assert.equal(parseContainerUnitResult(JSON.stringify({ ...result, exitCode: '0' }), nonce), undefined);
  assert.equal(parseContainerUnitResult(JSON.stringify({ ...result, stdout: 1 }), nonce), undefined);
});
