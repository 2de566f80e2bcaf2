/**
 * One Lambda function of the app, the way every function here is built (reconcile, schedule, webhook,
 * ingest): its own role with no managed policies (grants are added one by one), a log group with
 * retention, ESM code bundled locally by `npm run build`'s esbuild configuration from
 * functions/<name>/handler.ts, and alarms on errors
 * and throttles.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmAction, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { IFunction, ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_NAMES } from '../build/bundles.js';

/** Root of this repository: bundling entry points and the lock file are found from here. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Props of {@link NodeFunction}. */
export interface NodeFunctionProps {
  /** Handler module relative to the repository root, exporting `handler` (e.g. functions/reconcile/handler.ts). */
  readonly entry: string;
  /** Prebuilt code with handler `index.handler`. @default `entry` bundled locally (build/bundles.ts) */
  readonly code?: Code;
  /** What the function does, shown in the console. */
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** @default none */
  readonly reservedConcurrentExecutions?: number;
  /** @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default none */
  readonly layers?: readonly ILayerVersion[];
  /** Must match the layers' binaries. @default arm64 (cheaper per GB-second; no native code) */
  readonly architecture?: Architecture;
  readonly logRetention: RetentionDays;
  /** Actions of the errors alarm. @default none */
  readonly alarmActions?: readonly IAlarmAction[];
}

/** A function with its role, log group and errors alarm. */
export class NodeFunction extends Construct {
  /** The function; its role is its grant principal. */
  readonly function: IFunction;
  /** The function's log group. */
  readonly logGroup: LogGroup;
  /** Fires when one invocation fails. */
  readonly errorsAlarm: Alarm;
  /** Fires when Lambda refuses an invocation for lack of concurrency. */
  readonly throttlesAlarm: Alarm;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    // An own role instead of AWSLambdaBasicExecutionRole, whose log permissions apply to every log group.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    // Logs go with the stack (the state bucket is what must survive it).
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    const common = {
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: props.architecture ?? Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      layers: props.layers ? [...props.layers] : undefined,
      role,
      logGroup: this.logGroup,
    };
    this.function = new LambdaFunction(this, 'Function', {
      ...common,
      code: props.code ?? bundledCode(props.entry),
      handler: 'index.handler',
    });
    this.errorsAlarm = this.alarmOnSum(
      'ErrorsAlarm',
      `${props.description}: invocations failed; see log group ${this.logGroup.logGroupName}`,
      this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      props.alarmActions,
    );
    this.throttlesAlarm = this.alarmOnSum(
      'ThrottlesAlarm',
      `${props.description}: invocations throttled; raise its reserved concurrency or the account limit`,
      this.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      props.alarmActions,
    );
  }

  private alarmOnSum(
    id: string,
    description: string,
    metric: IMetric,
    actions: readonly IAlarmAction[] | undefined,
  ): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const action of actions ?? []) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarm;
  }
}

/**
 * The code of a function: `npm run build`'s bundle of it (build/bundles.ts: minified, code-split, the
 * same as the size budget and the init benchmark measure), built locally into the asset, never in
 * Docker. The asset hash is the bundle's, so any change of the code it includes deploys.
 */
function bundledCode(entry: string): Code {
  const name = /^functions\/([a-z-]+)\/handler\.ts$/.exec(entry)?.[1];
  if (!name || !(FUNCTION_NAMES as readonly string[]).includes(name)) {
    throw new Error(
      `NodeFunction entry ${entry} is not functions/<name>/handler.ts of a function listed in build/bundles.ts ` +
        `(${FUNCTION_NAMES.join(', ')}); add it to FUNCTION_NAMES`,
    );
  }
  return Code.fromAsset(join(REPO_ROOT, 'functions', name), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the API; never pulled, as the local bundling below always succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(
            process.execPath,
            ['--import', 'tsx', join(REPO_ROOT, 'build', 'function.ts'), name, outputDir],
            { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
          );
          return true;
        },
      },
    },
  });
}
