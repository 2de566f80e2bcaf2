/**
 * PyYAML's `yaml.load(s, Loader=SafeLoader)`, which Kluctl's `from_yaml` Jinja filter calls (Kluctl's
 * templates run in Python): YAML 1.1 with PyYAML's booleans (yes/no/on/off/true/false, not y/n) and
 * sexagesimal numbers. Its conformance is checked against real PyYAML by test/conformance. Also what
 * PyYAML resolves, so that YAML written for other tools reads back as strings there too.
 */
import { parseDocument } from 'yaml';
import { fixBlockScalarsAtEof } from './block-scalar-eof.js';

// PyYAML's YAML 1.1 booleans: yes/no/true/false/on/off (not y/n as the yaml package's 1.1 schema).
const PY_BOOL = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (s: string) => /^(?:yes|true|on)$/i.test(s),
};

const TIMESTAMP =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;
const p2 = (n: string | number): string => String(n).padStart(2, '0');

/**
 * A PyYAML timestamp as Python prints it (templates only ever print or compare them): a date as
 * `2001-12-14`, a datetime as `2001-12-14 21:59:43.100000-05:00` (microseconds, UTC offset if any).
 */
function pyTimestamp(s: string): string {
  const m = TIMESTAMP.exec(s)!;
  const date = `${m[1]}-${p2(Number(m[2]))}-${p2(Number(m[3]))}`;
  if (m[4] === undefined) return date;
  const micro = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
  const time = `${p2(Number(m[4]))}:${m[5]}:${m[6]}${Number(micro) ? `.${micro}` : ''}`;
  const tz =
    m[8] === undefined ? '' : m[8] === 'Z' ? '+00:00' : `${m[9]}${p2(Number(m[10]))}:${m[11] ?? '00'}`;
  return `${date} ${time}${tz}`;
}

const PY_TIMESTAMP = {
  tag: 'tag:yaml.org,2002:timestamp',
  default: true,
  test: TIMESTAMP,
  resolve: pyTimestamp,
};

/** PyYAML's float pattern: a dot is required, unlike YAML 1.2 (`1e3` stays a string). */
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** PyYAML's construct_yaml_float. */
function pyFloat(text: string): number {
  const s = text.replaceAll('_', '').toLowerCase();
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[-+]/, '');
  if (body === '.inf') return sign * Infinity;
  if (body === '.nan') return NaN;
  if (!body.includes(':')) return sign * Number(body);
  // Sexagesimal: 1:20.5 is 80.5.
  return sign * body.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
}

/** How floats are represented (the template engine keeps them apart from integers). */
export type PyFloatFactory = (n: number) => unknown;

function pyYamlTags(float: PyFloatFactory): (tags: unknown[]) => unknown[] {
  const PY_FLOAT = {
    tag: 'tag:yaml.org,2002:float',
    default: true,
    test: FLOAT,
    resolve: (s: string) => float(pyFloat(s)),
  };
  const replaced = new Set([
    'tag:yaml.org,2002:bool',
    'tag:yaml.org,2002:timestamp',
    'tag:yaml.org,2002:float',
  ]);
  return (tags) => [
    PY_BOOL,
    PY_TIMESTAMP,
    PY_FLOAT,
    ...tags.filter((t) => !replaced.has((t as { tag?: string }).tag ?? '')),
  ];
}

/** PyYAML's implicit resolvers (bool, int, float, null, merge, value, timestamp), as one pattern. */
const RESOLVES_TO_NON_STRING = new RegExp(
  [
    '^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$',
    '^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$',
    '^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$',
    '^(?:~|null|Null|NULL|)$',
    '^(?:<<|=)$',
    '^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$',
  ].join('|'),
);

/** Whether PyYAML would read `s`, written plain, as something other than a string. */
export function pyYamlResolvesToNonString(s: string): boolean {
  return RESOLVES_TO_NON_STRING.test(s);
}

/** Parses `text` as PyYAML's SafeLoader does (first document); `float` wraps floats. Default: numbers. */
export function readPyYaml(text: string, float: PyFloatFactory = (n) => n): unknown {
  const doc = parseDocument(text, { version: '1.1', customTags: pyYamlTags(float) as never });
  if (doc.errors[0]) throw doc.errors[0];
  // A block scalar ending the text keeps no final newline in PyYAML.
  return fixBlockScalarsAtEof(doc, text).toJS() as unknown;
}
