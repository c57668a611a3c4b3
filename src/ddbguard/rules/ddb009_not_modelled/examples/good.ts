// The same custom resource, declared harmless with a reason.
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export class Example extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id, { terminationProtection: true });
    const archive = new CfnResource(this, 'Archive', {
      type: 'Custom::ArchiveTable',
      properties: { ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:archive-maker' },
    });
    archive.addMetadata('ddbguard', {
      suppress: [{ id: 'DDB009', reason: 'writes an S3 object; creates no table (reviewed in OPS-42)' }],
    });
  }
}
