/** `kluctl-serverless list-images`: the images `images.get_image()` resolved, as a fixed-images file. */
import { writeFileSync } from 'node:fs';
import { writeYaml } from '../../lib/util/yaml.js';
import { listSeenImages } from '../../lib/images/placeholders.js';
import { renderWithOptionalCluster } from './render.js';
import type { RenderFlags } from './render.js';

/** Renders and prints `{images: [...]}` (usable as `--fixed-images-file`); `--simple` keeps image/result. */
export async function listImages(
  flags: RenderFlags & { simple?: boolean; output?: string[] },
): Promise<void> {
  const text = await renderWithOptionalCluster(flags, (rendered) =>
    writeYaml({ images: listSeenImages(rendered.seenImages, flags.simple ?? false) }),
  );
  const outputs = flags.output ?? [];
  if (outputs.length === 0) process.stdout.write(text);
  for (const o of outputs) {
    if (o === '-') process.stdout.write(text);
    else writeFileSync(o, text);
  }
}
