/**
 * Renders one deployment item dir into the render dir (kluctl-semantics §3.1, §2.9): every file is
 * rendered as a template; files without `{`, `.git` dirs and Helm chart dirs are copied verbatim, and
 * symlinks are copied as links (render-symlinks.ts resolves them once all items are rendered).
 */
import { mkdir, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { TemplateEngine } from '../templating/template-engine.js';
import type { Dict } from './merge.js';
import { toSlash } from './paths.js';
import type { TemplateGlobals } from './template-functions.js';
import { TemplateIgnore } from './template-ignore.js';
import { decodeTemplateFile } from './utf8-text.js';

/** Inputs of {@link renderItemDir}. */
export interface RenderItemDirInput {
  readonly engine: TemplateEngine;
  readonly sourceRoot: string;
  readonly srcDir: string;
  readonly destDir: string;
  readonly vars: Dict;
  /** `.templateignore` scopes down to srcDir. Default: collected from the source root to srcDir. */
  readonly templateIgnore?: TemplateIgnore;
  /** The template globals (load_template, images.get_image, ...) for one file (absolute path). */
  readonly globalsFor?: (file: string) => TemplateGlobals;
  /** Inside a Helm chart dir: copy everything below verbatim. */
  readonly verbatim?: boolean;
}

/** Kluctl hands a file to Jinja only when it contains `{`; any other file is copied as it is. */
function mayBeTemplate(buf: Buffer): boolean {
  return buf.includes(0x7b);
}

/** Renders every file below srcDir into destDir, mirroring the layout. */
export async function renderItemDir(input: RenderItemDirInput): Promise<void> {
  const ignores = (input.templateIgnore ?? TemplateIgnore.forDir(input.sourceRoot, input.srcDir)).withDir(
    input.sourceRoot,
    input.srcDir,
  );
  await mkdir(input.destDir, { recursive: true });
  const entries = await readdir(input.srcDir, { withFileTypes: true });
  // A Helm chart is never rendered by Kluctl: its Go templates would break Jinja.
  const verbatim = input.verbatim === true || entries.some((e) => e.isFile() && e.name === 'Chart.yaml');
  for (const e of entries) {
    const src = join(input.srcDir, e.name);
    const dest = join(input.destDir, e.name);
    const rel = toSlash(relative(input.sourceRoot, src));
    if (e.isSymbolicLink()) {
      // Copied as they are, like Kluctl; lib/project/render-symlinks.ts resolves them once all items are rendered.
      await symlink(await readlink(src), dest);
    } else if (e.isDirectory()) {
      if (e.name === '.git') continue;
      await renderItemDir({ ...input, srcDir: src, destDir: dest, templateIgnore: ignores, verbatim });
    } else if (e.isFile()) {
      const buf = await readFile(src);
      const globals = input.globalsFor?.(src);
      // Not UTF-8 while holding `{` fails as in Kluctl, whose Jinja reads templates as UTF-8.
      const rendered =
        verbatim || !mayBeTemplate(buf) || ignores.isFileIgnored(rel)
          ? buf
          : await input.engine.render(decodeTemplateFile(buf, rel), input.vars, {
              file: rel,
              ...(globals ? { globals } : {}),
            });
      await writeFile(dest, rendered);
    }
  }
}
