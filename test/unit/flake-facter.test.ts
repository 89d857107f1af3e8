// hardware.facterReport (issue 13, item 3): only a nixos-facter report inside the spec's folder is copied into
// the flake; a file outside it (directly, or through a link), a FIFO, or JSON of another shape is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { facterPathProblem, facterShapeProblem, readFacterReport } from '../../core/src/spec/facterReport';
import { findTemplatesDir } from '#core/flake';
import { main } from '../../cli/src/main';

const repo = path.dirname(findTemplatesDir(__dirname));
/** The top level of a report as nixos-facter writes it (numtide/nixos-facter pkg/facter/facter.go). */
const REPORT = JSON.stringify({ version: 5, system: 'x86_64-linux', virtualisation: 'none', hardware: { cpu: [] }, smbios: {} });
const SECRET = JSON.stringify({ auths: { 'registry.example': { auth: 'dG9rZW46c2VjcmV0' } } });

function withDir(fn: (dir: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facter-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('paths that are absolute or leave the folder are refused by their text', () => {
  assert.match(facterPathProblem('/etc/passwd.json') ?? '', /relative/);
  assert.match(facterPathProblem('../outside/config.json') ?? '', /inside/);
  assert.match(facterPathProblem('facter/../../x.json') ?? '', /inside/);
  assert.equal(facterPathProblem('facter/gpu-1.json'), undefined);
});

test('only the shape of a nixos-facter report is accepted', () => {
  assert.equal(facterShapeProblem(JSON.parse(REPORT)), undefined);
  assert.match(facterShapeProblem(JSON.parse(SECRET)) ?? '', /keys a nixos-facter report does not have \(auths\)/);
  assert.match(facterShapeProblem({ version: 1, hardware: {} }) ?? '', /system/);
  assert.match(facterShapeProblem([1, 2]) ?? '', /not a JSON object/);
});

test(
  'links out of the folder, FIFOs and other JSON are not read',
  withDir(async (dir) => {
    const spec = path.join(dir, 'spec');
    mkdirSync(path.join(spec, 'facter'), { recursive: true });
    writeFileSync(path.join(dir, 'config.json'), SECRET);
    writeFileSync(path.join(spec, 'facter/good.json'), REPORT);
    writeFileSync(path.join(spec, 'facter/other.json'), SECRET);
    symlinkSync(path.join(dir, 'config.json'), path.join(spec, 'facter/link.json'));
    execFileSync('mkfifo', [path.join(spec, 'facter/fifo.json')]);
    assert.deepEqual(await readFacterReport(spec, 'facter/good.json'), { text: REPORT });
    assert.match(((await readFacterReport(spec, 'facter/link.json')) as { error: string }).error, /outside the spec folder/);
    assert.match(((await readFacterReport(spec, '../config.json')) as { error: string }).error, /inside the spec folder/);
    assert.match(((await readFacterReport(spec, 'facter/other.json')) as { error: string }).error, /not a nixos-facter report/);
    assert.match(
      ((await readFacterReport(spec, 'facter/fifo.json')) as { error: string }).error,
      /not a regular file/,
      'a FIFO neither hangs nor is read',
    );
  }),
);

test(
  'generate copies a report inside the folder and never one outside it',
  withDir(async (dir) => {
    const spec = path.join(dir, 'spec');
    cpSync(path.join(repo, 'examples/two-node-nvidia'), spec, { recursive: true });
    writeFileSync(path.join(dir, 'config.json'), SECRET);
    mkdirSync(path.join(spec, 'facter'));
    writeFileSync(path.join(spec, 'facter/gpu-a.json'), REPORT);
    const yaml = readFileSync(path.join(spec, 'cluster.yaml'), 'utf8')
      .replace('      memoryGB: 128\n', '      memoryGB: 128\n      facterReport: facter/gpu-a.json\n')
      .replace(/(- name: gpu-b[\s\S]*?      memoryGB: 128\n)/, '$1      facterReport: ../config.json\n');
    writeFileSync(path.join(spec, 'cluster.yaml'), yaml);
    const io = {
      stdout: '',
      stderr: '',
      out: (t: string) => {
        io.stdout += t;
      },
      err: (t: string) => {
        io.stderr += t;
      },
    };
    const out = path.join(dir, 'flake');
    assert.equal(await main(['generate', spec, '-o', out], io), 0, io.stderr);
    assert.equal(readFileSync(path.join(out, 'hosts/gpu-a/facter.json'), 'utf8'), REPORT);
    assert.ok(!existsSync(path.join(out, 'hosts/gpu-b/facter.json')));
    assert.match(io.stderr, /gpu-b: facter report not used: \.\.\/config\.json: it must be inside the spec folder/);
    assert.ok(!io.stdout.includes('dG9rZW46') && !readFileSync(path.join(out, 'hosts/gpu-b/default.nix'), 'utf8').includes('facter'));
  }),
);
