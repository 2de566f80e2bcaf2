/**
 * Lists the import cycles among the TypeScript files of the given folders (default lib/, functions/,
 * bin/, infra/). A cycle is a strongly connected component of the graph of relative imports and
 * re-exports, `import type` included: a type-only cycle still ties the files' designs together, and
 * the fix is the same (move what both sides need into a leaf module). Exits 1 when there is a cycle.
 *
 *   npx tsx scripts/check-import-cycles.ts [folder...]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The folders checked when none are given. */
export const DEFAULT_ROOTS: readonly string[] = ['lib', 'functions', 'bin', 'infra'];

/** Every `.ts` file below `dir` (declaration files left out), as absolute paths. */
function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The file a relative specifier names (`./x.js` is `./x.ts` on disk), or undefined when none is. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  const stem = base.replace(/\.(js|ts)$/, '');
  return [`${stem}.ts`, path.join(base, 'index.ts')].find((c) => existsSync(c));
}

/** The import graph of `files`: each file and the files of the set it imports. */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const inSet = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const info = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((i) => resolveSpecifier(f, i.fileName))
      .filter((d): d is string => d !== undefined && inSet.has(d));
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

/** The strongly connected components with more than one file, or one file importing itself (Tarjan). */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/**
 * What a cycle is made of: files, or the folders just below each root (`lib/deploy`, `lib/images`; a
 * file directly in a root stands for itself), where `images/` importing `project/` while `project/`
 * imports `images/` is a cycle even when no two files import each other.
 */
export type CycleLevel = 'file' | 'folder';

/** One import cycle: its members and, per member, the members it imports (paths from the repo root). */
export interface ImportCycle {
  readonly level: CycleLevel;
  readonly members: readonly string[];
  /** Per member, the file imports that tie it to the other members (`from -> to`). */
  readonly imports: ReadonlyMap<string, readonly string[]>;
}

/** The member a file belongs to at `level`. */
function memberOf(rel: string, level: CycleLevel, roots: readonly string[]): string {
  if (level === 'file') return rel;
  const root = roots.find((r) => rel.startsWith(`${path.normalize(r)}/`));
  if (root === undefined) return rel;
  const below = rel.slice(path.normalize(root).length + 1).split('/');
  return below.length > 1 ? `${path.normalize(root)}/${below[0]}` : rel;
}

/**
 * The import cycles below `roots` (folders relative to `repoRoot`) at `level`; imports leaving the
 * roots are not followed.
 */
export function findImportCycles(
  repoRoot: string,
  roots: readonly string[] = DEFAULT_ROOTS,
  level: CycleLevel = 'file',
): ImportCycle[] {
  const files = importGraph(roots.flatMap((r) => tsFiles(path.resolve(repoRoot, r))));
  const rel = (f: string): string => path.relative(repoRoot, f);
  const member = (f: string): string => memberOf(rel(f), level, roots);
  const graph = new Map<string, string[]>();
  const links = new Map<string, string[]>();
  for (const [f, deps] of files) {
    const from = member(f);
    const out = graph.get(from) ?? [];
    graph.set(from, out);
    for (const d of deps) {
      const to = member(d);
      if (level === 'folder' && to === from) continue;
      out.push(to);
      links.set(from, [...(links.get(from) ?? []), `${rel(f)} -> ${rel(d)}`]);
    }
  }
  return cyclesOf(graph).map((members) => {
    const inCycle = new Set(members);
    const imports = new Map(
      members.map((m) => [
        m,
        (links.get(m) ?? []).filter((l) => inCycle.has(member(path.resolve(repoRoot, l.split(' -> ')[1]!)))),
      ]),
    );
    return { level, members, imports };
  });
}

/** A readable list: one paragraph per cycle, each member with the imports that close the cycle. */
export function describeCycles(cycles: readonly ImportCycle[]): string {
  return cycles
    .map((c, i) => {
      const lines = c.members.flatMap((m) => [`  ${m}`, ...(c.imports.get(m) ?? []).map((l) => `    ${l}`)]);
      return [`${c.level} cycle ${i + 1} (${c.members.length} ${c.level}s):`, ...lines].join('\n');
    })
    .join('\n');
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const args = process.argv.slice(2);
  const roots = args.length > 0 ? args : DEFAULT_ROOTS;
  const cycles = [
    ...findImportCycles(repoRoot, roots, 'file'),
    ...findImportCycles(repoRoot, roots, 'folder'),
  ];
  if (cycles.length === 0) console.log('no import cycles');
  else console.log(describeCycles(cycles));
  process.exitCode = cycles.length === 0 ? 0 : 1;
}
