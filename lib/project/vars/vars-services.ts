/**
 * What the vars sources (kluctl-semantics §3.2) reach outside the project, injected by the caller: the
 * CLI passes its kube client, `process.env`, Git, AWS and SOPS; the controller passes its kube client,
 * Git and an empty environment, as Kluctl's controller does. A missing service makes its source type
 * fail with Kluctl's error for that case.
 */
import type {
  AwsSecretsReader,
  GitAuth,
  GitRefLister,
  GitSource,
  KubeClient,
  SopsDecryptor,
} from '../../ports.js';

/** The part of KubeClient the cluster sources read. */
export type VarsClusterReader = Pick<KubeClient, 'get' | 'list' | 'resolve' | 'listResources'>;

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
