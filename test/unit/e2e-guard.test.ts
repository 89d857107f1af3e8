// The guard phase's reading of strace (test/e2e/guard.mjs): which process is the extension host's, which connects
// it made, and which addresses a spec names. Lines are in the format strace 6.1 writes with -f (seen in real runs).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '../../..');
const guard = () => import(pathToFileURL(path.join(root, 'test/e2e/guard.mjs')).href);

const TRACE = [
  '100 execve("/opt/node", ["node", "/opt/code-server/out/node/entry"], 0x1 /* 17 vars */) = 0',
  '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 200',
  '200 execve("/opt/node", ["/opt/node", "/opt/vscode/out/bootstrap-fork", "--type=extensionHost", "--transformURIs"], 0x2 /* 20 vars */) = 0',
  '200 clone3({flags=CLONE_VM|CLONE_THREAD, child_tid=0x1} <unfinished ...>',
  '100 connect(21, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = -1 ENETUNREACH (Network is unreachable)',
  '200 <... clone3 resumed> => {parent_tid=[201]}, 88) = 201',
  '200 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 300',
  '300 execve("/opt/node", ["/opt/node", "/ext/dist/server.js", "--node-ipc"], 0x3 /* 20 vars */) = 0',
  '201 connect(30, {sa_family=AF_INET, sin_port=htons(4222), sin_addr=inet_addr("10.0.0.10")}, 16) = -1 ENETUNREACH (Network is unreachable)',
  '300 connect(31, {sa_family=AF_INET6, sin6_port=htons(52415), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "fd00::10", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH (Network is unreachable)',
  '200 connect(32, {sa_family=AF_UNIX, sun_path="/run/user/code-server-ipc.sock"}, 110) = 0',
].join('\n');

test('connects are attributed to the extension host through clones, threads and child processes', async () => {
  const { parseTrace } = await guard();
  const t = parseTrace(TRACE);
  const host = /--type=extensionHost/;
  const fromHost = t.connects.filter((c: { pid: number }) => t.within(c.pid, host));
  assert.deepEqual(
    fromHost.map((c: { family: string; address: string; port: number }) => `${c.family} ${c.address}:${c.port}`),
    ['AF_INET 10.0.0.10:4222', 'AF_INET6 fd00::10:52415', 'AF_UNIX /run/user/code-server-ipc.sock:0'],
  );
  // code-server's own DNS lookup is not the extension host's.
  assert.equal(t.within(100, host), false);
  assert.deepEqual(t.execs(host), [200]);
});

test('the addresses a spec names: IPv4 (with or without a prefix), URL hosts and IPv6', async () => {
  const { specAddresses } = await guard();
  const fs = await import('node:fs');
  const os = await import('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-spec-'));
  try {
    fs.mkdirSync(path.join(dir, 'hosts'));
    fs.writeFileSync(
      path.join(dir, 'cluster.yaml'),
      'nats:\n  url: nats://hub.example.org:4222\nhosts:\n  - { name: a, addresses: [10.0.0.10/24, "fd00::10"] }\n',
    );
    fs.writeFileSync(path.join(dir, 'hosts', 'b.yaml'), 'name: b\naddresses: [192.168.1.7]\n');
    assert.deepEqual([...specAddresses(dir)].sort(), ['10.0.0.10', '192.168.1.7', 'fd00::10', 'hub.example.org']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
