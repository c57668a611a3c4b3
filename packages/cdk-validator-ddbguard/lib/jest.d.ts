export interface DdbguardMatcherOptions {
    /** A ddbguard configuration file (default: the one found from the working directory upwards). */
    readonly config?: string;
    /** The ddbguard command line (default: $DDBGUARD_COMMAND, else `ddbguard` on PATH). */
    readonly command?: string[];
}
declare global {
    namespace jest {
        interface Matchers<R, T = {}> {
            /** The template (a `Template` of aws-cdk-lib/assertions, or a template object) fails no ddbguard rule. */
            toBeDdbguardCompliant(options?: DdbguardMatcherOptions): R;
        }
    }
}
/** What fails: each failing or unknown rule on each resource, and each input that could not be checked. */
export declare function ddbguardProblems(template: unknown, options?: DdbguardMatcherOptions): string[];
export declare function toBeDdbguardCompliant(this: {
    isNot?: boolean;
} | void, received: unknown, options?: DdbguardMatcherOptions): {
    pass: boolean;
    message: () => string;
};
export declare const ddbguardMatchers: {
    toBeDdbguardCompliant: typeof toBeDdbguardCompliant;
};
