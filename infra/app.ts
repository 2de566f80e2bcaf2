/**
 * Entry of the CDK app (`cdk.json`: `npx tsx infra/app.ts`). Account and region come from the CDK CLI's
 * environment; the stack name can be changed with the context value `stackName`
 * (`cdk deploy -c stackName=...`). A second copy in one account and region also needs its own
 * `queueName` prop, since queue names are unique there.
 */
import { App } from 'aws-cdk-lib';
import { KluctlServerlessStack } from './kluctl-serverless-stack.js';

const app = new App();
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? 'KluctlServerless';
new KluctlServerlessStack(app, stackName, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'kluctl-serverless: GitOps reconciler for KluctlDeployment objects',
});
app.synth();
