// Replay files for the shipped-product tests: a recorded "model" that runs sandboxed commands one turn each, then stops.
const usage = { type: 'usage', usage: { inputTokens: 10, outputTokens: 5 } };

export function execReplay(commands: string[][], finalText = 'Done.'): string {
  const turns = commands.map((argv, i) => {
    const id = `c${i + 1}`;
    const args = JSON.stringify({ argv });
    return {
      turn: i + 1,
      events: [
        { type: 'tool-call-start', index: 0, id, name: 'exec' },
        { type: 'tool-call-delta', index: 0, id, argumentsDelta: args },
        { type: 'tool-call-end', index: 0, id, name: 'exec', arguments: args },
        usage,
        { type: 'finish', reason: 'tool-calls' },
      ],
    };
  });
  turns.push({
    turn: commands.length + 1,
    events: [{ type: 'text-delta', text: finalText }, usage, { type: 'finish', reason: 'stop' }],
  } as never);
  return turns.map((t) => JSON.stringify(t)).join('\n') + '\n';
}
