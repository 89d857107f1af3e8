// Where a subcommand writes: stdout and stderr by default, buffers in tests.

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Standard error is a terminal: long operations show their progress there. */
  progress?: boolean;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: process.stderr.isTTY === true,
};

/**
 * Text from a spec (values, file names) made safe for a terminal: C0 and C1 control characters (escape
 * sequences, carriage returns, newlines that would forge lines), DEL and the bidirectional overrides are
 * written as `\xNN` / `\u{NNNN}`, so what is printed is one line of visible text per diagnostic.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
