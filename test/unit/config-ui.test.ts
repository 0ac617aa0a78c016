/** The dashboard's settings: --ui, --no-ui and --ui-path, with their env variables and refusals. */
import { describe, expect, it } from 'vitest';
import { resolveMasterConfig } from '../../src/config.js';

const ui = (flags: Parameters<typeof resolveMasterConfig>[0], env: Record<string, string> = {}) => resolveMasterConfig(flags, env).ui;

describe('dashboard settings', () => {
  it('given nothing, then the dashboard is full at the root; env and flags change it, flags first', () => {
    expect(ui({})).toEqual({ mode: 'full', prefix: '' });
    expect(ui({}, { NUCLEUS_UI: 'read-only', NUCLEUS_UI_PATH: '/ops/' })).toEqual({ mode: 'read-only', prefix: '/ops' });
    expect(ui({ ui: 'full', 'ui-path': '/a/b' }, { NUCLEUS_UI: 'read-only' })).toEqual({ mode: 'full', prefix: '/a/b' });
    expect(ui({ 'no-ui': true })).toEqual({ mode: 'off', prefix: '' });
  });

  it('given a bad mode or path, then the error names the flag and what it takes', () => {
    expect(() => ui({ ui: 'on' })).toThrow(/--ui: must be one of full, read-only, off \(got "on"\)/);
    expect(() => ui({ 'ui-path': 'ops' })).toThrow(/--ui-path: must be a URL path/);
    expect(() => ui({ 'ui-path': '/a/../b' })).toThrow(/--ui-path/);
    expect(() => ui({ 'ui-path': '/a b' })).toThrow(/--ui-path/);
    expect(() => ui({ 'ui-path': '/v1/ui' })).toThrow(/--ui-path: \/v1\/ui is under \/v1, which the API uses/);
    expect(() => ui({ 'ui-path': '/metrics' })).toThrow(/under \/metrics/);
  });
});
