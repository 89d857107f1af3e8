"use strict";
// The option database the Nix features consult, rebuilt when its sources change: the bundled
// nix-templates modules, NixOS modules in the workspace that declare options, and (after the client's
// "Load NixOS Options from This Flake") a flake's evaluated option set.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.OptionStore = void 0;
exports.defaultTemplatesDir = defaultTemplatesDir;
const promises_1 = require("node:fs/promises");
const node_path_1 = __importDefault(require("node:path"));
const node_url_1 = require("node:url");
const templates_1 = require("../../../core/src/flake/templates");
const options_1 = require("../../../core/src/options");
/** Folders never worth scanning for modules. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'result', 'dist', 'out', '.cache', '.direnv']);
const MAX_SCANNED_FILES = 2000;
class OptionStore {
    templatesDir;
    db = (0, options_1.buildOptionDatabase)();
    modules = new Map();
    evaluated;
    evaluatedFrom;
    constructor(templatesDir) {
        this.templatesDir = templatesDir;
    }
    get database() { return this.db; }
    /** Where the evaluated options came from, for hover text. */
    get source() { return this.evaluatedFrom ? `options evaluated from ${this.evaluatedFrom}` : 'curated NixOS options and nix-templates'; }
    /** Reads the bundled templates and every workspace .nix file that declares options. */
    async scan(workspaceFolders) {
        const roots = workspaceFolders.map((f) => (0, node_url_1.fileURLToPath)(f));
        const files = await listNixFiles(this.templatesDir ? [this.templatesDir, ...roots] : roots);
        const modules = new Map();
        await Promise.all(files.map(async (file) => {
            const text = await (0, promises_1.readFile)(file, 'utf8').catch(() => '');
            if (/\bmk(Enable|Package)?Option\b/.test(text))
                modules.set((0, node_url_1.pathToFileURL)(file).toString(), text);
        }));
        this.modules = modules;
        this.rebuild();
    }
    /** A .nix file changed on disk or in the editor: re-read it if it declares options. */
    updateModule(uri, text) {
        const declares = text !== undefined && /\bmk(Enable|Package)?Option\b/.test(text);
        if (!declares && !this.modules.has(uri))
            return false;
        if (declares && this.modules.get(uri) === text)
            return false;
        if (declares)
            this.modules.set(uri, text);
        else
            this.modules.delete(uri);
        this.rebuild();
        return true;
    }
    async loadEvaluated(jsonFile, label) {
        const parsed = JSON.parse(await (0, promises_1.readFile)(jsonFile, 'utf8'));
        if (!Array.isArray(parsed))
            throw new Error(`${jsonFile} is not a list of options`);
        this.evaluated = parsed;
        this.evaluatedFrom = label;
        this.rebuild();
        return parsed.length;
    }
    rebuild() {
        this.db = (0, options_1.buildOptionDatabase)({
            modules: [...this.modules].map(([file, text]) => ({ file, text })),
            evaluated: this.evaluated,
        });
    }
}
exports.OptionStore = OptionStore;
async function listNixFiles(roots) {
    const out = [];
    const queue = [...roots];
    while (queue.length && out.length < MAX_SCANNED_FILES) {
        const dir = queue.shift();
        const entries = await (0, promises_1.readdir)(dir, { withFileTypes: true }).catch(() => []);
        for (const e of entries) {
            if (e.isDirectory()) {
                if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.'))
                    queue.push(node_path_1.default.join(dir, e.name));
            }
            else if (e.isFile() && e.name.endsWith('.nix'))
                out.push(node_path_1.default.join(dir, e.name));
        }
    }
    return out;
}
/** The extension's nix-templates/ (dist/server.js → <extension>/nix-templates), or none when it is missing. */
function defaultTemplatesDir() {
    try {
        return (0, templates_1.findTemplatesDir)(__dirname);
    }
    catch {
        return undefined;
    }
}
//# sourceMappingURL=optionStore.js.map