// The egress proxy's host and address checks: every spelling of a bypass is refused or judged as the address it is.
import * as assert from 'node:assert/strict';
import { classify, parseAddress, parseIPv4Any, parseIPv6 } from '../../../kernel/src/egress/address';
import { parseAuthority, resource } from '../../../kernel/src/egress/target';

function target(a: string, port?: number) {
  const r = parseAuthority(a, port);
  assert.ok(r.ok, `${a}: ${r.ok ? '' : r.reason}`);
  return r.target;
}
function refused(a: string, pattern: RegExp) {
  const r = parseAuthority(a, 80);
  assert.equal(r.ok, false, `${JSON.stringify(a)} was accepted`);
  if (!r.ok) assert.match(r.reason, pattern, a);
}

describe('egress targets', () => {
  it('accepts plain names, lower-cases them and drops one trailing dot', () => {
    assert.deepEqual(target('Registry.NPMJS.org.:443'), { host: 'registry.npmjs.org', port: 443 });
    assert.equal(resource(target('example.com', 80)), 'example.com:80');
  });

  it('refuses NUL, control characters, whitespace and non-ASCII in the host', () => {
    for (const a of [
      'good.example\0.evil:443',
      'good.example\r\nHost: x:443',
      'a\tb:443',
      'a b:443',
      'good.example\x7f:443',
      'ｅxample.com:443',
      'exämple.com:443',
    ])
      refused(a, /control|whitespace|non-ASCII/);
  });

  it('refuses userinfo, percent escapes, zones and path characters', () => {
    refused('allowed.example@evil.example:443', /user information/);
    refused('user:pw@allowed.example:443', /user information|IPv6/);
    refused('evil%2eexample:443', /%/);
    refused('[fe80::1%25eth0]:443', /%/);
    refused('allowed.example/..:443', /\//);
    refused('allowed.example\\@evil:443', /user information|\\/);
    refused('allowed.example#x:443', /#/);
  });

  it('refuses bad ports, empty labels and malformed names', () => {
    for (const a of ['example.com:0', 'example.com:65536', 'example.com:+443', 'example.com:0x1bb']) refused(a, /port/);
    assert.equal(parseAuthority('example.com').ok, false, 'CONNECT needs a port');
    for (const a of ['a..b:443', '-a.example:443', 'a_b.example:443', '.:443', ':443']) refused(a, /valid host name|empty/);
    refused('1::1:443', /brackets/);
  });

  it('reads every IPv4 spelling as the address a resolver would (decimal, octal, hex, short forms)', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', '127.0.0.1'],
      ['2130706433', '127.0.0.1'],
      ['017700000001', '127.0.0.1'],
      ['0x7f000001', '127.0.0.1'],
      ['0x7f.1', '127.0.0.1'],
      ['127.1', '127.0.0.1'],
      ['0177.0.0.01', '127.0.0.1'],
      ['0x7F.0x0.0x0.0x1', '127.0.0.1'],
      ['169.254.43518', '169.254.169.254'],
      ['0xa9fea9fe', '169.254.169.254'],
      ['10.1', '10.0.0.1'],
      ['0', '0.0.0.0'],
      ['127.0.0.1.', '127.0.0.1'],
    ];
    for (const [text, addr] of cases) {
      const t = target(`${text}:80`);
      assert.equal(t.host, addr, text);
      assert.equal(t.literal?.family, 4, text);
    }
  });

  it('refuses names that end in a number but are no valid address (a parser elsewhere could read them otherwise)', () => {
    for (const a of ['256.0.0.1:80', '1.2.3.4.5:80', '08.0.0.1:80', 'example.123:80', '0x100000000:80', '4294967296:80']) {
      refused(a, /not a valid IPv4/);
    }
  });

  it('reads bracketed IPv6 literals, v4-mapped and compressed forms included', () => {
    assert.equal(target('[::1]:443').host, '::1');
    assert.equal(target('[0:0:0:0:0:0:0:1]:443').host, '::1');
    assert.equal(target('[::ffff:127.0.0.1]:443').host, '::ffff:7f00:1');
    assert.equal(target('[::FFFF:7F00:1]:443').literal?.family, 6);
    assert.equal(resource(target('[2001:DB8::1]:8443')), '[2001:db8::1]:8443');
    for (const a of ['[::1:443', '[not:an:address]:443', '[::1]x:443']) refused(a, /IPv6|\]/);
  });
});

describe('egress address classes', () => {
  const cls = (text: string) => classify(parseAddress(text) ?? parseIPv4Any(text)!);
  it('names loopback, private, link-local, CGNAT, metadata and other special ranges', () => {
    const table: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.2.3.4', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'cgnat'],
      ['100.127.255.255', 'cgnat'],
      ['169.254.1.1', 'link-local'],
      ['169.254.169.254', 'metadata'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['192.0.2.5', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fd00:ec2::254', 'metadata'],
      ['fd12::1', 'private'],
      ['fe80::1', 'link-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:a9fe:a9fe', 'metadata'],
      ['::ffff:10.0.0.1', 'private'],
      ['64:ff9b::7f00:1', 'loopback'],
      ['2002:a9fe:a9fe::', 'metadata'],
      ['::127.0.0.1', 'reserved'],
      ['8.8.8.8', 'public'],
      ['172.32.0.1', 'public'],
      ['100.128.0.1', 'public'],
      ['2606:4700::1111', 'public'],
    ];
    for (const [text, want] of table) assert.equal(cls(text), want, text);
  });

  it('parses IPv6 exactly (RFC 5952 text) and refuses zones', () => {
    assert.equal(parseIPv6('2001:db8:0:0:1:0:0:1')!.text, '2001:db8::1:0:0:1');
    assert.equal(parseIPv6('1:0:0:2:0:0:0:3')!.text, '1:0:0:2::3');
    assert.equal(parseIPv6('fe80::1%eth0'), undefined);
  });
});
