/**
 * Writes the files derived from the provider catalogues: the normalized-event JSON Schema,
 * the event type catalogue, and the SDK's TypeScript event types.
 *
 *   node --import tsx packages/providers/scripts/generate.ts          write them
 *   node --import tsx packages/providers/scripts/generate.ts --check  exit 1 if any committed file is stale
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generate, REPO_ROOT, staleOutputs } from '../src/codegen/generate.ts';

const outputs = generate();
if (process.argv.includes('--check')) {
  const stale = staleOutputs(outputs);
  if (stale.length > 0) {
    console.error(
      `Generated files are out of date with packages/providers/src (catalogue, codegen):\n${stale.map((p) => `  ${p}`).join('\n')}\nRun: node --import tsx packages/providers/scripts/generate.ts`,
    );
    process.exit(1);
  }
  console.log(`Generated files are up to date (${outputs.size} checked).`);
} else {
  for (const [path, content] of outputs) {
    mkdirSync(dirname(join(REPO_ROOT, path)), { recursive: true });
    writeFileSync(join(REPO_ROOT, path), content);
    console.log(`wrote ${path}`);
  }
}
