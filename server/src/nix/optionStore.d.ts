import { type OptionDatabase } from '../../../core/src/options';
export declare class OptionStore {
    private readonly templatesDir;
    private db;
    private modules;
    private evaluated;
    private evaluatedFrom;
    constructor(templatesDir: string | undefined);
    get database(): OptionDatabase;
    /** Where the evaluated options came from, for hover text. */
    get source(): string;
    /** Reads the bundled templates and every workspace .nix file that declares options. */
    scan(workspaceFolders: string[]): Promise<void>;
    /** A .nix file changed on disk or in the editor: re-read it if it declares options. */
    updateModule(uri: string, text: string | undefined): boolean;
    loadEvaluated(jsonFile: string, label: string): Promise<number>;
    private rebuild;
}
/** The extension's nix-templates/ (dist/server.js → <extension>/nix-templates), or none when it is missing. */
export declare function defaultTemplatesDir(): string | undefined;
