// No import cycles in lib/ (issue 9): neither between files nor between the feature folders below lib/
// (`images/` importing `project/` while `project/` imports `images/`). A failure lists every cycle with
// the imports that close it; `npx tsx scripts/check-import-cycles.ts` prints the same for lib/,
// functions/, bin/ and infra/.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cyclesOf, describeCycles, findImportCycles } from '../../scripts/check-import-cycles.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('import cycles in lib/', () => {
  it.each(['file', 'folder'] as const)('there is no %s-level cycle', (level) => {
    expect(describeCycles(findImportCycles(repoRoot, ['lib'], level))).toBe('');
  });
});

describe('the cycle finder', () => {
  it.each([
    ['a chain', { a: ['b'], b: ['c'], c: [] }, []],
    ['a pair', { a: ['b'], b: ['a'] }, [['a', 'b']]],
    ['a file importing itself', { a: ['a'] }, [['a']]],
    [
      'two cycles joined by a one-way import',
      { a: ['b'], b: ['a', 'c'], c: ['d'], d: ['e'], e: ['c'] },
      [
        ['a', 'b'],
        ['c', 'd', 'e'],
      ],
    ],
  ])('finds the cycles of %s', (_, graph, want) => {
    expect(cyclesOf(new Map(Object.entries(graph)))).toEqual(want);
  });
});

describe('findImportCycles on a tree', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cycles-'));
    const files: Record<string, string> = {
      // images/ and project/ import each other through different files: a folder cycle only.
      'lib/images/fixed.ts': "import type { S } from '../project/strict.js';\nexport type F = S;\n",
      'lib/project/strict.ts': 'export type S = string;\n',
      'lib/project/render.ts': "import type { F } from '../images/fixed.js';\nexport type R = F;\n",
      // Two files of one folder importing each other: a file cycle, no folder cycle.
      'lib/deploy/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'lib/deploy/b.ts': "export { a as b } from './a.js';\n",
      'lib/errors.ts': 'export class E extends Error {}\n',
    };
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds file cycles, re-exports included', () => {
    expect(findImportCycles(dir, ['lib'], 'file').map((c) => c.members)).toEqual([
      ['lib/deploy/a.ts', 'lib/deploy/b.ts'],
    ]);
  });

  it('finds folder cycles and names the imports that close them', () => {
    const cycles = findImportCycles(dir, ['lib'], 'folder');
    expect(describeCycles(cycles)).toBe(
      [
        'folder cycle 1 (2 folders):',
        '  lib/images',
        '    lib/images/fixed.ts -> lib/project/strict.ts',
        '  lib/project',
        '    lib/project/render.ts -> lib/images/fixed.ts',
      ].join('\n'),
    );
  });
});
