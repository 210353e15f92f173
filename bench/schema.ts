// The results file every benchmark writes (bench/results/NAME.json) and the docs are generated from: one zod schema.
import { z } from 'zod';

/** Where the measured work ran: in this Node process (or a worker/engine it drives over a socket), a spawned CLI, or
 * another spawned process (`spawned`). */
export const ProcessModel = z.enum(['in-process', 'spawned-cli', 'spawned']);
export type ProcessModel = z.infer<typeof ProcessModel>;

/** One measured figure with how it was sampled: ratios are only allowed between figures sampled the same way. */
export const Measured = z
  .object({
    value: z.number().finite().nonnegative(),
    unit: z.string().min(1),
    /** What `value` is over the samples: p50, p95, p99, median, best, mean, rate (work / total time), total. */
    stat: z.enum(['p50', 'p95', 'p99', 'median', 'best', 'mean', 'rate', 'total']),
    /** Timed samples (runs, or entries/decisions for a rate). */
    n: z.number().int().positive(),
    /** Untimed runs before the first timed sample. */
    warmup: z.number().int().nonnegative(),
    model: ProcessModel,
    /** The exact work, in one line (what a reader needs to judge the comparison). */
    work: z.string().min(1),
    goal: z.string().optional(),
  })
  .strict();
export type Measured = z.infer<typeof Measured>;

export const Ratio = z
  .object({
    label: z.string().min(1),
    num: z.string().min(1),
    den: z.string().min(1),
    value: z.number().finite(),
  })
  .strict();
export type Ratio = z.infer<typeof Ratio>;

export const BenchResult = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    /** ISO date of the run. */
    date: z.string().min(1),
    commit: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/), dirty: z.boolean() }).strict(),
    machine: z
      .object({
        cores: z.number().int().positive(),
        cpu: z.string(),
        memoryBytes: z.number().int().positive(),
        os: z.string(),
        /** 1-minute load average when the bench started and when it wrote its results. */
        loadStart: z.number().nonnegative(),
        loadEnd: z.number().nonnegative(),
        /** True when either load average reached half the cores: other work shared the machine. */
        underLoad: z.boolean(),
      })
      .strict(),
    /** The container engine the bench drove, or null when it drove none. */
    engine: z.object({ name: z.string(), version: z.string() }).strict().nullable(),
    node: z.string(),
    /** Our figures: the keys the issue and the docs name. */
    metrics: z.record(z.string(), Measured),
    /** Each baseline's own values, measured in the same run. */
    baselines: z.record(z.string(), Measured),
    /** Figures printed for orientation only (e.g. `docker run` through the CLI): never part of a ratio. */
    reference: z.record(z.string(), Measured),
    /** Every ratio the bench printed, with its value. */
    ratios: z.array(Ratio),
    notes: z.array(z.string()),
  })
  .strict();
export type BenchResult = z.infer<typeof BenchResult>;
