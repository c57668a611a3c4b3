import { DdbguardReport } from './cli';
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
export declare class DdbguardValidator implements IPolicyValidationPlugin {
    readonly name = "ddbguard";
    readonly version: string;
    private readonly props;
    constructor(props?: DdbguardValidatorProps);
    validate(context: IPolicyValidationContext): PolicyValidationPluginReport;
}
/** The outermost cloud assemblies (directories with a manifest.json) that hold the templates. */
export declare function assemblyRoots(templatePaths: string[]): string[];
