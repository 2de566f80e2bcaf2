/**
 * What the vars sources (kluctl-semantics §3.2) reach outside the project, injected by the caller: the
 * CLI passes its kube client, `process.env`, Git, AWS and SOPS; the controller passes its kube client,
 * Git and an empty environment, as Kluctl's controller does. A missing service makes its source type
 * fail with Kluctl's error for that case.
 */
import type { GitAuth, GitSource, KubeClient } from '../../ports.js';
import type { SopsDecryptor } from '../sops/sops-decryptor.js';

/** The part of KubeClient the cluster sources read. */
export type VarsClusterReader = Pick<KubeClient, 'get' | 'list' | 'resolve' | 'listResources'>;

/** The refs a remote advertises, for `gitFiles` (branch and tag patterns are regexes over them). */
export interface RemoteRefs {
  /** Full ref name (`refs/heads/main`, `refs/tags/v1`) to commit (tags peeled). */
  readonly refs: Readonly<Record<string, string>>;
  /** The ref the remote HEAD points to (`refs/heads/main`), when it advertises one. */
  readonly head?: string;
}

/** Lists a remote's refs. Adapter: lib/adapters/isomorphic-git-refs.ts. */
export interface GitRefLister {
  listRefs(url: string, auth?: GitAuth): Promise<RemoteRefs>;
}

/** A request for one AWS Secrets Manager secret. */
export interface AwsSecretRequest {
  /** Name or ARN. */
  readonly secretId: string;
  readonly region: string;
  /** AWS credentials profile. */
  readonly profile?: string;
}

/** Reads AWS Secrets Manager. Adapter: lib/adapters/aws-secrets.ts. */
export interface AwsSecretsReader {
  /** The secret string (a binary secret as UTF-8); undefined when the secret does not exist. */
  getSecretString(req: AwsSecretRequest): Promise<string | undefined>;
}

/** Services of the vars sources; every field is optional. */
export interface VarsServices {
  /** Cluster access for clusterConfigMap/clusterSecret/clusterObject; undefined disables them. */
  readonly cluster?: VarsClusterReader;
  /** Environment for systemEnvVars. Default `{}` (lib never reads process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Git for `git` and `gitFiles` sources. */
  readonly git?: GitSource;
  /** Ref listing for `gitFiles`. */
  readonly gitRefs?: GitRefLister;
  /** Credentials for a Git URL (already matched by host/path), if any. */
  readonly gitAuth?: (url: string) => GitAuth | undefined;
  /** AWS Secrets Manager for `awsSecretsManager`. */
  readonly awsSecrets?: AwsSecretsReader;
  /** Decrypts SOPS-encrypted vars files; undefined makes encrypted files fail. */
  readonly sops?: SopsDecryptor;
  /** HTTP client for `http` sources. Default: the global fetch. */
  readonly fetch?: typeof fetch;
}
