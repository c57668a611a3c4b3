"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ddbguardMatchers = void 0;
exports.ddbguardProblems = ddbguardProblems;
exports.toBeDdbguardCompliant = toBeDdbguardCompliant;
// A Jest matcher for CDK unit tests:
//
//   import { Template } from 'aws-cdk-lib/assertions';
//   import { ddbguardMatchers } from '@ddbguard/cdk-validator/jest';
//   expect.extend(ddbguardMatchers);
//   expect(Template.fromStack(stack)).toBeDdbguardCompliant();
//
// The template is written to a new private directory and checked there alone by `ddbguard check`, so nothing
// outside it is read (a nested stack or include it names is not found, and its verdicts are not passes).
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const cli_1 = require("./cli");
/** What fails: each failing or unknown rule on each resource, and each input that could not be checked. */
function ddbguardProblems(template, options = {}) {
    const document = templateObject(template);
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ddbguard-template-'));
    try {
        const file = path.join(directory, 'template.json');
        fs.writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
        const report = (0, cli_1.runCheck)([file], options);
        const problems = [];
        for (const violation of report.violations) {
            const status = violation.ruleMetadata?.status;
            if (violation.ruleName === 'input-error') {
                problems.push(`input error: ${violation.description}`);
            }
            else if (status === 'fail' || status === 'unknown') {
                for (const resource of violation.violatingResources) {
                    problems.push(`${violation.ruleName} ${resource.resourceLogicalId} (${status}): ${violation.description}`);
                }
            }
        }
        return problems;
    }
    finally {
        fs.rmSync(directory, { recursive: true, force: true });
    }
}
function templateObject(template) {
    const candidate = template;
    if (candidate !== null && typeof candidate === 'object' && typeof candidate.toJSON === 'function') {
        return candidate.toJSON(); // Template.fromStack(stack)
    }
    if (candidate !== null && typeof candidate === 'object' && !Array.isArray(candidate)) {
        return candidate;
    }
    throw new TypeError('toBeDdbguardCompliant: expected a Template (aws-cdk-lib/assertions) or a template object');
}
function toBeDdbguardCompliant(received, options) {
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
exports.ddbguardMatchers = { toBeDdbguardCompliant };
