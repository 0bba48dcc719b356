// `npm run check:imports` (part of `npm run check`): the repository's import rules, read from
// every source file with TypeScript's own import scanner.
//
// - Nothing imports from outside the repository, and relative imports stay inside their own
//   package: another package is reached through its name and entry (its package.json
//   `exports`), never through its files.
// - packages/* never import services/*: services build on packages, not the other way.
// - Every bare import names a module declared in the importing package's own package.json
//   (dependencies, devDependencies or peerDependencies), or a Node built-in.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(['node_modules', 'dist', '.git', '.hookline', 'coverage']);
const BUILTINS = new Set(builtinModules);

interface Pkg {
  dir: string;
  testsBelongToRoot?: boolean;
  name: string;
  declared: Set<string>;
  exports: Set<string>;
}

function readPkg(dir: string): Pkg {
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const declared = new Set<string>(
    ['dependencies', 'devDependencies', 'peerDependencies'].flatMap((field) => Object.keys(json[field] ?? {})),
  );
  const exports = new Set<string>(
    typeof json.exports === 'object' && json.exports !== null && Object.keys(json.exports)[0]?.startsWith('.')
      ? Object.keys(json.exports)
      : ['.'],
  );
  return { dir, name: json.name, declared, exports };
}

/** The root package and its workspaces (globs of the form `dir/*` or a plain directory). */
function readPackages(root: string): Pkg[] {
  const workspaces: string[] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
  const dirs = workspaces.flatMap((w) =>
    w.endsWith('/*')
      ? readdirSync(join(root, w.slice(0, -2)))
          .map((d) => join(root, w.slice(0, -2), d))
          .filter((d) => statSync(join(d, 'package.json'), { throwIfNoEntry: false }))
      : [join(root, w)],
  );
  // The SDK is published on its own, outside the workspaces, with no dependencies; its tests
  // run with the root's tools (vitest, express, fastify, @hookline/testing), which the root declares.
  const sdk = { ...readPkg(join(root, 'sdk/js')), testsBelongToRoot: true };
  return [readPkg(root), ...dirs.map(readPkg), sdk];
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * The SDK's entries are its built files, so the repository's own code reads two of its
 * generated sources directly: the web UI's API types and the providers' drift test.
 */
const ALLOWED_REACHES = new Set([
  'web/src/api.ts -> sdk/js/src/api.generated.ts',
  'packages/providers/src/codegen/generate.test.ts -> sdk/js/src/events.generated.ts',
]);

/** Whether `subpath` ('.', './x') is one of `exports`' keys, a key with one `*` matching any run. */
function exported(exports: Set<string>, subpath: string): boolean {
  return [...exports].some((key) => {
    const star = key.indexOf('*');
    return star < 0 ? key === subpath : subpath.startsWith(key.slice(0, star)) && subpath.endsWith(key.slice(star + 1));
  });
}

const inside = (dir: string, path: string) => path === dir || path.startsWith(dir + sep);

/** Every rule broken in the repository at `root`, one line each (file: what is wrong). */
export function importViolations(root: string): string[] {
  const packages = readPackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));
  // The deepest package directory holding a file owns it.
  const ownerOf = (file: string) => packages.filter((p) => inside(p.dir, file)).sort((a, b) => b.dir.length - a.dir.length)[0] as Pkg;
  // Whose package.json must declare a file's bare imports.
  const declarerOf = (file: string, owner: Pkg) =>
    owner.testsBelongToRoot && inside(join(owner.dir, 'test'), file) ? (packages[0] as Pkg) : owner;
  const isService = (p: Pkg) => inside(join(root, 'services'), p.dir);
  const isPackage = (p: Pkg) => inside(join(root, 'packages'), p.dir);
  const violations: string[] = [];
  for (const file of sourceFiles(root)) {
    const owner = ownerOf(file);
    const declarer = declarerOf(file, owner);
    const where = relative(root, file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = resolve(dirname(file), spec);
        if (!inside(root, target)) violations.push(`${where}: "${spec}" reads outside the repository`);
        else if (ownerOf(target) !== owner && !ALLOWED_REACHES.has(`${where} -> ${relative(root, target)}`)) {
          violations.push(`${where}: "${spec}" reaches into ${ownerOf(target).name}; import it by name through its entry`);
        }
        continue;
      }
      if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0] as string)) continue;
      const parts = spec.split('/');
      const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
      const subpath = `.${spec.slice(name.length)}`;
      const workspace = byName.get(name);
      if (workspace && !exported(workspace.exports, subpath)) {
        violations.push(`${where}: "${spec}" is not an entry of ${name} (its package.json exports ${[...workspace.exports].join(', ')})`);
      }
      if (workspace && isPackage(owner) && isService(workspace)) {
        violations.push(`${where}: ${owner.name} imports the service ${name}; packages must not depend on services`);
      }
      if (name !== owner.name && !declarer.declared.has(name)) {
        violations.push(
          `${where}: imports "${name}", which ${relative(root, join(declarer.dir, 'package.json')) || 'package.json'} does not declare`,
        );
      }
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const violations = importViolations(root);
  for (const v of violations) console.error(v);
  if (violations.length > 0) {
    console.error(`imports: ${violations.length} broken rule(s) (scripts/check-imports.ts says which rules and why)`);
    process.exit(1);
  }
  console.log('imports: every package imports only what it declares, through entries');
}
