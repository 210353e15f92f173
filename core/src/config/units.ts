// Sizes and durations of configuration values as numbers, so managed minimums and maximums can compare them.
import { parseDuration, parseSize } from '../policy/units';
import type { ValueKind } from './keys';

/** `2g`/`512m`/`64k` (the engine's tmpfs style, powers of 1024) or the policy units (`10MB`, `1GiB`, bytes). */
export function sizeBytes(s: string): number {
  const m = /^([1-9]\d*)([kmg])$/i.exec(s.trim());
  if (m) return Number(m[1]) * 1024 ** ('kmg'.indexOf(m[2]!.toLowerCase()) + 1);
  return parseSize(s);
}

/** The number a bound compares, or undefined for kinds without an order. */
export function ordinal(kind: ValueKind, v: unknown): number | undefined {
  switch (kind) {
    case 'number':
      return Number(v);
    case 'size':
      return sizeBytes(String(v));
    case 'duration':
      return parseDuration(String(v));
    case 'boolean':
      return v ? 1 : 0;
    case 'string':
    case 'list':
      return undefined;
    default: {
      const never: never = kind;
      return never;
    }
  }
}
