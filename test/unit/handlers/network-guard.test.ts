/**
 * The address classes http_request refuses unless allowed, and the allow-list's forms.
 */
import { describe, expect, it } from 'vitest';
import { networkPolicy, nonPublicKind, parseAllowList } from '../../../src/handlers/network-guard.js';

describe('network guard', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['fe80::1', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private (carrier-grade NAT)'],
    ['100.100.100.200', 'private (carrier-grade NAT)'],
    ['fc00::1', 'private (unique local)'],
    ['fd00:ec2::254', 'private (unique local)'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local (cloud metadata)'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
  ])('given %s, then it is not public (%s)', (address, kind) => {
    expect(nonPublicKind(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('given %s, then it is public', (address) => {
    expect(nonPublicKind(address)).toBeNull();
  });

  it('given an allow-list of a name, an address and a range, then exactly those are let through', () => {
    const policy = networkPolicy(parseAllowList('Internal.example, 10.0.0.5, 192.168.0.0/16', '--allow-http-hosts'));
    expect(policy.refusal('internal.example', '10.9.9.9')).toBeNull();
    expect(policy.refusal('other', '10.0.0.5')).toBeNull();
    expect(policy.refusal('other', '192.168.7.7')).toBeNull();
    expect(policy.refusal('other', '10.0.0.6')).toBe('refused to connect to 10.0.0.6 (other), not a public address (private); start the worker with --allow-http-hosts other to allow it');
    expect(policy.refusal('other', '8.8.8.8')).toBeNull();
    expect(networkPolicy(['*']).refusal('x', '127.0.0.1')).toBeNull();
  });

  it('given a malformed entry, then the flag is refused naming it', () => {
    expect(() => parseAllowList('10.0.0.0/33', '--allow-http-hosts')).toThrow('--allow-http-hosts: "10.0.0.0/33" is not a CIDR range');
    expect(() => parseAllowList('a b', '--allow-http-hosts')).toThrow('--allow-http-hosts: "a b" is not a host name, an IP address, a CIDR range or *');
  });
});
