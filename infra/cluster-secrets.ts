/**
 * Registered clusters (DESIGN.md §3, "many clusters, one stack"): one Secrets Manager secret per cluster,
 * named `<prefix><clusterId>`, holding its kubeconfig and the shim's signing key (format in
 * lib/adapters/secrets-cluster-registry.ts). The stack creates none of them: an operator registers a
 * cluster with `kluctl-serverless cluster register`, and the functions may read only secrets under the
 * prefix, never list or write them.
 */
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Props of {@link ClusterSecrets}. */
export interface ClusterSecretsProps {
  /** Name prefix of the cluster secrets, ending in '/'. */
  readonly prefix: string;
}

/** The name prefix of the cluster secrets and the grant to read them. */
export class ClusterSecrets extends Construct {
  /** Name prefix, ending in '/'. */
  readonly prefix: string;
  /** ARN pattern matching exactly the secrets under the prefix (with their random suffix). */
  readonly arnPattern: string;

  constructor(scope: Construct, id: string, props: ClusterSecretsProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.arnPattern = Arn.format(
      {
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${props.prefix}*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      Stack.of(this),
    );
  }

  /** Lets `grantee` read the value of registered clusters' secrets, and nothing else. */
  grantRead(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.arnPattern] }),
    );
  }
}
