// ddbguard as a CDK policy-validation plugin, for apps in TypeScript or JavaScript:
//
//   import { Validations } from 'aws-cdk-lib';
//   import { DdbguardValidator } from '@ddbguard/cdk-validator';
//   Validations.of(app).addPlugins(new DdbguardValidator());
//
// `cdk synth` then fails with ddbguard's findings in CDK's own report, each with its rule id, message, fix,
// severity and construct path, exactly as with the Python plugin (ddbguard.cdk.DdbguardValidator): both hand CDK
// the report of `ddbguard check <cloud assembly> --format cdk-validation`. At run time this package needs only
// Node's built-ins and the ddbguard command line.
//
// Its types name no aws-cdk-lib module: npm links a checkout's folder into the app, and TypeScript reads the linked
// .d.ts where it really is, beside no aws-cdk-lib. So the CDK interfaces it implements are declared here as CDK
// declares them (the part it uses), and `Validations.of(app).addPlugins(new DdbguardValidator())` type-checks
// against the app's own aws-cdk-lib (fixtures/cdk_ts_app, type-checked by ts-node in the tests).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DdbguardReport, runCheck } from './cli';

export { ddbguardCommand, runCheck } from './cli';
export type { DdbguardReport, DdbguardViolation } from './cli';

export interface DdbguardValidatorProps {
  /**
   * The ddbguard command line, as a list of arguments (never run through a shell).
   *
   * @default - $DDBGUARD_COMMAND (a JSON list of arguments, or words separated by spaces), else `ddbguard` on PATH
   */
  readonly command?: string[];
  /**
   * A ddbguard configuration file.
   *
   * @default - the .ddbguard.yaml (or [tool.ddbguard] of pyproject.toml) found from the working directory upwards
   */
  readonly config?: string;
}

/** aws-cdk-lib's IPolicyValidationContext: what CDK hands a plugin (the part this plugin reads). */
export interface IPolicyValidationContext {
  /** The absolute path of all templates to be processed. */
  readonly templatePaths: string[];
}

/** aws-cdk-lib's IPolicyValidationPlugin (aws-cdk-lib 2.276's `Validations.of(app).addPlugins` takes it). */
export interface IPolicyValidationPlugin {
  readonly name: string;
  readonly version?: string;
  readonly ruleIds?: string[];
  validate(context: IPolicyValidationContext): PolicyValidationPluginReport;
}

/** aws-cdk-lib's PolicyValidationPluginReport, as `ddbguard check --format cdk-validation` prints it. */
export type PolicyValidationPluginReport = DdbguardReport;

export class DdbguardValidator implements IPolicyValidationPlugin {
  public readonly name = 'ddbguard';
  public readonly version: string = packageVersion();
  private readonly props: DdbguardValidatorProps;

  constructor(props: DdbguardValidatorProps = {}) {
    this.props = { ...props };
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    // the whole cloud assembly, as `ddbguard check cdk.out` reads it: cross-stack rules, construct paths and CDK's
    // acknowledgements come from the assembly, not from the templates alone
    return runCheck(assemblyRoots(context.templatePaths), this.props);
  }
}

/** The outermost cloud assemblies (directories with a manifest.json) that hold the templates. */
export function assemblyRoots(templatePaths: string[]): string[] {
  const found = new Set<string>();
  for (const template of templatePaths) {
    const directory = path.dirname(path.resolve(template));
    let root = directory;
    for (let candidate = directory; ; candidate = path.dirname(candidate)) {
      if (fs.existsSync(path.join(candidate, 'manifest.json'))) {
        root = candidate;
        break;
      }
      if (path.dirname(candidate) === candidate) {
        break;
      }
    }
    found.add(root);
  }
  const roots = [...found];
  return roots.filter((d) => !roots.some((other) => other !== d && d.startsWith(other + path.sep))).sort();
}

function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  return manifest.version;
}
