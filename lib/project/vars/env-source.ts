/**
 * `systemEnvVars` vars source (kluctl-semantics §3.2): a nested map whose leaves name environment
 * variables (`NAME` or `NAME:default`); values are parsed as YAML. The environment is injected
 * (`VarsServices.env`); lib never reads process.env.
 */
import { ProjectLoadError } from '../../errors.js';
import { isDict, setNested } from '../merge.js';
import type { Dict } from '../merge.js';
import type { LoadedValue, SourceArgs } from './source-types.js';
import { parseVarsYaml } from './yaml-values.js';

/** Kluctl's JSONPath spelling of a key path, for messages (`test3.test4`). */
function keyPath(path: readonly string[]): string {
  return path
    .map((k, i) => (/^[A-Za-z0-9_-]+$/.test(k) ? (i === 0 ? k : `.${k}`) : `[${JSON.stringify(k)}]`))
    .join('');
}

/** `systemEnvVars: {a: NAME, b: {c: "NAME:default"}}`; always sensitive. */
export function loadSystemEnvVars(a: SourceArgs): Promise<LoadedValue> {
  const env = a.runtime.services.env ?? {};
  let out: Dict = {};
  const walk = (v: unknown, path: string[]): void => {
    if (isDict(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      return;
    }
    if (typeof v !== 'string')
      throw new ProjectLoadError(`value at ${keyPath(path)} is not a string`, { file: a.ctx.file });
    const colon = v.indexOf(':');
    const name = colon === -1 ? v : v.slice(0, colon);
    let text = env[name];
    if (text === undefined) {
      if (colon === -1) {
        if (a.ignoreMissing) return;
        throw new ProjectLoadError(`environment variable ${name} not found for ${keyPath(path)}`, {
          file: a.ctx.file,
        });
      }
      // An empty default is the empty string, not null.
      text = v.slice(colon + 1) || '""';
    }
    let value: unknown;
    try {
      value = parseVarsYaml(text, `environment variable ${name}`, false);
    } catch {
      // Never echo the value: it may be a secret.
      throw new ProjectLoadError(`failed to parse the value of environment variable ${name} as YAML`, {
        file: a.ctx.file,
      });
    }
    out = setNested(out, path, value);
  };
  walk(a.src.systemEnvVars, []);
  return Promise.resolve({ value: out, sensitive: true });
}
