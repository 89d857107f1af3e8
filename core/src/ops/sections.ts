// The remote checks (probe, pre-flight, checkpoint prerequisites) print their findings in blocks: a header line
// `@@name`, then that block's lines. Each script ends with `@@end`, so a run cut short is told apart from a host
// that answered with empty blocks. One parser for all of them.

/** The blocks of one check's output by name, each the list of its lines (without line ends). */
export type Sections = Map<string, string[]>;

const HEADER = /^@@([a-z-]+)$/;

/** Splits `output` into its `@@name` blocks; lines before the first header are ignored. `trim` trims each line. */
export function parseSections(output: string, options: { trim?: boolean } = {}): Sections {
  const sections: Sections = new Map();
  let current: string[] | undefined;
  for (const line of output.split(/\r?\n/)) {
    const header = HEADER.exec(line);
    if (header) sections.set(header[1], (current = []));
    else current?.push(options.trim ? line.trim() : line);
  }
  return sections;
}

/** A block's lines as one trimmed text ('' when the block is missing). */
export function sectionText(sections: Sections, name: string): string {
  return (sections.get(name) ?? []).join('\n').trim();
}

/** Whether the script ran to its final `@@end` line. */
export function isComplete(sections: Sections): boolean {
  return sections.has('end');
}
