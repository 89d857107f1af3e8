// The contract between the spec core (loading, validation, the symbol index) and its users: the
// language server, the CLI, the flake generator and the client. Positions are 0-based, as in LSP.

import type { ClusterSpec, HostSpec } from './types';

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface Location {
  uri: string;
  range: Range;
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface TextEdit {
  range: Range;
  newText: string;
}

/** A quick fix: edits to one or more files. */
export interface Fix {
  title: string;
  edits: { uri: string; edits: TextEdit[] }[];
  preferred?: boolean;
}

export interface SpecDiagnostic {
  uri: string;
  range: Range;
  severity: Severity;
  /** Stable code, e.g. `schema.type`, `host.duplicate-name`; documented in README. */
  code: string;
  message: string;
  fixes?: Fix[];
  related?: { location: Location; message: string }[];
}

export type SpecFileKind = 'cluster' | 'host';

/** One parsed YAML file, cached by the caller per (uri, version). */
export interface ParsedSpecFile {
  uri: string;
  version: number;
  kind: SpecFileKind;
  text: string;
  /** YAML syntax errors and limits (size, depth, aliases) as diagnostics. */
  syntaxDiagnostics: SpecDiagnostic[];
  /** Plain data of the file (cluster object, or one host object); undefined when unreadable. */
  data: unknown;
  /** Maps a JSON-pointer-like path to the source ranges of a key and its value. */
  /** `viaAlias`: the path runs through an alias, and the ranges are those of the alias (not of the value itself). */
  locate(path: readonly (string | number)[]): { key?: Range; value: Range; viaAlias?: boolean } | undefined;
  /** As `locate`, in offsets ([start, end)) — cheaper when positions are not needed yet. */
  locateOffsets(path: readonly (string | number)[]): { key?: [number, number]; value: [number, number]; viaAlias?: boolean } | undefined;
  /** The innermost path at an offset, and whether the offset is on a key or a value. */
  pathAt(offset: number): { path: (string | number)[]; onKey: boolean } | undefined;
  offsetAt(position: Position): number;
  positionAt(offset: number): Position;
}

export type SymbolKind = 'host' | 'interface' | 'segment' | 'tag';

/** A definition or a reference of a named thing; interfaces are scoped by their host. */
export interface SpecSymbol {
  kind: SymbolKind;
  name: string;
  /** For interfaces: the owning host's name. */
  host?: string;
  location: Location;
  /** Range of the whole definition (for outline and hover); only on definitions. */
  fullRange?: Range;
}

export interface SymbolIndex {
  definitions: SpecSymbol[];
  references: SpecSymbol[];
  /** Definition + every reference of the symbol at a position, or undefined. */
  at(uri: string, position: Position): { definition?: SpecSymbol; references: SpecSymbol[]; symbol: SpecSymbol } | undefined;
  definitionsOf(kind: SymbolKind, host?: string): SpecSymbol[];
}

/** Where one host entry lives: its file and the path of the host object inside that file. */
export interface HostEntry {
  host: HostSpec;
  file: ParsedSpecFile;
  /** `['hosts', i]` in cluster.yaml, `[]` in a hosts/<name>.yaml file. */
  path: (string | number)[];
  /** Index in cluster.yaml's `hosts`, undefined for a host file. */
  index: number | undefined;
  /** True when the name was not written and comes from the host file's name. */
  nameFromFile: boolean;
}

/** The whole workspace spec: cluster.yaml plus hosts/*.yaml merged. */
export interface SpecModel {
  spec: ClusterSpec;
  /** The file each host came from (the first one when a name is duplicated). */
  hostSources: Map<string, { uri: string; host: HostSpec; index: number | undefined }>;
  files: ParsedSpecFile[];
  /** Built on first access by `buildModel`. Every host entry, duplicates included: `hostEntriesOf(model)` in workspace.ts. */
  symbols: SymbolIndex;
}
