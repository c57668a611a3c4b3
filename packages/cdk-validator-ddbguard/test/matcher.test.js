// The Jest matcher on templates of the real aws-cdk-lib (Template.fromStack) and on template objects, checked by the
// real ddbguard command line.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { App, RemovalPolicy, Stack } = require('aws-cdk-lib');
const { Template } = require('aws-cdk-lib/assertions');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const { ddbguardMatchers } = require('../lib/jest');

expect.extend(ddbguardMatchers);

function stackWith(props) {
  const stack = new Stack(new App(), 'orders', { terminationProtection: true });
  // on-demand: these tests are about the matcher, not capacity (a provisioned table without auto scaling fails DDB023)
  new dynamodb.Table(stack, 'Orders', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    ...props,
  });
  return stack;
}

const GUIDE = {
  removalPolicy: RemovalPolicy.RETAIN,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  encryption: dynamodb.TableEncryption.AWS_MANAGED,
  deletionProtection: true,
};

test('a template that follows the guide is compliant', () => {
  expect(Template.fromStack(stackWith(GUIDE))).toBeDdbguardCompliant();
});

test('a template that does not lists each failing rule and resource', () => {
  const template = Template.fromStack(stackWith({ ...GUIDE, removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false }));
  expect(template).not.toBeDdbguardCompliant();
  expect(() => expect(template).toBeDdbguardCompliant()).toThrow([
    'expected the template to be ddbguard compliant; 2 findings fail:',
    '  DDB001 OrdersA9B65338 (fail): DynamoDB tables are retained when their stack deletes or replaces them: '
      + 'DeletionPolicy is not Retain or RetainExceptOnCreate: deleting the stack or removing the resource deletes the '
      + 'table and its data; UpdateReplacePolicy is not Retain: a change that replaces the table deletes the old table '
      + 'and its data',
    '  DDB004 OrdersA9B65338 (fail): DynamoDB tables have deletion protection enabled on every replica: deletion '
      + 'protection is not enabled (DeletionProtectionEnabled is not true)',
  ].join('\n'));
});

test('a template object is checked alone: what it names outside is never read', () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'ddbguard-outside-'));
  const nested = path.join(outside, 'nested.json');
  fs.writeFileSync(nested, JSON.stringify({ Resources: { OutsideTable: { Type: 'AWS::DynamoDB::Table', Properties: {} } } }));
  const template = { Resources: { Nested: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: nested } } } };
  let message = '';
  try {
    expect(template).toBeDdbguardCompliant();
  } catch (error) {
    message = error.message;
  }
  expect(message.split('\n')[0]).toBe('expected the template to be ddbguard compliant; 1 finding fails:');
  // the error names it, and its table is not judged
  const temporaryTemplate = path.join(os.tmpdir(), 'ddbguard-template-XXXXXX', 'template.json');
  expect(message.split('\n')[1].replace(/ddbguard-template-\w+/g, 'ddbguard-template-XXXXXX')).toBe(
    `  input error: ${temporaryTemplate}: nested stack Nested: TemplateURL ${nested} resolves outside the template roots `
    + `(${path.dirname(temporaryTemplate)}), so it is not read (pass the folder that holds it with --template-root)`);
  expect(message).not.toContain('OutsideTable');
});

test('what is not a template is said', () => {
  expect(() => expect('cdk.out').toBeDdbguardCompliant()).toThrow(
    'toBeDdbguardCompliant: expected a Template (aws-cdk-lib/assertions) or a template object');
});
