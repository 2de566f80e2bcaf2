/**
 * PyYAML's `yaml.load(s, Loader=SafeLoader)`, which Kluctl's `from_yaml` Jinja filter calls (Kluctl's
 * templates run in Python): YAML 1.1 with PyYAML's booleans (yes/no/on/off/true/false, not y/n) and
 * sexagesimal numbers. Its conformance is checked against real PyYAML by test/conformance.
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

/** Parses `text` as PyYAML's SafeLoader does (first document). */
export function readPyYaml(text: string): unknown {
  return parse(text, { version: '1.1', customTags: pyYamlTags as never }) as unknown;
}
