// Unit parser for policy limits: sizes in SI and IEC units, durations in ms/s/m/h/d. Bad units are errors.
import { AirlockError } from '../../../protocol/src/errors';

export const POLICY_INVALID = 'POLICY_INVALID';

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};
const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const NUMBER_UNIT = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/;

function parse(kind: string, input: string | number, units: Record<string, number>, bare: string): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw bad(kind, String(input), units);
    return Math.floor(input);
  }
  const m = NUMBER_UNIT.exec(input);
  if (!m) throw bad(kind, input, units);
  const unit = m[2] || bare;
  const mul = units[unit];
  if (mul === undefined) throw bad(kind, input, units);
  const v = Math.round(Number(m[1]) * mul);
  if (!Number.isSafeInteger(v)) throw bad(kind, input, units);
  return v;
}

function bad(kind: string, input: string, units: Record<string, number>): AirlockError {
  return new AirlockError(
    POLICY_INVALID,
    `bad ${kind} ${JSON.stringify(input)}`,
    `write a number followed by one of: ${Object.keys(units).join(', ')}`,
  );
}

/** `10MB` = 10,000,000; `512KiB` = 524,288; a bare number is bytes. */
export function parseSize(input: string | number): number {
  return parse('size', input, SIZE_UNITS, 'B');
}

/** `500ms`, `30s`, `5m`, `2h`, `1d`; a bare number is milliseconds. */
export function parseDuration(input: string | number): number {
  return parse('duration', input, TIME_UNITS, 'ms');
}
