// Where a proxy request wants to go: the host and port of a CONNECT authority or an http:// URI, checked strictly.
import { type Address, looksLikeIPv4, parseIPv4Any, parseIPv6 } from './address';

/** A target the policy can judge: `host` is lower-case (a name) or the canonical text of an IP literal. */
export interface Target {
  host: string;
  port: number;
  /** Set when the client named an address rather than a name (any IPv4 form, or a bracketed IPv6). */
  literal?: Address;
}

export type TargetResult = { ok: true; target: Target } | { ok: false; reason: string };

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_AUTHORITY = 300;

function refuse(reason: string): TargetResult {
  return { ok: false, reason };
}

/** The `host:port` resource `net.connect` and `net.private` rules are matched against. */
export function resource(t: Target): string {
  return `${t.literal?.family === 6 ? `[${t.host}]` : t.host}:${t.port}`;
}

/**
 * Parses `host:port` (CONNECT) or the authority of an http:// URI (then `defaultPort` fills a missing port). Refuses
 * what a lenient parser elsewhere could read differently from us: control characters, whitespace, userinfo, percent
 * escapes, IPv6 zones, non-ASCII names (write them as xn--), empty labels, and numbers that are not a valid address.
 */
export function parseAuthority(authority: string, defaultPort?: number): TargetResult {
  if (authority.length === 0 || authority.length > MAX_AUTHORITY) return refuse('the host is empty or over-long');
  if (/[\x00-\x20\x7f-\uffff]/.test(authority)) return refuse('the host contains a control character, whitespace or non-ASCII');
  if (authority.includes('@')) return refuse('user information (user@host) is not allowed in a proxy target');
  if (/[%\\/?#]/.test(authority)) return refuse('the host contains %, \\, /, ? or #');
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) return refuse('an IPv6 literal is missing its ]');
    host = authority.slice(1, end);
    const rest = authority.slice(end + 1);
    if (rest && !rest.startsWith(':')) return refuse('unexpected text after an IPv6 literal');
    portText = rest ? rest.slice(1) : undefined;
    const a = parseIPv6(host);
    if (!a) return refuse(`${JSON.stringify(host)} is not an IPv6 address`);
    const port = parsePort(portText, defaultPort);
    return port.ok ? { ok: true, target: { host: a.text, port: port.port, literal: a } } : refuse(port.reason);
  }
  const colon = authority.lastIndexOf(':');
  if (colon >= 0 && authority.indexOf(':') !== colon) return refuse('an IPv6 literal must be written in brackets');
  host = colon >= 0 ? authority.slice(0, colon) : authority;
  portText = colon >= 0 ? authority.slice(colon + 1) : undefined;
  const port = parsePort(portText, defaultPort);
  if (!port.ok) return refuse(port.reason);
  host = host.toLowerCase().replace(/\.$/, '');
  if (!host) return refuse('the host is empty');
  if (looksLikeIPv4(host)) {
    // Every spelling (0x7f.1, 017700000001, 2130706433, 127.1) is an address to a resolver: judge it as that address.
    const a = parseIPv4Any(host);
    if (!a) return refuse(`${JSON.stringify(host)} ends in a number but is not a valid IPv4 address`);
    return { ok: true, target: { host: a.text, port: port.port, literal: a } };
  }
  if (host.length > 253 || !host.split('.').every((l) => LABEL.test(l))) {
    return refuse(`${JSON.stringify(host.slice(0, 100))} is not a valid host name (letters, digits, hyphens; non-ASCII as xn--)`);
  }
  return { ok: true, target: { host, port: port.port } };
}

function parsePort(text: string | undefined, fallback?: number): { ok: true; port: number } | { ok: false; reason: string } {
  if (text === undefined || text === '') {
    return fallback ? { ok: true, port: fallback } : { ok: false, reason: 'a port is required (host:port)' };
  }
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    return { ok: false, reason: `port ${JSON.stringify(text)} is not 1-65535` };
  return { ok: true, port: Number(text) };
}

/** Whether two authorities name the same target (a Host header against an absolute URI; default ports count). */
export function sameTarget(a: Target, b: Target): boolean {
  return a.host === b.host && a.port === b.port;
}
