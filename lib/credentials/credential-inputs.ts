/**
 * The two CLI spellings that Git, Helm and registry credentials share in Kluctl: repeated flags
 * `--<flag> <host>[/<path>]=<value>` that fill one entry per `<host>[/<path>]` key, and numbered
 * environment sets `<PREFIX>_<FIELD>` / `<PREFIX>_<n>_<FIELD>` (Kluctl's ParseEnvConfigSets).
 * Values are secrets: no message here repeats an argument.
 */
import { KsError } from '../errors.js';
import { compilePathGlob } from '../util/path-glob.js';

/** What every credentials entry has: the host, and a path glob when the key had a `/<path>`. */
interface KeyedEntry {
  host: string;
  path?: string;
}

/**
 * The entries flag values build, one per distinct `<host>[/<path>]` key, in the order keys first
 * appear. A malformed path glob fails while the flags are read, as in Kluctl.
 */
export class FlagEntries<E extends KeyedEntry> {
  private readonly byKey = new Map<string, E>();

  /**
   * The entry of one flag value and the value after `=` ("" for a switch without one). With
   * `expectValue`, a value without `=` is an error naming the flag.
   */
  take(flag: string, arg: string, expectValue = true): [E, string] {
    const eq = arg.indexOf('=');
    if (expectValue && eq < 0)
      throw new KsError('InvalidInput', `--${flag} expects <host>/<path>=<value>; no '=' found`);
    const key = eq < 0 ? arg : arg.slice(0, eq);
    let e = this.byKey.get(key);
    if (!e) {
      const slash = key.indexOf('/');
      e = (slash < 0 ? { host: key } : { host: key.slice(0, slash), path: key.slice(slash + 1) }) as E;
      if (e.path) compilePathGlob(e.path);
      this.byKey.set(key, e);
    }
    return [e, eq < 0 ? '' : arg.slice(eq + 1)];
  }

  /** The entries in first-seen order. */
  entries(): E[] {
    return [...this.byKey.values()];
  }
}

/**
 * The sets of `<prefix>[_<n>]_<FIELD>` variables of `env`, each as FIELD → value: the unnumbered set
 * first, then by number.
 */
export function envConfigSets(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
): Record<string, string>[] {
  const sets = new Map<number, Record<string, string>>();
  const re = new RegExp(`^${prefix}(?:_(\\d+))?_(.+)$`);
  for (const [k, v] of Object.entries(env)) {
    const m = re.exec(k);
    if (!m || v === undefined) continue;
    const idx = m[1] === undefined ? -1 : Number(m[1]);
    const set = sets.get(idx) ?? {};
    set[m[2]!] = v;
    sets.set(idx, set);
  }
  return [...sets.keys()].sort((a, b) => a - b).map((idx) => sets.get(idx)!);
}
