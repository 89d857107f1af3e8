// The only way remote commands are built. Every value that may come from a spec (host names, paths, unit
// names, model ids) is interpolated through here, so it reaches the remote side as one literal argument.

declare const shellCommandBrand: unique symbol;

/** A POSIX shell command line whose every interpolated value is single-quoted. */
export interface ShellCommand {
  readonly text: string;
  readonly [shellCommandBrand]: true;
}

function make(text: string): ShellCommand {
  return { text } as ShellCommand;
}

/** Single-quotes one argument for a POSIX shell: `it's` → `'it'\''s'`. */
export function quoteArg(value: string): string {
  if (value.includes('\0')) throw new Error('A shell argument cannot contain a NUL byte.');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An argument vector as one command line. */
export function argv(args: readonly (string | number)[]): ShellCommand {
  if (args.length === 0) throw new Error('An empty argument vector is not a command.');
  return make(args.map((a) => quoteArg(toArg(a))).join(' '));
}

export type ShellValue = string | number | ShellCommand | readonly (string | number)[];

/**
 * A command template: the literal parts are trusted shell written in this code base; every interpolation is
 * quoted (strings and numbers as one argument, arrays as one argument each, ShellCommands embedded as is).
 *   sh`test -b ${device} && echo yes`
 */
export function sh(parts: TemplateStringsArray, ...values: ShellValue[]): ShellCommand {
  let text = parts[0];
  values.forEach((value, i) => {
    text += render(value) + parts[i + 1];
  });
  return make(text);
}

function render(value: ShellValue): string {
  if (isShellCommand(value)) return value.text;
  if (Array.isArray(value)) return value.map((v) => quoteArg(toArg(v))).join(' ');
  return quoteArg(toArg(value as string | number));
}

function isShellCommand(value: unknown): value is ShellCommand {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as ShellCommand).text === 'string';
}

function toArg(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`Not a finite number: ${value}`);
    return String(value);
  }
  return value;
}
