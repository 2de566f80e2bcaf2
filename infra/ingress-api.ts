/**
 * The HTTP API in front of ingest and webhook. Authentication is the HMAC each function checks itself
 * (per cluster for the shim, per Git host for webhooks), so the routes carry no authorizer; the stage is
 * throttled so a flood of unsigned requests costs little.
 */
import type { CfnStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Props of {@link IngressApi}. */
export interface IngressApiProps {
  readonly ingest: IFunction;
  readonly webhook: IFunction;
  /** Steady requests per second of the stage. */
  readonly throttlingRateLimit: number;
  /** Burst of the stage. */
  readonly throttlingBurstLimit: number;
}

/** `POST /ingest` and `POST /webhook/{provider}`. */
export class IngressApi extends Construct {
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: IngressApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', { description: 'kluctl-serverless: shim ingest and Git webhooks' });
    this.api.addRoutes({
      path: '/ingest',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Ingest', props.ingest),
    });
    this.api.addRoutes({
      path: '/webhook/{provider}',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Webhook', props.webhook),
    });
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage | undefined;
    stage?.addPropertyOverride('DefaultRouteSettings', {
      ThrottlingRateLimit: props.throttlingRateLimit,
      ThrottlingBurstLimit: props.throttlingBurstLimit,
    });
  }
}
