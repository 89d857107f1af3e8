"use strict";
// Parsed .nix documents, cached by (uri, version): open documents from the editor, others from disk
// (declarations in nix-templates/ that go-to-definition lands in).
Object.defineProperty(exports, "__esModule", { value: true });
exports.NixDocuments = void 0;
const node_fs_1 = require("node:fs");
const node_url_1 = require("node:url");
const parser_1 = require("../../../core/src/nix/parser");
const lineIndex_1 = require("../../../core/src/util/lineIndex");
class NixDocuments {
    open;
    cache = new Map();
    constructor(open) {
        this.open = open;
    }
    get(uri) {
        const doc = this.open.get(uri);
        const cached = this.cache.get(uri);
        if (doc) {
            if (cached && cached.version === doc.version)
                return cached;
            return this.store(uri, doc.version, doc.getText());
        }
        if (cached && cached.version === undefined)
            return cached;
        try {
            return this.store(uri, undefined, (0, node_fs_1.readFileSync)((0, node_url_1.fileURLToPath)(uri), 'utf8'));
        }
        catch {
            return undefined;
        }
    }
    forget(uri) {
        this.cache.delete(uri);
    }
    store(uri, version, text) {
        const entry = { uri, version, text, parsed: (0, parser_1.parseNix)(text), lines: new lineIndex_1.LineIndex(text) };
        this.cache.set(uri, entry);
        return entry;
    }
}
exports.NixDocuments = NixDocuments;
//# sourceMappingURL=nixDocuments.js.map