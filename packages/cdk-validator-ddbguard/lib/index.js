"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.DdbguardValidator = exports.runCheck = exports.ddbguardCommand = void 0;
exports.assemblyRoots = assemblyRoots;
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
const fs = require("node:fs");
const path = require("node:path");
const cli_1 = require("./cli");
var cli_2 = require("./cli");
Object.defineProperty(exports, "ddbguardCommand", { enumerable: true, get: function () { return cli_2.ddbguardCommand; } });
Object.defineProperty(exports, "runCheck", { enumerable: true, get: function () { return cli_2.runCheck; } });
class DdbguardValidator {
    constructor(props = {}) {
        this.name = 'ddbguard';
        this.version = packageVersion();
        this.props = { ...props };
    }
    validate(context) {
        // the whole cloud assembly, as `ddbguard check cdk.out` reads it: cross-stack rules, construct paths and CDK's
        // acknowledgements come from the assembly, not from the templates alone
        return (0, cli_1.runCheck)(assemblyRoots(context.templatePaths), this.props);
    }
}
exports.DdbguardValidator = DdbguardValidator;
/** The outermost cloud assemblies (directories with a manifest.json) that hold the templates. */
function assemblyRoots(templatePaths) {
    const found = new Set();
    for (const template of templatePaths) {
        const directory = path.dirname(path.resolve(template));
        let root = directory;
        for (let candidate = directory;; candidate = path.dirname(candidate)) {
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
function packageVersion() {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    return manifest.version;
}
