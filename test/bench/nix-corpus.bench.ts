// `npm run bench -- nix-corpus`: the language server over the corpus of third-party NixOS modules
// (test/fixtures/nix-corpus): files checked, diagnostics (real ones the manifest lists, and any other),
// and the time from the first open to the last file's diagnostics.
import { checkCorpus, corpusManifest, isKnownReal } from '../support/nixCorpus';

async function main(): Promise<void> {
  const result = await checkCorpus();
  const real = result.diagnostics.filter((d) => isKnownReal(d.file, d.diagnostic)).length;
  console.log(`corpus: ${corpusManifest.repositories.map((r) => `${r.repository}@${r.commit.slice(0, 12)} (${r.files})`).join(', ')}`);
  console.log(`files checked: ${result.files}`);
  console.log(
    `diagnostics: ${result.diagnostics.length} (${real} real, listed in the manifest; ${result.diagnostics.length - real} false)`,
  );
  for (const d of result.diagnostics.filter((x) => !isKnownReal(x.file, x.diagnostic))) {
    console.log(`  ${d.file}:${d.diagnostic.range.start.line + 1}: ${d.diagnostic.code} ${d.diagnostic.message}`);
  }
  console.log(
    `time: ${(result.ms / 1000).toFixed(2)} s (${(result.ms / result.files).toFixed(1)} ms per file, open to diagnostics, one server)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
