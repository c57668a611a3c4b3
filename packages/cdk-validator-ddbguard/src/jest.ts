// A Jest matcher for CDK unit tests:
//
//   import { Template } from 'aws-cdk-lib/assertions';
//   import { ddbguardMatchers } from '@ddbguard/cdk-validator/jest';
//   expect.extend(ddbguardMatchers);
//   expect(Template.fromStack(stack)).toBeDdbguardCompliant();
//
// The template is written to a new private directory and checked there alone by `ddbguard check`, so nothing
// outside it is read (a nested stack or include it names is not found, and its verdicts are not passes).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCheck } from './cli';

export interface DdbguardMatcherOptions {
  /** A ddbguard configuration file (default: the one found from the working directory upwards). */
  readonly config?: string;
  /** The ddbguard command line (default: $DDBGUARD_COMMAND, else `ddbguard` on PATH). */
  readonly command?: string[];
}

// Jest's matchers, as @types/jest declares them (a merged declaration needs the same type parameters)
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> {
      /** The template (a `Template` of aws-cdk-lib/assertions, or a template object) fails no ddbguard rule. */
      toBeDdbguardCompliant(options?: DdbguardMatcherOptions): R;
    }
  }
}

/** What fails: each failing or unknown rule on each resource, and each input that could not be checked. */
export function ddbguardProblems(template: unknown, options: DdbguardMatcherOptions = {}): string[] {
  const document = templateObject(template);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ddbguard-template-'));
  try {
    const file = path.join(directory, 'template.json');
    fs.writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
    const report = runCheck([file], options);
    const problems: string[] = [];
    for (const violation of report.violations) {
      const status = violation.ruleMetadata?.status;
      if (violation.ruleName === 'input-error') {
        problems.push(`input error: ${violation.description}`);
      } else if (status === 'fail' || status === 'unknown') {
        for (const resource of violation.violatingResources) {
          problems.push(`${violation.ruleName} ${resource.resourceLogicalId} (${status}): ${violation.description}`);
        }
      }
    }
    return problems;
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

function templateObject(template: unknown): object {
  const candidate = template as { toJSON?: unknown } | null;
  if (candidate !== null && typeof candidate === 'object' && typeof candidate.toJSON === 'function') {
    return (candidate.toJSON as () => object)();  // Template.fromStack(stack)
  }
  if (candidate !== null && typeof candidate === 'object' && !Array.isArray(candidate)) {
    return candidate;
  }
  throw new TypeError('toBeDdbguardCompliant: expected a Template (aws-cdk-lib/assertions) or a template object');
}

export function toBeDdbguardCompliant(this: { isNot?: boolean } | void, received: unknown,
  options?: DdbguardMatcherOptions): { pass: boolean; message: () => string } {
  const problems = ddbguardProblems(received, options);
  const pass = problems.length === 0;
  return {
    pass,
    message: () => (pass
      ? 'expected the template to fail a ddbguard rule, and it fails none'
      : `expected the template to be ddbguard compliant; ${problems.length} `
        + `${problems.length === 1 ? 'finding fails' : 'findings fail'}:\n${problems.map((p) => `  ${p}`).join('\n')}`),
  };
}

export const ddbguardMatchers = { toBeDdbguardCompliant };
