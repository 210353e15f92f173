// IP addresses for the egress proxy: every literal form a client may write, and which ranges are private.
import * as net from 'node:net';

export type Family = 4 | 6;
export interface Address {
  family: Family;
  bytes: number[];
  text: string;
}

/** Where an address points; only `public` is reachable without a rule that allows private targets. */
export type AddressClass =
  'public' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

/**
 * One IPv4 number as inet_aton reads it (curl, glibc and browsers accept these): decimal, `0x` hex, or octal with a
 * leading zero. undefined when it is none of them.
 */
function inetNumber(part: string): number | undefined {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return parseInt(part, 8);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return undefined;
}

/** Whether a host name would be read as an IPv4 address by a resolver or a URL parser: its last label is a number. */
export function looksLikeIPv4(host: string): boolean {
  const labels = host.replace(/\.$/, '').split('.');
  return inetNumber(labels[labels.length - 1]) !== undefined || /^[0-9]+$/.test(labels[labels.length - 1]);
}

/**
 * inet_aton: 1 to 4 parts; the last fills the remaining bytes (`127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`).
 * undefined when a part is not a number or out of range (then the host is refused as a malformed address).
 */
export function parseIPv4Any(host: string): Address | undefined {
  const parts = host.replace(/\.$/, '').split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums = parts.map(inetNumber);
  if (nums.some((n) => n === undefined || !Number.isFinite(n))) return undefined;
  const ns = nums as number[];
  const last = ns[ns.length - 1];
  if (ns.slice(0, -1).some((n) => n > 255) || last >= 256 ** (5 - ns.length)) return undefined;
  const bytes = [...ns.slice(0, -1)];
  for (let i = 4 - ns.length; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return { family: 4, bytes, text: bytes.join('.') };
}

/** An IPv6 literal (no brackets, no zone), including an embedded dotted IPv4 tail. */
export function parseIPv6(text: string): Address | undefined {
  if (net.isIPv6(text) === false || text.includes('%')) return undefined;
  let s = text.toLowerCase();
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    tail = v4[1].split('.').map(Number);
    s = s.slice(0, -v4[1].length) + '0:0';
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const r = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...r].map((g) => parseInt(g, 16));
  if (groups.length !== 8) return undefined;
  const bytes = groups.flatMap((g) => [g >> 8, g & 255]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return { family: 6, bytes, text: formatIPv6(bytes) };
}

/** RFC 5952: lower-case hex, the longest run (two or more) of zero groups as `::`, the first one on a tie. */
function formatIPv6(bytes: number[]): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  let best = -1,
    bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j > i ? j : i + 1;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

/** An address the kernel was given as text (from the resolver or a socket). */
export function parseAddress(text: string): Address | undefined {
  if (net.isIPv4(text)) return { family: 4, bytes: text.split('.').map(Number), text };
  return parseIPv6(text);
}

interface Range {
  bytes: number[];
  bits: number;
  cls: AddressClass;
}
const v4 = (s: string, bits: number, cls: AddressClass): Range => ({ bytes: s.split('.').map(Number), bits, cls });

// Most specific first: the metadata address is inside link-local.
const V4_RANGES: Range[] = [
  v4('169.254.169.254', 32, 'metadata'),
  v4('0.0.0.0', 8, 'unspecified'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'cgnat'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link-local'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved'),
  v4('192.0.2.0', 24, 'reserved'),
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'reserved'),
  v4('198.51.100.0', 24, 'reserved'),
  v4('203.0.113.0', 24, 'reserved'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('240.0.0.0', 4, 'reserved'),
];

const v6 = (s: string, bits: number, cls: AddressClass): Range => ({ bytes: parseIPv6(s)!.bytes, bits, cls });
const V6_RANGES: Range[] = [
  v6('fd00:ec2::254', 128, 'metadata'),
  v6('::', 128, 'unspecified'),
  v6('::1', 128, 'loopback'),
  v6('fc00::', 7, 'private'),
  v6('fe80::', 10, 'link-local'),
  v6('fec0::', 10, 'private'),
  v6('ff00::', 8, 'multicast'),
  v6('2001:db8::', 32, 'reserved'),
  v6('100::', 64, 'reserved'),
  v6('::', 96, 'reserved'),
];

function inRange(bytes: number[], r: Range): boolean {
  for (let bit = 0; bit < r.bits; bit += 8) {
    const n = Math.min(8, r.bits - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((bytes[bit / 8] & mask) !== (r.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

/** Prefixes whose last 4 bytes (or bytes 2..5 for 6to4) are an IPv4 address that decides where packets go. */
function embeddedIPv4(b: number[]): number[] | undefined {
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12); // ::ffff:a.b.c.d (v4-mapped)
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return b.slice(12); // NAT64
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6); // 6to4
  return undefined;
}

export function classify(a: Address): AddressClass {
  if (a.family === 4) return V4_RANGES.find((r) => inRange(a.bytes, r))?.cls ?? 'public';
  const inner = embeddedIPv4(a.bytes);
  if (inner) return classify({ family: 4, bytes: inner, text: inner.join('.') });
  return V6_RANGES.find((r) => inRange(a.bytes, r))?.cls ?? 'public';
}
