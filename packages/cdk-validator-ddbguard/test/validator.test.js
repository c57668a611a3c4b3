// The plugin with the real aws-cdk-lib and the real ddbguard command line (DDBGUARD_COMMAND, set by `make test`, or
// `ddbguard` on PATH): which command runs, what happens when there is none, the configuration, and the assemblies it
// hands to ddbguard. The TypeScript and JavaScript apps synthesized by `cdk synth` are in tests/test_cdk_validator_npm.py.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { App, Stack, Stage, Validations } = require('aws-cdk-lib');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const { DdbguardValidator, assemblyRoots, ddbguardCommand } = require('../lib');

const CLI = ddbguardCommand().argv;  // what this test run was given

function temporary() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ddbguard-npm-test-'));
}

function withEnvironment(values, run) {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
  }
  try {
    return run();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]; else process.env[name] = value;
    }
  }
}

/** An app whose one table breaks the guide; synth() throws when a plugin fails it. */
function appWithTable(outdir, plugin) {
  const app = new App({ outdir });
  Validations.of(app).addPlugins(plugin);
  new dynamodb.Table(new Stack(app, 'orders'), 'Orders', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
  });
  return app;
}

function reported(outdir) {
  const plugin = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')).pluginReports
    .find((p) => p.pluginName === 'ddbguard');  // aws-cdk-lib's own CloudFormation Validate may report too
  return plugin.violations.map((v) => [v.ruleName, v.severity, v.violatingConstructs[0].constructPath]).sort();
}

describe('the ddbguard command', () => {
  test('is the command property, else DDBGUARD_COMMAND (a JSON list or words), else ddbguard on PATH', () => {
    withEnvironment({ DDBGUARD_COMMAND: '["/opt/my tools/python", "-m", "ddbguard"]' }, () => {
      expect(ddbguardCommand(['/usr/local/bin/ddbguard'])).toEqual(
        { argv: ['/usr/local/bin/ddbguard'], from: 'the command property' });
      expect(ddbguardCommand()).toEqual({ argv: ['/opt/my tools/python', '-m', 'ddbguard'], from: 'DDBGUARD_COMMAND' });
    });
    withEnvironment({ DDBGUARD_COMMAND: ' python3  -m ddbguard ' }, () => {
      expect(ddbguardCommand()).toEqual({ argv: ['python3', '-m', 'ddbguard'], from: 'DDBGUARD_COMMAND' });
    });
    withEnvironment({ DDBGUARD_COMMAND: undefined }, () => {
      expect(ddbguardCommand()).toEqual({ argv: ['ddbguard'], from: 'PATH' });
    });
    withEnvironment({ DDBGUARD_COMMAND: '["ddbguard", 3]' }, () => {
      expect(() => ddbguardCommand()).toThrow(
        'ddbguard: DDBGUARD_COMMAND must be a command (`/path/to/ddbguard`) or a JSON list of its arguments');
    });
    expect(() => ddbguardCommand([])).toThrow('ddbguard: `command` must be a non-empty list of arguments');
  });

  test('that cannot be found fails synth with how to install it', () => {
    const outdir = temporary();
    const app = appWithTable(outdir, new DdbguardValidator());
    withEnvironment({ DDBGUARD_COMMAND: undefined, PATH: path.join(outdir, 'no-such-bin') }, () => {
      expect(() => app.synth()).toThrow('ddbguard: the ddbguard command line was not found on PATH: install it with '
        + '`pip install ddbguard` (or `pip install <checkout of ddbguard>`) so that `ddbguard` is on PATH');
    });
    const named = appWithTable(temporary(), new DdbguardValidator({ command: [path.join(outdir, 'missing-ddbguard')] }));
    expect(() => named.synth()).toThrow(
      `ddbguard: ${JSON.stringify(path.join(outdir, 'missing-ddbguard'))} (from the command property) cannot be run (ENOENT)`);
  });
});

describe('synthesis with the plugin', () => {
  test('fails with the findings, and honours the configuration it is given', () => {
    const outdir = temporary();
    expect(() => appWithTable(outdir, new DdbguardValidator({ command: CLI })).synth()).toThrow(
      `A copy of this report can be found in: ${path.join(outdir, 'validation-report.json')}`);
    expect(reported(outdir)).toEqual([
      ['DDB002', 'error', 'orders/Orders/Resource'],
      ['DDB003', 'warning', 'orders/Orders/Resource'],
      ['DDB004', 'error', 'orders/Orders/Resource'],
      ['DDB007', 'info', 'orders/Orders/Resource'],  // CDK's default Table is retained: orphaned, not lost
      ['DDB022', 'info', 'orders/Orders/Resource'],
      ['DDB023', 'warning', 'orders/Orders/Resource'],  // CDK's default Table: provisioned, no auto scaling
    ]);
    const config = path.join(temporary(), 'ddbguard.yaml');
    fs.writeFileSync(config, 'rules:\n  DDB002: {enabled: false}\n  DDB004: {severity: medium}\n');
    const configured = temporary();
    appWithTable(configured, new DdbguardValidator({ command: CLI, config })).synth();  // no error left
    expect(reported(configured)).toEqual([
      ['DDB003', 'warning', 'orders/Orders/Resource'],
      ['DDB004', 'warning', 'orders/Orders/Resource'],
      ['DDB007', 'info', 'orders/Orders/Resource'],  // CDK's default Table is retained: orphaned, not lost
      ['DDB022', 'info', 'orders/Orders/Resource'],
      ['DDB023', 'warning', 'orders/Orders/Resource'],  // CDK's default Table: provisioned, no auto scaling
    ]);
  });

  test('hands ddbguard the whole cloud assembly, stages included', () => {
    const outdir = temporary();
    const app = new App({ outdir });
    new Stack(app, 'top');
    new Stack(new Stage(app, 'Prod'), 'data');
    const assembly = app.synth();
    const templates = assembly.stacksRecursively.map((s) => s.templateFullPath);
    expect(templates).toEqual([path.join(outdir, 'top.template.json'),
      path.join(outdir, 'assembly-Prod', 'Proddata4CD47D88.template.json')]);
    expect(assemblyRoots(templates)).toEqual([outdir]);
    // a stage alone: its own assembly
    expect(assemblyRoots([templates[1]])).toEqual([path.join(outdir, 'assembly-Prod')]);
  });
});
