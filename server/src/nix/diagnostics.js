"use strict";
// Diagnostics of a .nix file: syntax errors (several, from the error-tolerant parser), undefined
// variables, and option checks (unknown paths, wrongly typed literal values) in NixOS modules.
Object.defineProperty(exports, "__esModule", { value: true });
exports.nixDiagnostics = nixDiagnostics;
const node_1 = require("vscode-languageserver/node");
const checkModule_1 = require("../../../core/src/options/checkModule");
const scope_1 = require("../../../core/src/nix/scope");
function nixDiagnostics(doc, db) {
    const range = (s) => doc.lines.rangeOf(s);
    const out = doc.parsed.errors.map((e) => ({
        range: range(e), severity: node_1.DiagnosticSeverity.Error, code: e.code, source: 'nix', message: e.message,
    }));
    for (const u of (0, scope_1.resolveVariables)(doc.parsed.root).undefinedNames) {
        out.push({ range: range(u.span), severity: node_1.DiagnosticSeverity.Error, code: 'nix.undefined-variable', source: 'nix', message: `Undefined variable '${u.name}'.` });
    }
    for (const p of (0, checkModule_1.checkModuleOptions)(doc.parsed.root, db)) {
        const data = p.replacement !== undefined ? { replacement: p.replacement } : undefined;
        out.push({ range: range(p), severity: node_1.DiagnosticSeverity.Error, code: p.code, source: 'nixos-options', message: p.message, data });
    }
    return out;
}
//# sourceMappingURL=diagnostics.js.map