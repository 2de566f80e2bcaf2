/**
 * `http` vars source (kluctl-semantics §3.2): the response body of a request is parsed as YAML/JSON;
 * with `jsonPath` the selected value must be a string holding YAML, which is parsed in turn (Kluctl's
 * code, although its docs show a dict). 404 with `ignoreMissing` loads nothing.
 */
import { ProjectLoadError, errorMessage } from '../../errors.js';
import { safeUrl } from '../../util/safe-url.js';
import { isDict } from '../merge.js';
import { getJsonPath, parseJsonPath } from '../../util/json-path.js';
import type { LoadedValue, SourceArgs } from './source-types.js';
import { parseVarsDict, parseVarsYaml } from './yaml-values.js';

interface HttpSpec {
  readonly url: string;
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly jsonPath?: string;
}

function specOf(raw: unknown, file: string): HttpSpec {
  if (!isDict(raw) || typeof raw.url !== 'string' || raw.url === '')
    throw new ProjectLoadError('http.url is required', { file });
  return raw as unknown as HttpSpec;
}

/** `http: {url, method?, body?, headers?, jsonPath?}`. */
export async function loadHttpSource(a: SourceArgs): Promise<LoadedValue> {
  const spec = specOf(a.src.http, a.ctx.file);
  const where = safeUrl(spec.url);
  const doFetch = a.runtime.services.fetch ?? fetch;
  let res: Response;
  let body: string;
  try {
    res = await doFetch(spec.url, {
      method: spec.method ?? 'GET',
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      headers: spec.headers ?? {},
    });
    body = await res.text();
  } catch (err) {
    throw new ProjectLoadError(`http request to ${where} failed: ${errorMessage(err)}`, undefined, {
      cause: err,
    });
  }
  if (res.status < 200 || res.status >= 300) {
    if (a.ignoreMissing && res.status === 404) return { value: {}, sensitive: false };
    // Kluctl prompts for credentials on a 401 challenge; a render here is never interactive.
    throw new ProjectLoadError(`http request to ${where} failed with status code ${res.status}`, {
      file: a.ctx.file,
    });
  }
  const label = `response of ${where}`;
  const parsed = parseVarsYaml(body, label, a.multidoc);
  if (spec.jsonPath === undefined) return { value: parsed, sensitive: false };
  const found = getJsonPath(parsed, parseJsonPath(spec.jsonPath));
  if (found.length === 0)
    throw new ProjectLoadError(`${spec.jsonPath} not found in result from http request ${where}`, {
      file: a.ctx.file,
    });
  const first = found[0];
  if (typeof first !== 'string')
    throw new ProjectLoadError(`${spec.jsonPath} in result of http request ${where} is not a string`, {
      file: a.ctx.file,
    });
  return { value: parseVarsDict(first, label, `${spec.jsonPath} of ${where}`), sensitive: false };
}
