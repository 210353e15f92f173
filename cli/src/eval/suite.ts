// Loads an eval suite: a folder of task folders, each with task.yaml (validated), task.md (the prompt) and repo/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { EvalTask } from '../../../protocol/src/eval';
import { AirlockError } from '../../../protocol/src/errors';

/** The prompt is sent to the model as the task text: capped like any other input from a file. */
const MAX_PROMPT_BYTES = 64 * 1024;
const MAX_YAML_BYTES = 64 * 1024;

export interface LoadedTask {
  task: EvalTask;
  dir: string;
  prompt: string;
  /** The starting files, copied into each run's fresh workspace. */
  repo: string;
  /** The task's recorded model session (`--provider replay`), when it has one. */
  replay?: string;
}

function readCapped(file: string, max: number, what: string): string {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) {
    throw new AirlockError(
      'EVAL_BAD_TASK',
      `${file}: ${what} is missing`,
      'a task folder holds task.yaml, task.md and repo/ (docs/eval.md)',
    );
  }
  if (st.size > max) {
    throw new AirlockError(
      'EVAL_BAD_TASK',
      `${file}: ${what} is ${st.size} bytes, over the ${max}-byte limit`,
      'shorten it (docs/eval.md)',
    );
  }
  return fs.readFileSync(file, 'utf8');
}

/** Parses and validates one task.yaml's text; the folder name must match the id so results cannot be misattributed. */
export function parseTaskYaml(text: string, where: string, folderName?: string): EvalTask {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new AirlockError(
      'EVAL_BAD_TASK',
      `${where}: not YAML: ${(err as Error).message.split('\n')[0]}`,
      'fix the file (docs/eval.md, "Writing a task")',
    );
  }
  const r = EvalTask.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new AirlockError(
      'EVAL_BAD_TASK',
      `${where}: ${i.path.join('.') || '(top)'}: ${i.message}`,
      'fix the file (docs/eval.md, "Writing a task")',
    );
  }
  if (folderName !== undefined && r.data.id !== folderName) {
    throw new AirlockError(
      'EVAL_BAD_TASK',
      `${where}: id ${r.data.id} differs from its folder name ${folderName}`,
      'name the folder after the id',
    );
  }
  return r.data;
}

export function loadTask(dir: string): LoadedTask {
  const yamlFile = path.join(dir, 'task.yaml');
  const task = parseTaskYaml(readCapped(yamlFile, MAX_YAML_BYTES, 'task.yaml'), yamlFile, path.basename(dir));
  const prompt = readCapped(path.join(dir, 'task.md'), MAX_PROMPT_BYTES, 'task.md').trim();
  if (!prompt) throw new AirlockError('EVAL_BAD_TASK', `${dir}/task.md is empty`, 'write the task text the agent is given');
  const repo = path.join(dir, 'repo');
  if (!fs.statSync(repo, { throwIfNoEntry: false })?.isDirectory()) {
    throw new AirlockError('EVAL_BAD_TASK', `${dir}: repo/ is missing`, 'put the starting files in repo/');
  }
  const replay = path.join(dir, 'replay.jsonl');
  return { task, dir, prompt, repo, ...(fs.existsSync(replay) ? { replay } : {}) };
}

/** Every task folder of a suite (folders holding task.yaml), sorted by name; `only` picks some by id. */
export function loadSuite(suiteDir: string, only: string[] = []): LoadedTask[] {
  if (!fs.statSync(suiteDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new AirlockError(
      'EVAL_NO_SUITE',
      `${suiteDir} is not a folder`,
      'pass a suite folder, e.g. `airlock eval examples/eval/starter`',
    );
  }
  const dirs = fs
    .readdirSync(suiteDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(suiteDir, e.name, 'task.yaml')))
    .map((e) => e.name)
    .sort();
  const tasks = dirs.filter((d) => !only.length || only.includes(d)).map((d) => loadTask(path.join(suiteDir, d)));
  for (const id of only) {
    if (!dirs.includes(id)) throw new AirlockError('EVAL_NO_SUITE', `no task ${id} in ${suiteDir}`, `tasks: ${dirs.join(', ')}`);
  }
  if (!tasks.length) {
    throw new AirlockError('EVAL_NO_SUITE', `${suiteDir} holds no task (no subfolder with task.yaml)`, 'docs/eval.md, "Writing a task"');
  }
  return tasks;
}
