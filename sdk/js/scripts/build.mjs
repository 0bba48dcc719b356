// Two tsc runs over the same sources, ESM then CommonJS, each with declarations: no bundler,
// so dist/ mirrors src/ file for file.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const config of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', join(root, config)], { stdio: 'inherit' });
}
// dist/cjs sits under a "type": "module" package.json; this marks its .js and .d.ts as CommonJS.
writeFileSync(join(root, 'dist/cjs/package.json'), '{"type":"commonjs"}\n');
chmodSync(join(root, 'dist/esm/bin.js'), 0o755);
