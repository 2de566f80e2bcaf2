/**
 * Kluctl's result store on a cluster (lib/results/kluctl-result-format.ts): Secrets in the results
 * namespace, written by server-side apply with Kluctl's field manager `kluctl-results`. The namespace is
 * created when missing, as Kluctl's controller does. After each write, the oldest results of the same
 * project and target beyond retention are deleted; they are listed by label in the results namespace
 * only (Kluctl lists every namespace, but deletes only in its own). The results of a deleted
 * deployment go with it.
 */
import type { KluctlDeploymentInfo, ValidateResult } from '../api/types.js';
import type { CommandResult } from '../deploy/command-result.js';
import type { KubeClient, KubeObject } from '../ports.js';
import {
  commandResultSecret,
  LABEL_RESULT,
  RESULT_SECRETS,
  RESULT_ID_LABEL,
  resultsBeyondRetention,
  resultsOfDeployment,
  validateResultSecret,
} from '../results/kluctl-result-format.js';
import type { ResultKind } from '../results/kluctl-result-format.js';
import {
  KEEP_KLUCTL_COMMAND_RESULTS,
  KEEP_KLUCTL_VALIDATE_RESULTS,
  KLUCTL_RESULTS_NAMESPACE,
} from '../results/kluctl-result-store.js';
import type { KluctlResultStore } from '../results/kluctl-result-store.js';

/** Kluctl's field manager for result Secrets. */
const FIELD_MANAGER = 'kluctl-results';

/** Options of {@link KubeSecretsResultStore}; every one defaults to Kluctl's controller default. */
export interface KubeSecretsResultStoreOptions {
  /** `--command-result-namespace`; default `kluctl-results`. */
  readonly namespace?: string;
  /** `--keep-command-results-count`; default 5. */
  readonly keepCommandResults?: number;
  /** `--keep-validate-results-count`; default 2. */
  readonly keepValidateResults?: number;
}

/** Writes results as Kluctl's controller does, through `kube` (the deployment's own cluster). */
export class KubeSecretsResultStore implements KluctlResultStore {
  private readonly namespace: string;
  private readonly keep: Readonly<Record<ResultKind, number>>;
  private namespaceReady: Promise<void> | undefined;

  constructor(
    private readonly kube: KubeClient,
    opts: KubeSecretsResultStoreOptions = {},
  ) {
    this.namespace = opts.namespace ?? KLUCTL_RESULTS_NAMESPACE;
    this.keep = {
      command: opts.keepCommandResults ?? KEEP_KLUCTL_COMMAND_RESULTS,
      validate: opts.keepValidateResults ?? KEEP_KLUCTL_VALIDATE_RESULTS,
    };
  }

  async writeCommandResult(r: CommandResult): Promise<void> {
    await this.write('command', commandResultSecret(r, this.namespace), r);
  }

  async writeValidateResult(r: ValidateResult): Promise<void> {
    await this.write('validate', validateResultSecret(r, this.namespace), r);
  }

  async deleteResultsOf(deployment: KluctlDeploymentInfo): Promise<number> {
    const all = await this.kube.list(RESULT_SECRETS, {
      namespace: this.namespace,
      labelSelector: LABEL_RESULT,
      metadataOnly: true,
    });
    const doomed = resultsOfDeployment(all, deployment);
    for (const s of doomed) await this.deleteSecret(s.metadata.name);
    return doomed.length;
  }

  private async write(
    kind: ResultKind,
    secret: KubeObject,
    key: Pick<CommandResult, 'projectKey' | 'targetKey'>,
  ): Promise<void> {
    await this.ensureNamespace();
    await this.kube.apply(secret, { fieldManager: FIELD_MANAGER, force: true });
    // As Kluctl's result store (its cache holds Secrets with kluctl.io/result): both labels.
    const all = await this.kube.list(RESULT_SECRETS, {
      namespace: this.namespace,
      labelSelector: `${LABEL_RESULT},${RESULT_ID_LABEL[kind]}`,
      // Retention reads the summary annotation alone, of every result in the namespace.
      metadataOnly: true,
    });
    for (const old of resultsBeyondRetention(all, kind, key, this.keep[kind])) {
      await this.deleteSecret(old.metadata.name);
    }
  }

  private deleteSecret(name: string): Promise<void> {
    return this.kube.delete({ group: '', version: 'v1', kind: 'Secret', name, namespace: this.namespace });
  }

  /** Creates the namespace once per store when it is missing (a failure is retried on the next write). */
  private ensureNamespace(): Promise<void> {
    this.namespaceReady ??= (async () => {
      const ref = { group: '', version: 'v1', kind: 'Namespace', name: this.namespace };
      if (await this.kube.get(ref)) return;
      await this.kube.apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } },
        { fieldManager: FIELD_MANAGER },
      );
    })().catch((err: unknown) => {
      this.namespaceReady = undefined;
      throw err;
    });
    return this.namespaceReady;
  }
}
