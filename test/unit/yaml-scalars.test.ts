/**
 * lib/util/yaml.ts against Kluctl v2.28.2's recorded behaviour (yaml-scalars.table.ts and
 * test/fixtures/yaml/kluctl-strings.json): every scalar resolved as Kluctl's readers do on each path,
 * every string written as Kluctl prints it, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { ProjectLoadError } from '../../lib/errors.js';
import { TemplateEngine } from '../../lib/templating/template-engine.js';
import { readYaml, readYamlAll, readYamlTree, writeYaml, writeYamlAll } from '../../lib/util/yaml.js';
import { KLUCTL_SCALARS, QUOTED_FOR_PYYAML, WIDE_INTEGERS, oursFor } from './yaml-scalars.table.js';

/** How Kluctl prints one value under a key: the text after `k: ` (first line only for blocks). */
function printed(v: unknown): string {
  return writeYaml({ k: v }).replace(/^k: ?/, '').replace(/\n$/, '');
}

function orError(f: () => string): string {
  try {
    return f();
  } catch (err) {
    if (err instanceof ProjectLoadError || err instanceof RangeError) return 'error';
    throw err;
  }
}

const kustomizeValue = (src: string): unknown =>
  (readYaml(`k: ${src}\n`, 'probe.yaml', { dialect: 'kustomize' }) as { k: unknown }).k;
const kluctlValue = (src: string): unknown => (readYaml(`k: ${src}\n`, 'vars.yaml') as { k: unknown }).k;
const engine = new TemplateEngine({ debugPrint: () => {} });

describe('scalars as Kluctl reads and prints them (recorded from Kluctl v2.28.2)', () => {
  const rows = KLUCTL_SCALARS.map((r) => [JSON.stringify(r[0]), r] as const);

  it.each(rows)('%s in a plain item file (kyaml)', (_n, [src, plain, , helm]) => {
    // Kluctl keeps 64-bit integers there; ours are float64 as on the Helm path (deliberate).
    const want = WIDE_INTEGERS.includes(src) ? helm : plain;
    expect(orError(() => printed(kustomizeValue(src)))).toBe(oursFor(want));
  });

  it.each(rows)(
    '%s as an annotation value of a plain item (kept as text)',
    (_n, [src, plain, annotation]) => {
      if (plain === 'error') return;
      const doc = readYamlTree(`k: ${src}\n`, 'probe.yaml', { dialect: 'kustomize' });
      const node = doc.root?.kind === 'map' ? doc.root.entries[0]?.value : undefined;
      expect(node?.kind === 'scalar' ? printed(node.text) : undefined).toBe(oursFor(annotation));
    },
  );

  it.each(rows)('%s in Helm output (sigs.k8s.io/yaml, then kyaml)', (_n, [src, , , helm]) => {
    const viaFile = (): string => {
      const written = writeYamlAll(readYamlAll(`k: ${src}\n`, 'helm output', { strict: false }));
      return printed((readYaml(written, 'helm-rendered.yaml', { dialect: 'kustomize' }) as { k: unknown }).k);
    };
    expect(orError(viaFile)).toBe(oursFor(helm));
  });

  it.each(rows)('%s from a vars file printed with {{ v }}', async (_n, [src, , , , vars]) => {
    let v: unknown;
    try {
      v = kluctlValue(src);
    } catch (err) {
      expect(err).toBeInstanceOf(ProjectLoadError);
      expect(vars).toBe('error');
      return;
    }
    const text = await engine.render('k: {{ v }}\n', { v }, { file: 'cm.yaml' });
    expect(printed((readYaml(text, 'cm.yaml', { dialect: 'kustomize' }) as { k: unknown }).k)).toBe(
      oursFor(vars),
    );
  });
});

describe('strings as Kluctl prints them (quoting, block scalars, folding at 80 columns)', () => {
  const fixture = JSON.parse(
    readFileSync(new URL('../fixtures/yaml/kluctl-strings.json', import.meta.url), 'utf8'),
  ) as { strings: string[]; printed: string };
  const probe = Object.fromEntries(fixture.strings.map((s, i) => [`v${String(i).padStart(3, '0')}`, s]));

  it('writes the probe byte for byte as Kluctl (but for strings quoted for PyYAML)', () => {
    // Also deliberate: U+2028, which libyaml writes raw as a line break, is escaped.
    const want = fixture.printed
      .replace(/^( +v\d{3}): (.*)$/gm, (l, k: string, v: string) =>
        QUOTED_FOR_PYYAML.includes(v) ? `${k}: "${v}"` : l,
      )
      .replace("'\u2028'", '"\\L"');
    expect(want).not.toBe(fixture.printed);
    expect(writeYaml({ probe })).toBe(want);
  });

  it('reads Kluctl’s output back to the same strings in both dialects', () => {
    expect(readYaml(fixture.printed, 'out.yaml')).toEqual({ probe });
    expect(readYaml(fixture.printed, 'out.yaml', { dialect: 'kustomize' })).toEqual({ probe });
  });
});

describe('keys, merge keys, anchors and tags (recorded from Kluctl v2.28.2)', () => {
  const keys =
    'keys:\n  0755: a\n  yes: b\n  1.50: d\n  2001-12-14: e\n  0x1F: g\n  "quoted": h\n  1e3: i\n  -0: j\n  .5: k\n  False: m\n  0.1: o\n  123456789.123: p\n';

  it('sigs.k8s.io/yaml turns non-string keys into strings (float keys with 32-bit precision)', () => {
    expect(writeYaml(readYaml(keys, 'vars.yaml'))).toBe(
      'keys:\n  "0": j\n  "0.1": o\n  "0.5": k\n  "1.5": d\n  "1.2345679e+08": p\n  "31": g\n  "493": a\n  "1000": i\n  "2001-12-14": e\n  "false": m\n  quoted: h\n  "true": b\n',
    );
  });

  it('merge keys: yaml.v2 merges in place (later wins), yaml.v3 lets explicit keys win', () => {
    const src =
      'base: &b {a: 1, b: 2}\nm:\n  b: 0\n  <<: *b\n  c: 4\nmulti:\n  <<: [*b, {d: 5, a: 9}]\n  e: 6\n';
    expect(readYaml(src, 'x.yaml', { strict: false })).toMatchObject({
      m: { a: 1, b: 2, c: 4 },
      multi: { a: 1, b: 2, d: 5, e: 6 },
    });
    expect(readYaml(src, 'x.yaml', { dialect: 'kustomize' })).toMatchObject({
      m: { a: 1, b: 0, c: 4 },
      multi: { a: 1, b: 2, d: 5, e: 6 },
    });
  });

  it('strict reading refuses a key set twice, also through a merge key (Kluctl: "key already set in map")', () => {
    expect(() => readYaml('a: 1\nb: 2\na: 3\n', 'f.yaml')).toThrow(/f\.yaml:3:4: duplicate key "a"/);
    expect(() => readYaml('yes: 1\ntrue: 2\n', 'f.yaml')).toThrow(/duplicate key "true"/);
    expect(() => readYaml('b: &b {x: 1}\nm:\n  <<: *b\n  x: 2\n', 'f.yaml')).toThrow(/duplicate key "x"/);
    expect(readYaml('a: 1\na: 3\n', 'helm output', { strict: false })).toEqual({ a: 3 });
  });

  it('tags: !!binary is decoded, !!timestamp stays text (yaml.v2) or becomes RFC 3339 (kyaml)', () => {
    const src =
      'bin: !!binary aGVsbG8=\nts: !!timestamp 2001-12-14\nts2: !!str 2001-12-14\nset: !!set {a, b}\n';
    expect(readYaml(src, 'x.yaml')).toEqual({
      bin: 'hello',
      ts: '2001-12-14',
      ts2: '2001-12-14',
      set: { a: null, b: null },
    });
    expect(readYaml(src, 'x.yaml', { dialect: 'kustomize' })).toMatchObject({
      ts: '2001-12-14T00:00:00Z',
      ts2: '2001-12-14',
    });
  });

  it('errors name file, line and what Go refuses', () => {
    expect(() => readYaml('a: !!int abc\n', 'f.yaml')).toThrow(
      'f.yaml:1:10: cannot decode !!str `abc` as a !!int',
    );
    expect(() => readYaml('~: 1\n', 'f.yaml')).toThrow(/f\.yaml:1:1: a mapping key is null/);
    expect(() => readYaml('a: "\\ud83d\\ude00"\n', 'f.yaml')).toThrow(/invalid Unicode character escape/);
    expect(() => readYaml('a: .inf\n', 'f.yaml')).toThrow(/f\.yaml:1:4: .inf cannot be converted to JSON/);
  });

  it('splits streams at --- lines as Kluctl does and drops empty documents', () => {
    expect(readYamlAll('a: 1\n---\n---\n# c\n--- # x\nb: 2\n', 'f.yaml')).toEqual([{ a: 1 }, { b: 2 }]);
    expect(() => readYamlAll('a: 1\n--- b: 2\n', 'f.yaml')).toThrow(
      /f\.yaml:2: invalid YAML document separator/,
    );
  });
});
