/** A violation as `ddbguard check --format cdk-validation` prints it (and as CDK takes it). */
export interface DdbguardViolation {
    readonly ruleName: string;
    readonly description: string;
    readonly fix?: string;
    readonly severity?: string;
    readonly ruleMetadata?: {
        readonly [key: string]: string;
    };
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
/**
 * The ddbguard command: `command` when given, else $DDBGUARD_COMMAND (a JSON list of arguments, or a command whose
 * words are separated by spaces), else `ddbguard` on PATH.
 */
export declare function ddbguardCommand(command?: string[]): {
    argv: string[];
    from: string;
};
/** `ddbguard check PATHS --format cdk-validation [--config FILE]`, run and read. */
export declare function runCheck(paths: string[], options?: {
    command?: string[];
    config?: string;
}): DdbguardReport;
