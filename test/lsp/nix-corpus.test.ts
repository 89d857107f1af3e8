// Valid, maintained NixOS modules written by others (hardware profiles, server profiles, image
// generators, facter modules, disko layouts; test/fixtures/nix-corpus/MANIFEST.json), opened through the
// language server: none of them may get a diagnostic unless the manifest lists it as a real problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCorpus, corpusManifest, isKnownReal } from '../support/nixCorpus';

test('the language server reports no false diagnostics on a corpus of third-party NixOS modules', async () => {
  const result = await checkCorpus();
  const expected = corpusManifest.repositories.reduce((n, r) => n + r.files, 0);
  assert.equal(result.files, expected, 'every file the manifest counts was opened');
  assert.ok(result.files >= 400, `${result.files} files`);
  const unexpected = result.diagnostics
    .filter((d) => !isKnownReal(d.file, d.diagnostic))
    .map((d) => `${d.file}:${d.diagnostic.range.start.line + 1}: ${d.diagnostic.code} ${d.diagnostic.message}`);
  assert.deepEqual(unexpected, []);
  // The checks are live in that workspace: a planted typo and a wrong type are reported.
  assert.deepEqual(
    result.planted.map((d) => d.code),
    ['nix.unknown-option', 'nix.option-type'],
  );
  // Every real problem the manifest lists is still found (the list cannot go stale).
  for (const real of corpusManifest.realProblems) {
    assert.ok(
      result.diagnostics.some(
        (d) => d.file === real.file && d.diagnostic.code === real.code && d.diagnostic.range.start.line + 1 === real.line,
      ),
      `${real.file}:${real.line} ${real.code}`,
    );
  }
});
