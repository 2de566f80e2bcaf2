/** `kluctl-serverless validate`: checks that every rendered object exists and is ready. */
import { writeFileSync } from 'node:fs';
import { parseDuration } from '../../lib/api/durations.js';
import { validateUntil } from '../../lib/deploy/commands/validate-command.js';
import { commandProject, deployedObjects } from '../../lib/deploy/commands/command-base.js';
import { formatValidateResult, parseOutputFlags } from '../../lib/deploy/result-output.js';
import { KsError } from '../../lib/errors.js';
import type { ProjectFlags } from './common.js';
import { gitInfoOf, stderrProgress, terminalWidth } from './command-output.js';
import { withRenderedTarget } from './rendered-target.js';

interface ValidateFlags extends ProjectFlags {
  output: string[];
  wait?: string;
  sleep: string;
  warningsAsErrors?: boolean;
}

/** Validates (retrying up to `--wait`); exits with `Validation failed` when it did not pass. */
export async function validate(flags: ValidateFlags): Promise<void> {
  const targets = parseOutputFlags(flags.output);
  await withRenderedTarget(flags, async (kube, rendered) => {
    const project = commandProject(rendered);
    const { projectKey } = await gitInfoOf(flags.projectDir);
    const clusterId = await kube.clusterId().catch(() => '');
    let failed = true;
    await validateUntil(
      kube,
      {
        objects: deployedObjects(project),
        discriminator: project.discriminator,
        projectKey,
        targetKey: { targetName: project.target.name, clusterId, discriminator: project.discriminator },
        renderedObjectsHash: rendered.objectsHash,
      },
      {
        waitMs: flags.wait ? parseDuration(flags.wait) : 0,
        sleepMs: parseDuration(flags.sleep),
        warningsAsErrors: flags.warningsAsErrors ?? false,
        onAttempt: (r, f) => {
          failed = f;
          for (const t of targets) {
            const text = formatValidateResult(r, t.format, terminalWidth());
            if (t.path) writeFileSync(t.path, text);
            else process.stdout.write(text);
          }
        },
      },
    );
    if (failed) throw new KsError('InvalidInput', 'Validation failed');
    stderrProgress.step('Validation succeeded');
  });
}
