import type { TextDocument } from 'vscode-languageserver-textdocument';
import { type ParseResult } from '../../../core/src/nix/parser';
import { LineIndex } from '../../../core/src/util/lineIndex';
export interface ParsedNix {
    uri: string;
    version: number | undefined;
    text: string;
    parsed: ParseResult;
    lines: LineIndex;
}
export declare class NixDocuments {
    private readonly open;
    private readonly cache;
    constructor(open: {
        get(uri: string): TextDocument | undefined;
    });
    get(uri: string): ParsedNix | undefined;
    forget(uri: string): void;
    private store;
}
