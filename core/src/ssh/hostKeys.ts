// Host-key verification the way OpenSSH does it: a key pinned in the spec wins; otherwise known_hosts files
// (plain, hashed `|1|salt|hash`, `[host]:port`, wildcards, negations, @revoked) decide. Never accepts silently:
// an unknown key is handed to a HostKeyPolicy, a changed key is a hard stop.

import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface HostKey {
  /** e.g. `ssh-ed25519` */
  type: string;
  /** The wire-format key blob. */
  blob: Buffer;
}

/** `SHA256:…` exactly as `ssh-keygen -lf` and OpenSSH's prompts print it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first string inside the blob. */
export function hostKeyFromBlob(blob: Buffer): HostKey {
  if (blob.length < 4) throw new Error('Host key blob is too short.');
  const len = blob.readUInt32BE(0);
  if (len === 0 || 4 + len > blob.length) throw new Error('Host key blob is malformed.');
  return { type: blob.subarray(4, 4 + len).toString('latin1'), blob };
}

/** Parses `ssh-ed25519 AAAA… [comment]` (the spec's `ssh.hostKey` form). */
export function parsePublicKey(text: string): HostKey {
  const [type, b64] = text.trim().split(/\s+/);
  if (!type || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new Error(`Not a public key ("type base64"): ${text.slice(0, 40)}`);
  const key = hostKeyFromBlob(Buffer.from(b64, 'base64'));
  if (key.type !== type) throw new Error(`Public key says ${type} but its data is ${key.type}.`);
  return key;
}

export function formatPublicKey(key: HostKey): string {
  return `${key.type} ${key.blob.toString('base64')}`;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export interface KnownHostEntry {
  file: string;
  line: number;
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  key: HostKey;
}

/** Parses known_hosts text; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    const [patterns, type, b64] = fields;
    if (!patterns || !type || !b64) return;
    try {
      entries.push({ file, line: i + 1, marker, patterns, key: parsePublicKey(`${type} ${b64}`) });
    } catch {
      // OpenSSH ignores lines it cannot read; so do we.
    }
  });
  return entries;
}

/** Whether a known_hosts host field applies to a name (hashed entries, wildcards, `!negation`). */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (globMatches(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

export type HostKeyVerdict =
  | { kind: 'pinned-match' }
  | { kind: 'known-match'; file: string; line: number }
  | { kind: 'unknown' }
  | { kind: 'changed'; expectedFingerprint: string; source: string }
  | { kind: 'revoked'; source: string };

export interface HostKeyCheck {
  host: string;
  port: number;
  key: HostKey;
  /** `ssh.hostKey` from the spec, if any. */
  pinned?: string;
  knownHosts: KnownHostEntry[];
}

export function verifyHostKey(check: HostKeyCheck): HostKeyVerdict {
  const blob = check.key.blob;
  const name = knownHostsName(check.host, check.port);
  const forHost = check.knownHosts.filter((e) => e.marker !== '@cert-authority' && hostFieldMatches(e.patterns, name));
  const revoked = check.knownHosts.find((e) => e.marker === '@revoked' && e.key.blob.equals(blob));
  if (revoked) return { kind: 'revoked', source: `${revoked.file}:${revoked.line}` };
  if (check.pinned) {
    const pinned = parsePublicKey(check.pinned);
    if (pinned.blob.equals(blob)) return { kind: 'pinned-match' };
    return { kind: 'changed', expectedFingerprint: fingerprint(pinned.blob), source: 'ssh.hostKey in the spec' };
  }
  const match = forHost.find((e) => !e.marker && e.key.blob.equals(blob));
  if (match) return { kind: 'known-match', file: match.file, line: match.line };
  // Like OpenSSH: a different key of the same type is a change; a key of another type is merely unknown.
  const sameType = forHost.find((e) => !e.marker && e.key.type === check.key.type);
  if (sameType)
    return { kind: 'changed', expectedFingerprint: fingerprint(sameType.key.blob), source: `${sameType.file}:${sameType.line}` };
  return { kind: 'unknown' };
}

export async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    all.push(...parseKnownHosts(text, file));
  }
  return all;
}

/** Pins a key by appending it to a known_hosts file (created 0600 in a 0700 folder when missing). */
export async function appendKnownHost(file: string, host: string, port: number, key: HostKey): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const existing = await readFile(file, 'utf8');
    if (existing.length && !existing.endsWith('\n')) prefix = '\n';
  } catch {
    // new file
  }
  await appendFile(file, `${prefix}${knownHostsName(host, port)} ${formatPublicKey(key)}\n`, { mode: 0o600 });
}

/** The explanation shown when a host's key changed: a hard stop, never a prompt. */
export function changedKeyMessage(
  host: string,
  port: number,
  presented: HostKey,
  verdict: Extract<HostKeyVerdict, { kind: 'changed' | 'revoked' }>,
): string {
  const where = knownHostsName(host, port);
  if (verdict.kind === 'revoked') {
    return `The host key of ${where} (${presented.type} ${fingerprint(presented.blob)}) is marked @revoked in ${verdict.source}. Refusing to connect.`;
  }
  return (
    `HOST KEY CHANGED for ${where}: it presented ${presented.type} ${fingerprint(presented.blob)}, but ${verdict.source} expects ${verdict.expectedFingerprint}. ` +
    `Someone may be intercepting the connection, or the machine was reinstalled. Refusing to connect. ` +
    `If the change is expected, remove the old key from ${verdict.source} and connect again.`
  );
}
