// IPv4/IPv6 address and CIDR arithmetic for the network rules (is an address inside a subnet, do two
// addresses collide). Addresses become bigints so both families share one code path.

export interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}
export interface ParsedCidr extends ParsedAddress {
  prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.') && lastColon >= 0) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0 || (halves.length === 2 && missing < 1)) return undefined;
  let value = 0n;
  for (const g of [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

// Specs repeat across edits: parsed texts are remembered (bounded) so re-validation skips the bigint work.
const addressMemo = new Map<string, ParsedAddress | null>();
const cidrMemo = new Map<string, ParsedCidr | null>();
function remember<T extends ParsedAddress>(
  memo: Map<string, T | null>,
  text: string,
  compute: (text: string) => T | undefined,
): T | undefined {
  const hit = memo.get(text);
  if (hit !== undefined) return hit ?? undefined;
  if (memo.size > 50_000) memo.clear();
  const value = compute(text);
  memo.set(text, value ?? null);
  return value;
}

export function parseAddress(text: string): ParsedAddress | undefined {
  return typeof text === 'string' ? remember(addressMemo, text, parseAddressUncached) : undefined;
}

function parseAddressUncached(text: string): ParsedAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

export function parseCidr(text: string): ParsedCidr | undefined {
  return typeof text === 'string' ? remember(cidrMemo, text, parseCidrUncached) : undefined;
}

function parseCidrUncached(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (address.family === 4 ? 32 : 128)) return undefined;
  return { ...address, prefix };
}

function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const width = BigInt(bits(family));
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n);
}

/** The address is inside the subnet (same family, same network bits). */
export function subnetContains(subnet: ParsedCidr, address: ParsedAddress): boolean {
  if (subnet.family !== address.family) return false;
  const m = mask(subnet.family, subnet.prefix);
  return (subnet.value & m) === (address.value & m);
}

/** The subnet has host bits set (`10.0.0.5/24` rather than `10.0.0.0/24`). */
export function hasHostBits(subnet: ParsedCidr): boolean {
  return (subnet.value & ~mask(subnet.family, subnet.prefix) & ((1n << BigInt(bits(subnet.family))) - 1n)) !== 0n;
}

const keys = new WeakMap<ParsedAddress, string>();

/** A canonical text for comparing addresses (`fd00::1` and `fd00:0::1` are the same). */
export function addressKey(address: ParsedAddress): string {
  let key = keys.get(address);
  if (key === undefined) keys.set(address, (key = `${address.family}:${address.value.toString(16)}`));
  return key;
}
