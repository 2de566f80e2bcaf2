/**
 * Shared helpers of the CDK assertion tests: a temp folder with a dummy tools layer (so no real binary
 * is needed), variants of the stack synthesized into it with inline code (fast; permissions and wiring
 * do not depend on the code), and `only` for a resource type that must appear exactly once.
 */
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KluctlServerlessStack } from '../../infra/kluctl-serverless-stack.js';
import type { KluctlServerlessStackProps } from '../../infra/kluctl-serverless-stack.js';

export const ENV = { account: '123456789012', region: 'eu-west-1' };

/** Props of a variant, or a function that imports keys or topics into a helper stack first. */
export type VariantProps = KluctlServerlessStackProps | ((helper: Stack) => KluctlServerlessStackProps);

/** A temp folder for synthesized apps, with a dummy tools layer; `dispose()` in afterAll. */
export interface InfraWorkspace {
  readonly outRoot: string;
  /** Holds `bin/kustomize`, `bin/helm` and `bin/sops`, each a shell script printing `dummy`. */
  readonly layerDir: string;
  /** Synthesizes a variant of the stack with inline code into a fresh dir below `outRoot`. */
  synth(props?: VariantProps): Template;
  dispose(): void;
}

/** Creates the folder and its dummy tools layer. */
export function createInfraWorkspace(): InfraWorkspace {
  const outRoot = mkdtempSync(join(tmpdir(), 'infra-test-'));
  const layerDir = join(outRoot, 'layer');
  mkdirSync(join(layerDir, 'bin'), { recursive: true });
  for (const tool of ['kustomize', 'helm', 'sops']) {
    writeFileSync(join(layerDir, 'bin', tool), '#!/bin/sh\necho dummy\n', { mode: 0o755 });
  }
  return {
    outRoot,
    layerDir,
    synth: (props = {}) => synthVariant(outRoot, layerDir, props),
    dispose: () => rmSync(outRoot, { recursive: true, force: true }),
  };
}

/** The one resource of `resources` (from `Template.findResources`), as `[logicalId, resource]`. */
export function only<T>(resources: Record<string, T>): [string, T] {
  const entries = Object.entries(resources);
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

function synthVariant(outRoot: string, layerDir: string, props: VariantProps): Template {
  const variantApp = new App({ outdir: mkdtempSync(join(outRoot, 'variant-')) });
  const extra = typeof props === 'function' ? props(helperStack(variantApp)) : props;
  const code = Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });');
  return Template.fromStack(
    new KluctlServerlessStack(variantApp, 'Test', {
      env: ENV,
      toolsLayerDir: layerDir,
      reconcileCode: code,
      frontCode: { ingest: code, webhook: code, schedule: code, webui: code },
      ...extra,
    }),
  );
}

/** Every statement of every identity policy in the template. */
export function policyStatements(
  t: Template,
): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  return Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement,
  );
}

/** The statements of the policy attached to the role of the function whose description contains `what`. */
export function functionStatements(
  t: Template,
  what: string,
): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  const [, fn] = functionNamed(t, what);
  const roleId = (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId),
  );
  expect(policies.length).toBeGreaterThan(0);
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** The one function whose description contains `what`, with its logical id. */
export function functionNamed(t: Template, what: string): [string, { Properties: Record<string, unknown> }] {
  const found = Object.entries(t.findResources('AWS::Lambda::Function')).filter(([, f]) =>
    String(f.Properties.Description).includes(what),
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, { Properties: Record<string, unknown> }];
}

/** The environment variables of the one function whose description contains `what`. */
export function functionEnv(t: Template, what: string): Record<string, unknown> {
  const props = functionNamed(t, what)[1].Properties;
  return (props['Environment'] as { Variables: Record<string, unknown> }).Variables;
}

/** The values of a statement field as a list. */
export const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function helperStack(scope: App): Stack {
  const helper = new Stack(scope, 'Helper', { env: ENV });
  // Imports add no resources, and CDK warns about a stack without any.
  new CfnWaitConditionHandle(helper, 'Placeholder');
  return helper;
}
