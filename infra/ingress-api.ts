/**
 * The HTTP API in front of ingest, webhook and the web UI. Authentication is the HMAC each function checks itself
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
  /** The web UI function, served at `/ui` and `/ui/{proxy+}`. @default no web UI */
  readonly webui?: IFunction;
  /** Steady requests per second of the stage. */
  readonly throttlingRateLimit: number;
  /** Burst of the stage. */
  readonly throttlingBurstLimit: number;
}

/** `POST /ingest`, `POST /webhook/{provider}` and, with a web UI, `ANY /ui` and `ANY /ui/{proxy+}`. */
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
    if (props.webui) {
      // The web UI authenticates itself (sessions, roles, CSRF: lib/webui/), as the runner does.
      const integration = new HttpLambdaIntegration('Webui', props.webui);
      for (const path of ['/ui', '/ui/{proxy+}']) {
        this.api.addRoutes({ path, methods: [HttpMethod.ANY], integration });
      }
    }
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage | undefined;
    stage?.addPropertyOverride('DefaultRouteSettings', {
      ThrottlingRateLimit: props.throttlingRateLimit,
      ThrottlingBurstLimit: props.throttlingBurstLimit,
    });
  }
}
