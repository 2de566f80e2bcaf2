/**
 * Cases for Python's lazy `range` (Kluctl's Jinja is not sandboxed, so ranges have no size limit):
 * the huge ranges public projects use to draw a random number, and where a range is not a list
 * (printing, equality, `+`, JSON and YAML dumping).
 */
import { group } from './cases.js';
import type { Case } from './cases.js';

const HUGE = 'range(0, 9999999999999)';

const ranges: Case[] = [
  ['random from a huge range', `{% set n = ${HUGE} | random %}{{ n >= 0 and n < 9999999999999 }}`],
  ['length of a huge range', `{{ ${HUGE} | length }} {{ ${HUGE} | count }}`],
  ['first and last of a huge range', `{{ ${HUGE} | first }} {{ ${HUGE} | last }}`],
  ['index into a huge range', `{{ ${HUGE}[-2] }} {{ ${HUGE}[12345] }}`],
  [
    'in on a huge stepped range',
    '{{ 5 in range(0, 9999999999999, 5) }} {{ 7 in range(0, 9999999999999, 5) }}',
  ],
  ['in with a float and a bool', '{{ 2.0 in range(3) }} {{ true in range(3) }} {{ "1" in range(3) }}'],
  ['truthiness', '{% if range(0) %}t{% else %}f{% endif %}{% if range(2) %}t{% else %}f{% endif %}'],
  ['prints as a range', '{{ range(3) }} {{ range(1, 10, 2) }} {{ [range(2)] }} {{ range(3) | string }}'],
  ['empty range prints and counts', '{{ range(0) }} {{ range(0) | length }} {{ range(-5) | list }}'],
  ['percent format of a range', '{{ "%s" % range(2) }}'],
  ['list, join and sum', '{{ range(3) | list }} {{ range(3) | join(",") }} {{ range(3) | sum }}'],
  ['negative step', '{{ range(5, 0, -2) | list }} {{ range(3) | reverse | list }}'],
  ['slices are ranges', '{{ range(10)[2:5] }} {{ range(10)[::-3] }} {{ range(10)[1::2] | list }}'],
  ['attributes', '{{ range(1, 9, 2).start }} {{ range(1, 9, 2).stop }} {{ range(1, 9, 2).step }}'],
  ['index and count methods', '{{ range(10).index(4) }} {{ range(10).count(4) }} {{ range(10).count(11) }}'],
  [
    'equality with ranges and lists',
    '{{ range(3) == range(0, 3, 1) }} {{ range(0) == range(2, 2) }} {{ range(3) == [0, 1, 2] }}',
  ],
  ['tests', '{{ range(3) is sequence }} {{ range(3) is iterable }} {{ range(3) is mapping }}'],
  ['for loop info', '{% for i in range(2, 5) %}{{ loop.index }}{{ i }}{{ loop.length }} {% endfor %}'],
  [
    'filters that iterate',
    '{{ range(3) | map("string") | list }} {{ range(5) | batch(2) | list }} {{ range(4) | max }}',
  ],
  ['bool argument', '{{ range(true) | list }}'],
  ['first of an empty range', '{{ range(0) | first }}'],
  ['index out of range', '{{ range(3)[5] }}'],
  ['unknown attribute', '{{ range(3).x }}'],
  ['float argument', '{{ range(1.5) }}'],
  ['string argument', '{{ range("a") }}'],
  ['zero step', '{{ range(1, 2, 0) }}'],
  ['no arguments', '{{ range() }}'],
  ['too many arguments', '{{ range(1, 2, 3, 4) }}'],
  ['plus a list', '{{ range(3) + [1] }}'],
  ['times an int', '{{ range(3) * 2 }}'],
  ['ordering', '{{ range(3) < range(4) }}'],
  ['tojson', '{{ range(3) | tojson }}'],
  ['to_json', '{{ range(3) | to_json }}'],
  ['to_yaml', '{{ range(3) | to_yaml }}'],
  ['listed for tojson', '{{ range(3) | list | tojson }}'],
];

const yamlEof: Case[] = [
  // PyYAML keeps no final newline when a block scalar ends the text without a line break.
  ['block scalar at the end of the text', '{{ ("a: |\\n  x\\n  y" | from_yaml).a | tojson }}'],
  ['keep block scalar at the end of the text', '{{ ("a: |+\\n  x" | from_yaml).a | tojson }}'],
  ['folded block scalar at the end of the text', '{{ ("a: >\\n  x\\n  y" | from_yaml).a | tojson }}'],
  ['block scalar followed by a newline', '{{ ("a: |\\n  x\\n" | from_yaml).a | tojson }}'],
];

export const CASES_RANGE: readonly Case[] = [...group('range', ranges), ...group('from_yaml', yamlEof)];
