// Host-key verdicts: pinned keys, known_hosts (plain, hashed, [host]:port, wildcards, negation, @revoked),
// and fingerprints exactly as OpenSSH prints them.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  appendKnownHost,
  fingerprint,
  hostFieldMatches,
  parseKnownHosts,
  parsePublicKey,
  readKnownHosts,
  verifyHostKey,
} from '../../core/src/ssh/hostKeys';
import { pinnedKnownHostsLines, sshClientArgs } from '#core/ssh';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ops-hostkeys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function newKey(name: string, type = 'ed25519'): { pub: string; file: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  return { pub: readFileSync(`${file}.pub`, 'utf8').trim(), file };
}

const a = newKey('a');
const b = newKey('b');
const ecdsa = newKey('c', 'ecdsa');
const keyA = parsePublicKey(a.pub);
const keyB = parsePublicKey(b.pub);

describe('fingerprints and parsing', () => {
  it('matches ssh-keygen -lf', () => {
    for (const k of [a, b, ecdsa]) {
      const expected = execFileSync('ssh-keygen', ['-lf', `${k.file}.pub`], { encoding: 'utf8' }).split(' ')[1];
      assert.equal(fingerprint(parsePublicKey(k.pub).blob), expected);
    }
  });

  it('reads the type from the blob and refuses a mislabelled key', () => {
    assert.equal(keyA.type, 'ssh-ed25519');
    assert.throws(() => parsePublicKey(`ssh-rsa ${keyA.blob.toString('base64')}`), /says ssh-rsa but its data is ssh-ed25519/);
    assert.throws(() => parsePublicKey('garbage'), /Not a public key/);
  });
});

describe('known_hosts matching', () => {
  it('matches hashed entries the way ssh-keygen -H writes them, including [host]:port', () => {
    const file = path.join(dir, 'hashed');
    writeFileSync(file, `[10.0.0.5]:2222 ${a.pub}\nexample.org ${b.pub}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.patterns.startsWith('|1|')));
    assert.equal(hostFieldMatches(entries[0].patterns, '[10.0.0.5]:2222'), true);
    assert.equal(hostFieldMatches(entries[0].patterns, '10.0.0.5'), false);
    assert.equal(hostFieldMatches(entries[1].patterns, 'example.org'), true);
  });

  it('understands comma lists, wildcards and negations', () => {
    assert.equal(hostFieldMatches('gpu-*.lab,!gpu-9.lab', 'gpu-2.lab'), true);
    assert.equal(hostFieldMatches('gpu-*.lab,!gpu-9.lab', 'gpu-9.lab'), false);
    assert.equal(hostFieldMatches('10.0.0.?', '10.0.0.7'), true);
    assert.equal(hostFieldMatches('10.0.0.?', '10.0.0.17'), false);
  });

  it('gives pinned-match, known-match, unknown, changed and revoked verdicts', () => {
    const text = [`10.0.0.1 ${a.pub}`, `[10.0.0.2]:2222 ${a.pub}`, `@revoked * ${b.pub}`, '# comment', 'broken line'].join('\n');
    const known = parseKnownHosts(text, 'kh');
    assert.equal(known.length, 3);
    assert.deepEqual(verifyHostKey({ host: '10.0.0.1', port: 22, key: keyA, knownHosts: known }), {
      kind: 'known-match',
      file: 'kh',
      line: 1,
    });
    assert.equal(verifyHostKey({ host: '10.0.0.2', port: 22, key: keyA, knownHosts: known }).kind, 'unknown', 'port 22 is not [host]:2222');
    assert.equal(verifyHostKey({ host: '10.0.0.2', port: 2222, key: keyA, knownHosts: known }).kind, 'known-match');
    assert.equal(verifyHostKey({ host: '10.0.0.9', port: 22, key: keyA, knownHosts: known }).kind, 'unknown');
    const changed = verifyHostKey({ host: '10.0.0.1', port: 22, key: parsePublicKey(newKey('d').pub), knownHosts: known });
    assert.deepEqual(changed, { kind: 'changed', expectedFingerprint: fingerprint(keyA.blob), source: 'kh:1' });
    // A key of another type than the known one is unknown, as in OpenSSH, not changed.
    assert.equal(verifyHostKey({ host: '10.0.0.1', port: 22, key: parsePublicKey(ecdsa.pub), knownHosts: known }).kind, 'unknown');
    assert.equal(verifyHostKey({ host: '10.0.0.1', port: 22, key: keyB, knownHosts: known }).kind, 'revoked');
    assert.equal(verifyHostKey({ host: '10.0.0.1', port: 22, key: keyA, pinned: a.pub, knownHosts: [] }).kind, 'pinned-match');
    assert.equal(
      verifyHostKey({ host: '10.0.0.1', port: 22, key: keyA, pinned: b.pub, knownHosts: known }).kind,
      'changed',
      'the spec pin wins over known_hosts',
    );
  });

  it('pins by appending to a file it creates, readable by OpenSSH', async () => {
    const file = path.join(dir, 'managed', 'known_hosts');
    await appendKnownHost(file, '127.0.0.1', 2200, keyA);
    await appendKnownHost(file, 'host.lab', 22, keyB);
    const entries = await readKnownHosts([file, path.join(dir, 'missing')]);
    assert.deepEqual(
      entries.map((e) => e.patterns),
      ['[127.0.0.1]:2200', 'host.lab'],
    );
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', file], { encoding: 'utf8' });
    assert.match(found, /ssh-ed25519/);
  });
});

describe('ssh client arguments', () => {
  it('builds a strict ssh command line with jump hosts and quoted known_hosts paths', () => {
    const jump = { name: 'j', address: '10.0.0.1', port: 2200, user: 'ops' };
    const args = sshClientArgs({ name: 'h', address: '10.0.0.2', port: 22, user: 'root', identity: '/k/id', jump }, ['/a b/kh', '/c/kh']);
    assert.deepEqual(args, [
      '-p',
      '22',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'UserKnownHostsFile="/a b/kh" /c/kh',
      '-i',
      '/k/id',
      '-J',
      'ops@10.0.0.1:2200',
      '--',
      'root@10.0.0.2',
    ]);
    assert.throws(() => sshClientArgs({ name: 'h', address: '-oProxyCommand=x', port: 22, user: 'root' }, []), /looks like an option/);
  });

  it('writes pinned keys of a host and its jump hosts as known_hosts lines', () => {
    const lines = pinnedKnownHostsLines({
      name: 'h',
      address: '10.0.0.2',
      port: 2222,
      user: 'root',
      hostKey: a.pub,
      jump: { name: 'j', address: '10.0.0.1', port: 22, user: 'root', hostKey: b.pub },
    });
    assert.deepEqual(lines, [
      `[10.0.0.2]:2222 ${a.pub.split(' ').slice(0, 2).join(' ')}`,
      `10.0.0.1 ${b.pub.split(' ').slice(0, 2).join(' ')}`,
    ]);
  });
});
