// One node: one zone's outage takes the cache down.
import { Stack } from 'aws-cdk-lib';
import * as dax from 'aws-cdk-lib/aws-dax';
import { Construct } from 'constructs';

export class Example extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id, { terminationProtection: true });
    new dax.CfnCluster(this, 'Cache', {
      iamRoleArn: 'arn:aws:iam::111111111111:role/dax',
      nodeType: 'dax.r5.large',
      sseSpecification: { sseEnabled: true },
      clusterEndpointEncryptionType: 'TLS',
      replicationFactor: 1,
    });
  }
}
