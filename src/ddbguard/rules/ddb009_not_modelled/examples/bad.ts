// A custom resource: its function may create a table that ddbguard never sees.
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export class Example extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id, { terminationProtection: true });
    new CfnResource(this, 'Archive', {
      type: 'Custom::ArchiveTable',
      properties: { ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:archive-maker' },
    });
  }
}
