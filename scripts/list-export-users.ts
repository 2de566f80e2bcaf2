/**
 * Lists the exports of the TypeScript files below the given folders and who imports each one by name,
 * to find exports nothing uses and exports only tests use (`unused`, `tests only`, `used`).
 * Importers are searched in lib/, functions/, bin/, infra/, bench/, scripts/ and test/; `export *`
 * re-exports count as importing every name.
 *
 *   npx tsx scripts/list-export-users.ts lib/deploy lib/api [--only unused|tests]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SEARCHED = ['lib', 'functions', 'bin', 'infra', 'bench', 'scripts', 'test'];

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

function hasExport(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** The names a file exports by declaration or by `export { a }` (re-exports from elsewhere left out). */
function exportedNames(sf: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const st of sf.statements) {
    if (
      ts.isExportDeclaration(st) &&
      !st.moduleSpecifier &&
      st.exportClause &&
      ts.isNamedExports(st.exportClause)
    )
      names.push(...st.exportClause.elements.map((e) => e.name.text));
    if (!hasExport(st)) continue;
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
    if (
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) ||
        ts.isEnumDeclaration(st)) &&
      st.name
    )
      names.push(st.name.text);
  }
  return names;
}

function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const stem = path.resolve(path.dirname(from), spec).replace(/\.(js|ts)$/, '');
  return [`${stem}.ts`, path.join(stem, 'index.ts')].find((c) => existsSync(c));
}

/** Per imported file, per name, the files that import it (`*` for star re-exports). */
function importsByFile(files: readonly string[]): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  const add = (target: string, name: string, user: string): void => {
    const byName = out.get(target) ?? new Map<string, Set<string>>();
    out.set(target, byName);
    byName.set(name, (byName.get(name) ?? new Set()).add(user));
  };
  for (const f of files) {
    const sf = parse(f);
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
        const target = resolve(f, (node.moduleSpecifier as ts.StringLiteral).text);
        if (target) {
          if (ts.isImportDeclaration(node)) {
            const b = node.importClause?.namedBindings;
            if (node.importClause?.name) add(target, 'default', f);
            if (b && ts.isNamedImports(b))
              for (const e of b.elements) add(target, (e.propertyName ?? e.name).text, f);
            if (b && ts.isNamespaceImport(b)) add(target, '*', f);
          } else if (node.exportClause && ts.isNamedExports(node.exportClause)) {
            for (const e of node.exportClause.elements) add(target, (e.propertyName ?? e.name).text, f);
          } else add(target, '*', f);
        }
      }
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        const target = arg && ts.isStringLiteral(arg) ? resolve(f, arg.text) : undefined;
        if (target) add(target, '*', f);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const folders = args.filter((_, i) => onlyAt < 0 || (i !== onlyAt && i !== onlyAt + 1));
const all = SEARCHED.flatMap((d) => tsFiles(path.join(repoRoot, d)));
const users = importsByFile(all);
const isTest = (f: string): boolean => path.relative(repoRoot, f).startsWith('test/');
for (const file of folders.flatMap((d) => tsFiles(path.resolve(repoRoot, d)))) {
  const byName = users.get(file);
  for (const name of exportedNames(parse(file))) {
    const who = [...(byName?.get(name) ?? []), ...(byName?.get('*') ?? [])].filter((u) => u !== file);
    const verdict = who.length === 0 ? 'unused' : who.every(isTest) ? 'tests only' : 'used';
    if (only === 'unused' && verdict !== 'unused') continue;
    if (only === 'tests' && verdict !== 'tests only') continue;
    const list = who.map((u) => path.relative(repoRoot, u)).join(', ');
    console.log(
      `${verdict.padEnd(10)} ${path.relative(repoRoot, file)} ${name}${list ? `  <- ${list}` : ''}`,
    );
  }
}
