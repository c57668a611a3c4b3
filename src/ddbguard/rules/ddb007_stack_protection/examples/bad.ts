// The stack owns a table it does not retain and has no termination protection: one delete-stack deletes
// the table with its data (DDB001 fails it too: retaining it is the other fix).
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export class Example extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id, { terminationProtection: false });
    new dynamodb.Table(this, 'Orders', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
  }
}
