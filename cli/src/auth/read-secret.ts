// Reads a secret for `airlock auth set`: a hidden prompt on a terminal, else the whole of stdin (never argv).
import { AirlockError } from '../../../protocol/src/errors';
import type { CliIO } from '../command';

/** A key longer than this is not an API key (and would not fit some keychains). */
export const MAX_SECRET_CHARS = 8192;

/** Trims the surrounding whitespace (the newline of `echo`) and refuses what cannot be an API key. */
export function checkSecret(raw: string, usage: string): string {
  const s = raw.trim();
  if (!s) throw new AirlockError('CLI_USAGE', 'no key given: stdin was empty', usage);
  if (s.length > MAX_SECRET_CHARS)
    throw new AirlockError('AUTH_BAD_KEY', `the key is ${s.length} characters; at most ${MAX_SECRET_CHARS}`, 'pipe only the key itself');
  // A key with a newline or a control character inside is two things pasted together, or a terminal escape.
  if (/[\u0000-\u001f\u007f]/.test(s))
    throw new AirlockError(
      'AUTH_BAD_KEY',
      'the key contains control characters or more than one line',
      'pipe only the key itself, on one line',
    );
  return s;
}

/** Prompts on stderr and reads one line from a TTY without echoing it; Ctrl-C and Ctrl-D abort. */
export function hiddenPrompt(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    let value = '';
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (err?: AirlockError) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004')
          return done(new AirlockError('AUTH_CANCELLED', 'no key stored: the prompt was cancelled', 'run the command again'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The key from a hidden prompt when stdin is a terminal, else from stdin (`printf %s "$KEY" | airlock auth set …`). */
export async function readSecret(io: CliIO, question: string, usage: string, tty = !!process.stdin.isTTY): Promise<string> {
  return checkSecret(tty ? await hiddenPrompt(question) : await io.readStdin(), usage);
}
