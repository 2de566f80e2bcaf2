/** `kluctl-serverless list-targets`. */
import { stringify } from 'yaml';
import { listTargets as list } from '../../lib/project/render-project.js';
import { parseArgs } from './common.js';

/** Prints the project's targets as YAML (or only their names). */
export async function listTargets(flags: {
  projectDir: string;
  arg: string[];
  onlyNames?: boolean;
}): Promise<void> {
  const targets = await list(flags.projectDir, { args: parseArgs(flags.arg) });
  if (flags.onlyNames) process.stdout.write(targets.map((t) => `${t.name}\n`).join(''));
  else process.stdout.write(stringify(targets));
}
