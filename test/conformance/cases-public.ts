/**
 * Cases for discrepancies found by rendering public Kluctl projects (bench/public-projects.ts) with
 * both engines. Each reproduces one found difference in a small template of our own.
 */
import type { Case } from './cases.js';

export const CASES_PUBLIC: readonly Case[] = [
  // A var missing from the context falls back to Jinja's global of that name, which prints as a class.
  ['public: unshadowed namespace global prints its class', 'namespace: "{{ namespace }}"'],
  ['public: range and dict globals print their class', '{{ range }} {{ [dict] }}'],
  ['public: cycler and joiner globals print their class', '{{ cycler }} {{ joiner }}'],
  // A project var may shadow a built-in global; the next template must see the built-in again.
  ['public: var shadows the namespace global', 'namespace: {{ namespace }}', { namespace: 'team-a' }],
  ['public: namespace() after a var shadowed it', '{% set ns = namespace(n=[]) %}{{ ns.n + [1] }}'],
  // b64decode of a SOPS-encrypted (still encrypted) value: Python's decoder is lenient.
  ['public: b64decode skips characters outside the alphabet', '{{ "aGVs bG8\n!" | b64decode }}'],
  ['public: b64decode stops at complete padding', '{{ "aGk=trailing" | b64decode }}'],
  ['public: b64decode of bytes that are not UTF-8', '{{ "ENC[AES256,data:/w==]" | b64decode }}'],
  ['public: b64decode without padding', '{{ "aGVsbG8" | b64decode }}'],
  ['public: b64decode of one data character too many', '{{ "aGVsb" | b64decode }}'],
  ['public: b64decode keeps a byte order mark', '{{ ("77u/aGk=" | b64decode) | length }}'],
];
