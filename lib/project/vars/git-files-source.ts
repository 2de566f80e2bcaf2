/**
 * `gitFiles` vars source (kluctl-semantics §3.2): for every remote ref matching `ref` (branch and tag
 * are regexes; no ref = the default branch; commit = refs pointing at it), the files matching the
 * globs, rendered and SOPS-decrypted on request, as a list (targetPath required) of
 * `{ref, refStr, files, filesByPath, filesTree}`. Refs are sorted by name (Kluctl's order is random).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProjectLoadError, errorMessage } from '../../errors.js';
import { compilePathGlob } from '../../util/path-glob.js';
import type { GitRef, RemoteRefs } from '../../ports.js';
import { isDict, setNested } from '../merge.js';
import type { Dict } from '../merge.js';
import { maybeDecrypt } from '../sops/sops-decryptor.js';
import { gitSpecOf } from './file-source.js';
import type { LoadedValue, SourceArgs } from './source-types.js';
import { parseVarsYaml } from './yaml-values.js';

interface GitFileSpec {
  readonly glob: string;
  readonly render?: boolean;
  readonly parseYaml?: boolean;
  readonly yamlMultiDoc?: boolean;
}

/** `refs/heads/x` → `{branch: x}`, `refs/tags/x` → `{tag: x}`. */
function parseRef(name: string): GitRef {
  if (name.startsWith('refs/heads/')) return { branch: name.slice('refs/heads/'.length) };
  if (name.startsWith('refs/tags/')) return { tag: name.slice('refs/tags/'.length) };
  throw new ProjectLoadError(`unsupported ref ${name}`);
}

/** The matching refs, full name → commit. */
export function filterRefs(remote: RemoteRefs, ref: GitRef | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const entries = Object.entries(remote.refs).filter(
    ([n]) => n.startsWith('refs/heads/') || n.startsWith('refs/tags/'),
  );
  if (!ref || (!ref.branch && !ref.tag && !ref.commit)) {
    const head = remote.head;
    const commit = head === undefined ? undefined : remote.refs[head];
    if (!head || !commit) throw new ProjectLoadError(`default ref ${head ?? 'HEAD'} not found`);
    out.set(head, commit);
    return out;
  }
  if (ref.commit) {
    const hit = entries.sort(([x], [y]) => (x < y ? -1 : 1)).find(([, c]) => c === ref.commit);
    if (!hit) throw new ProjectLoadError(`commit ${ref.commit} not found`);
    out.set(hit[0], hit[1]);
    return out;
  }
  const [prefix, pattern, what] = ref.tag
    ? ['refs/tags/', ref.tag, 'tag']
    : ['refs/heads/', ref.branch!, 'branch'];
  let re: RegExp;
  try {
    re = new RegExp(`^${prefix.replace(/\//g, '\\/')}(?:${pattern})$`);
  } catch (err) {
    throw new ProjectLoadError(`invalid ${what} regex specified: ${errorMessage(err)}`);
  }
  for (const [name, commit] of entries) if (re.test(name)) out.set(name, commit);
  return out;
}

/** Every file below `dir` (forward-slash paths, lexical order, `.git` skipped). */
async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const entries = (await readdir(join(dir, rel), { withFileTypes: true })).sort((x, y) =>
    x.name < y.name ? -1 : 1,
  );
  const out: string[] = [];
  for (const e of entries) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== '.git') out.push(...(await listFiles(dir, p)));
    } else if (e.isFile()) out.push(p);
  }
  return out;
}

async function matchFiles(
  a: SourceArgs,
  dir: string,
  files: readonly GitFileSpec[],
): Promise<{ matches: Dict[]; sensitive: boolean }> {
  const globs = files.map((f) => {
    try {
      return compilePathGlob(f.glob);
    } catch (err) {
      // A bad glob is a fault of the project, reported as such (the compiler's message names it).
      throw new ProjectLoadError(errorMessage(err), undefined, { cause: err });
    }
  });
  const matches: Dict[] = [];
  let sensitive = false;
  for (const path of await listFiles(dir)) {
    const i = globs.findIndex((g) => g.test(path));
    if (i === -1) continue;
    const spec = files[i]!;
    const raw = await readFile(join(dir, path));
    let content = raw.toString('utf8');
    let size = raw.length;
    if (spec.render) content = await a.ctx.engine.render(content, a.vars, { file: path });
    const plain = await maybeDecrypt(a.runtime.services.sops, content, path).catch((err: unknown) => {
      throw new ProjectLoadError(`failed to decrypt ${path}: ${errorMessage(err)}`, undefined, {
        cause: err,
      });
    });
    if (plain.decrypted) {
      sensitive = true;
      content = plain.text;
      size = Buffer.byteLength(content);
    }
    const file: Dict = { glob: spec.glob };
    if (spec.render) file.render = true;
    if (spec.parseYaml) file.parseYaml = true;
    if (spec.yamlMultiDoc) file.yamlMultiDoc = true;
    const match: Dict = { file, path, size, content };
    if (spec.parseYaml) match.parsed = parseVarsYaml(content, path, spec.yamlMultiDoc ?? false);
    matches.push(match);
  }
  return { matches, sensitive };
}

/** `gitFiles: {url, ref?, files: [{glob, render?, parseYaml?, yamlMultiDoc?}]}`. */
export async function loadGitFiles(a: SourceArgs): Promise<LoadedValue> {
  const spec = gitSpecOf(a.src.gitFiles, 'gitFiles', a.ctx.file);
  const raw = a.src.gitFiles as Dict;
  const files = (Array.isArray(raw.files) ? raw.files : []) as GitFileSpec[];
  files.forEach((f, i) => {
    if (!isDict(f) || typeof f.glob !== 'string' || !f.glob)
      throw new ProjectLoadError(`gitFiles.files[${i}].glob is required`, { file: a.ctx.file });
  });
  const lister = a.runtime.services.gitRefs;
  if (!lister)
    throw new ProjectLoadError('loading vars from git is disabled: no Git access was configured', {
      file: a.ctx.file,
    });
  const remote = await lister.listRefs(spec.url, a.runtime.services.gitAuth?.(spec.url));
  const refs = filterRefs(remote, spec.ref);
  const results: Dict[] = [];
  let sensitive = false;
  for (const [name, commit] of [...refs].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const { dir } = await a.runtime.checkout(spec.url, { commit });
    const m = await matchFiles(a, dir, files);
    sensitive ||= m.sensitive;
    let tree: Dict = {};
    const byPath: Dict = {};
    for (const f of m.matches) {
      byPath[f.path as string] = f;
      tree = setNested(tree, (f.path as string).split('/'), f);
    }
    results.push({
      ref: parseRef(name),
      refStr: name,
      files: m.matches,
      filesByPath: byPath,
      filesTree: tree,
    });
  }
  return { value: results, sensitive };
}
