/** `kluctl-serverless list-targets`. */
import { writeFileSync } from 'node:fs';
import { writeYaml } from '../../lib/util/yaml.js';
import { listTargets as list } from '../../lib/project/render-project.js';
import { externalArgs } from './common.js';

/** Prints the project's targets as YAML (or only their names) to stdout or the `-o` files. */
export async function listTargets(flags: {
  projectDir: string;
  arg: string[];
  argsFromFile?: string[];
  onlyNames?: boolean;
  output?: string[];
}): Promise<void> {
  const targets = await list(flags.projectDir, { args: externalArgs(flags) });
  const text = flags.onlyNames ? targets.map((t) => `${t.name}\n`).join('') : writeYaml(targets);
  const outputs = flags.output ?? [];
  if (outputs.length === 0) process.stdout.write(text);
  for (const o of outputs) {
    if (o === '-') process.stdout.write(text);
    else writeFileSync(o, text);
  }
}
