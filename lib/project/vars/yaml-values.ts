/** YAML parsing of loaded vars text, with Kluctl's single/multi-document rules. */
import { ProjectLoadError } from '../../errors.js';
import { isDict } from '../merge.js';
import type { Dict } from '../merge.js';
import { parseYaml, parseYamlAll } from '../../util/strict-yaml.js';

/**
 * Parses `text`: every document as a list with `multidoc`, else only the first document (as Kluctl's
 * YAML reader does); an empty text is null.
 */
export function parseVarsYaml(text: string, name: string, multidoc: boolean): unknown {
  return multidoc ? parseYamlAll(text, name) : parseYaml(text, name);
}

/** Parses `text` that must hold a dictionary (vars files); empty means `{}`. */
export function parseVarsDict(text: string, name: string, what: string): Dict {
  const v = parseVarsYaml(text, name, false) ?? {};
  if (!isDict(v))
    throw new ProjectLoadError(`failed to load vars from ${what}: the YAML must be a dictionary`);
  return v;
}
