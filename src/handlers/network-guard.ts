/**
 * Which addresses the `http_request` job type may connect to. A submitter names the URL, so
 * without a guard any submitter could make a worker fetch its own loopback services, the cloud
 * metadata endpoint (169.254.169.254) or anything on the worker's private network.
 *
 * Guarantees:
 * - Refused unless allowed: loopback, unspecified, link-local, private (RFC 1918, unique local
 *   fc00::/7, carrier-grade NAT 100.64/10), multicast, reserved and documentation ranges, and
 *   IPv4 inside IPv6 (mapped, NAT64, 6to4) when the inner address is one of those.
 * - The check is made on the address a connection is about to use (the DNS answer at connect
 *   time, or the literal in the URL), so a name that resolves to a public address for a check and
 *   to a private one for the connection (DNS rebinding) is still refused.
 * - An allow-list entry is a host name (matched exactly, case-insensitively, against the URL's
 *   host), an IP address, a CIDR range, or `*` (any address).
 */
import { BlockList, isIP } from 'node:net';
import { invalidArgument } from '../errors.js';

const RANGES: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'private (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.88.99.0', 24, 'ipv4', 'reserved'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved (benchmarking)'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['100::', 64, 'ipv6', 'reserved (discard)'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['fc00::', 7, 'ipv6', 'private (unique local)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'reserved (site-local)'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const KINDS = RANGES.map(([network, prefix, family, kind]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, kind };
});

/** The IPv4 address carried inside an IPv6 one (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const words = expandIpv6(lower);
  if (!words) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return v4(words[6], words[7]);
  if (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0)) return v4(words[6], words[7]);
  if (words[0] === 0x2002) return v4(words[1], words[2]);
  return null;
}

function expandIpv6(address: string): number[] | null {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = part(head);
  const t = part(tail);
  if (tail === undefined) return h.length === 8 ? h : null;
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** Why `address` (an IP literal) is not a public address, or null when it is. */
export function nonPublicKind(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { list, family: f, kind } of KINDS) if (f === type && list.check(address, type)) return kind;
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner) return nonPublicKind(inner);
  }
  return null;
}

/** Checks an allow-list as given on the command line; returns its entries. */
export function parseAllowList(text: string, flag: string): string[] {
  const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    if (entry === '*') continue;
    const [address, prefix, extra] = entry.split('/');
    if (prefix !== undefined) {
      const family = isIP(address);
      const max = family === 4 ? 32 : 128;
      if (family === 0 || extra !== undefined || !/^\d+$/.test(prefix) || Number(prefix) > max) {
        throw invalidArgument(flag, `"${entry}" is not a CIDR range (e.g. 10.0.0.0/8, fd00::/8)`);
      }
    } else if (isIP(entry) === 0 && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(entry)) {
      throw invalidArgument(flag, `"${entry}" is not a host name, an IP address, a CIDR range or *`);
    }
  }
  return entries;
}

/** What a connection may reach, made from an allow-list. */
export interface NetworkPolicy {
  /**
   * Null when `address`, which `host` (the URL's host) resolved to, may be connected to; else a
   * sentence saying why not and which flag allows it.
   */
  refusal(host: string, address: string): string | null;
}

export function networkPolicy(allow: string[], flag = '--allow-http-hosts'): NetworkPolicy {
  const any = allow.includes('*');
  const names = new Set(allow.filter((e) => isIP(e.split('/')[0]) === 0).map((e) => e.toLowerCase()));
  const allowed = new BlockList();
  for (const entry of allow) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) allowed.addAddress(address, type);
    else allowed.addSubnet(address, Number(prefix), type);
  }
  return {
    refusal(host, address) {
      if (any) return null;
      const kind = nonPublicKind(address);
      if (kind === null) return null;
      const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
      if (names.has(bare)) return null;
      if (allowed.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6')) return null;
      const via = bare === address.toLowerCase() ? '' : ` (${bare})`;
      return `refused to connect to ${address}${via}, not a public address (${kind}); start the worker with ${flag} ${bare} to allow it`;
    },
  };
}
