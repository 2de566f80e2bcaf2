/** Shared helpers of the CDK assertion tests. */
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { KluctlServerlessStack } from '../../infra/kluctl-serverless-stack.js';
import type { KluctlServerlessStackProps } from '../../infra/kluctl-serverless-stack.js';

export const ENV = { account: '123456789012', region: 'eu-west-1' };

/** Props of a variant, or a function that imports keys or topics into a helper stack first. */
export type VariantProps = KluctlServerlessStackProps | ((helper: Stack) => KluctlServerlessStackProps);

/** Synthesizes a variant of the stack with inline code into a fresh dir below `outRoot`. */
export function synthVariant(outRoot: string, layerDir: string, props: VariantProps = {}): Template {
  const variantApp = new App({ outdir: mkdtempSync(join(outRoot, 'variant-')) });
  const extra = typeof props === 'function' ? props(helperStack(variantApp)) : props;
  const code = Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });');
  return Template.fromStack(
    new KluctlServerlessStack(variantApp, 'Test', {
      env: ENV,
      toolsLayerDir: layerDir,
      reconcileCode: code,
      ...extra,
    }),
  );
}

function helperStack(scope: App): Stack {
  const helper = new Stack(scope, 'Helper', { env: ENV });
  // Imports add no resources, and CDK warns about a stack without any.
  new CfnWaitConditionHandle(helper, 'Placeholder');
  return helper;
}
