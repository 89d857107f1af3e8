import { type Diagnostic } from 'vscode-languageserver/node';
import type { OptionDatabase } from '../../../core/src/options';
import type { ParsedNix } from './nixDocuments';
/** Data carried by a diagnostic so the quick fix needs no second analysis. */
export interface NixFixData {
    replacement: string;
}
export declare function nixDiagnostics(doc: ParsedNix, db: OptionDatabase): Diagnostic[];
