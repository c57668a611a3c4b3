// The resource policy lets a named role read the table.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export class Example extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id, { terminationProtection: true });
    new dynamodb.Table(this, 'Orders', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.RETAIN,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      resourcePolicy: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          principals: [new iam.ArnPrincipal(`arn:aws:iam::${this.account}:role/reporting`)],
          actions: ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: ['*'],
        })],
      }),
    });
  }
}
