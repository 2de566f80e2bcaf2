/**
 * One Lambda function of the app, the way every function here is built (reconcile, schedule, webhook,
 * ingest): its own role with no managed policies (grants are added one by one), a log group with
 * retention, ESM code bundled locally by esbuild from functions/<name>/handler.ts, and alarms on errors
 * and throttles.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmAction, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { Code, IFunction, ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Root of this repository: bundling entry points and the lock file are found from here. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

// Bundled dependencies may be CommonJS and call require(); ESM output has no require, so give it one.
const ESM_REQUIRE_BANNER =
  "import { createRequire as __ksCreateRequire } from 'node:module'; " +
  "import { dirname as __ksDirname } from 'node:path'; " +
  "import { fileURLToPath as __ksFileUrl } from 'node:url'; " +
  'const require = __ksCreateRequire(import.meta.url); ' +
  // CommonJS dependencies (ssh2) read __dirname at load time, which an ES module lacks.
  'const __filename = __ksFileUrl(import.meta.url); const __dirname = __ksDirname(__filename);';

/** Props of {@link NodeFunction}. */
export interface NodeFunctionProps {
  /** Handler module relative to the repository root, exporting `handler` (e.g. functions/reconcile/handler.ts). */
  readonly entry: string;
  /** Prebuilt code with handler `index.handler`. @default `entry` bundled locally with esbuild */
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
    this.function = props.code
      ? new LambdaFunction(this, 'Function', { ...common, code: props.code, handler: 'index.handler' })
      : new NodejsFunction(this, 'Function', { ...common, ...bundledCode(props.entry) });
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

/** NodejsFunction props that bundle `entry` into one ESM file with the local esbuild, never Docker. */
function bundledCode(
  entry: string,
): Pick<NodejsFunctionProps, 'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'bundling'> {
  return {
    entry: join(REPO_ROOT, entry),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    bundling: {
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      target: 'node22',
      mainFields: ['module', 'main'],
      banner: ESM_REQUIRE_BANNER,
      // Bundle the AWS SDK too: the state store relies on S3 conditional writes, which need a newer
      // SDK than the runtime may provide, and a pinned bundle behaves like the tests.
      // Native addons stay out (ssh2's optional crypto binding and cpu-features): the packages load
      // them in try/catch and fall back to JavaScript, so a Lambda never loads a binary built elsewhere.
      externalModules: ['*.node'],
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      tsconfig: join(REPO_ROOT, 'tsconfig.json'),
      // Only problems, not the size summary, so synth and test output stay readable.
      logLevel: LogLevel.WARNING,
    },
  };
}
