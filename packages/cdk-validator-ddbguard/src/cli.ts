// Runs the ddbguard command line (the one engine: the Python package `ddbguard`) and reads the report it prints
// with `--format cdk-validation`, which has the shape of CDK's PolicyValidationPluginReport. Argument lists only,
// never a shell: paths and template contents are never interpreted.
import { spawnSync } from 'node:child_process';

/** A violation as `ddbguard check --format cdk-validation` prints it (and as CDK takes it). */
export interface DdbguardViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly fix?: string;
  readonly severity?: string;
  readonly ruleMetadata?: { readonly [key: string]: string };
  readonly violatingResources: {
    readonly resourceLogicalId?: string;
    readonly constructPath?: string;
    readonly templatePath?: string;
    readonly locations: string[];
  }[];
}

export interface DdbguardReport {
  readonly success: boolean;
  readonly violations: DdbguardViolation[];
  readonly pluginVersion?: string;
}

const INSTALL = 'install it with `pip install ddbguard` (or `pip install <checkout of ddbguard>`) so that `ddbguard` '
  + 'is on PATH, or name the command: `new DdbguardValidator({ command: [\'/path/to/ddbguard\'] })` or '
  + 'DDBGUARD_COMMAND=\'["/path/to/python", "-m", "ddbguard"]\'';

/**
 * The ddbguard command: `command` when given, else $DDBGUARD_COMMAND (a JSON list of arguments, or a command whose
 * words are separated by spaces), else `ddbguard` on PATH.
 */
export function ddbguardCommand(command?: string[]): { argv: string[]; from: string } {
  if (command !== undefined) {
    if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === 'string' && a !== '')) {
      throw new Error('ddbguard: `command` must be a non-empty list of arguments, e.g. [\'ddbguard\']');
    }
    return { argv: command, from: 'the command property' };
  }
  const fromEnv = process.env.DDBGUARD_COMMAND;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    let argv: unknown;
    if (fromEnv.trim().startsWith('[')) {
      try {
        argv = JSON.parse(fromEnv);
      } catch {
        argv = undefined;
      }
    } else {
      argv = fromEnv.trim().split(/\s+/);
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && a !== '')) {
      throw new Error('ddbguard: DDBGUARD_COMMAND must be a command (`/path/to/ddbguard`) or a JSON list of its '
        + 'arguments (`["/path/to/python", "-m", "ddbguard"]`)');
    }
    return { argv: argv as string[], from: 'DDBGUARD_COMMAND' };
  }
  return { argv: ['ddbguard'], from: 'PATH' };
}

/** `ddbguard check PATHS --format cdk-validation [--config FILE]`, run and read. */
export function runCheck(paths: string[], options: { command?: string[]; config?: string } = {}): DdbguardReport {
  const { argv, from } = ddbguardCommand(options.command);
  const args = [...argv.slice(1), 'check', '--format', 'cdk-validation'];
  if (options.config !== undefined) {
    args.push('--config', options.config);
  }
  args.push('--', ...paths);
  const run = spawnSync(argv[0], args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, windowsHide: true });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      const shown = JSON.stringify(argv[0]);
      throw new Error(from === 'PATH'
        ? `ddbguard: the ddbguard command line was not found on PATH: ${INSTALL}`
        : `ddbguard: ${shown} (from ${from}) cannot be run (${code}): ${INSTALL}`);
    }
    throw new Error(`ddbguard: ${JSON.stringify(argv[0])} (from ${from}) failed to run: ${run.error.message}`);
  }
  // 0: nothing fails, 1: findings, 2: an input that could not be checked (still a report, with input-error
  // violations) or a usage error (no report)
  if (run.status === 0 || run.status === 1 || run.status === 2) {
    const report = parseReport(run.stdout);
    if (report !== undefined) {
      return report;
    }
  }
  const said = (run.stderr || '').trim().split('\n').slice(-20).join('\n');
  throw new Error(`ddbguard: \`${[argv[0], ...args].join(' ')}\` exited with ${run.status ?? run.signal}`
    + ` and no report${said ? `:\n${said}` : ''}`);
}

function parseReport(stdout: string): DdbguardReport | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const report = parsed as DdbguardReport;
  if (typeof report !== 'object' || report === null || typeof report.success !== 'boolean'
      || !Array.isArray(report.violations)) {
    return undefined;
  }
  return report;
}
