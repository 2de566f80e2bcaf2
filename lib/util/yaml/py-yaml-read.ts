/**
 * PyYAML's `yaml.load(s, Loader=SafeLoader)`, which Kluctl's `from_yaml` Jinja filter calls (Kluctl's
 * templates run in Python): YAML 1.1 with PyYAML's booleans (yes/no/on/off/true/false, not y/n) and
 * sexagesimal numbers. Its conformance is checked against real PyYAML by test/conformance. Also what
 * PyYAML resolves, so that YAML written for other tools reads back as strings there too.
 */
import { parse } from 'yaml';

// PyYAML's YAML 1.1 booleans: yes/no/true/false/on/off (not y/n as the yaml package's 1.1 schema).
const PY_BOOL = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (s: string) => /^(?:yes|true|on)$/i.test(s),
};

function pyYamlTags(tags: unknown[]): unknown[] {
  return [PY_BOOL, ...tags.filter((t) => (t as { tag?: string }).tag !== 'tag:yaml.org,2002:bool')];
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

/** Parses `text` as PyYAML's SafeLoader does (first document). */
export function readPyYaml(text: string): unknown {
  return parse(text, { version: '1.1', customTags: pyYamlTags as never }) as unknown;
}
