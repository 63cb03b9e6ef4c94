import { describe, expect, it } from 'vitest';
import { serverLog } from '../cli/main.js';
import { describeConfig, readConfig } from './config.js';

describe('configuration (issue 18, item 14)', () => {
  it('has defaults, reads every variable, and treats an empty one as unset', () => {
    const c = readConfig({ LODESTONE_TZ: '' });
    expect(c).toMatchObject({ dataDir: './data', tz: 'Asia/Shanghai', publicUrl: null, allowPrivate: false, host: '127.0.0.1', port: 8787, bulkNice: 19, logLevel: 'info' });
    expect(c.llm.model).toBeNull();
    const d = readConfig({
      LODESTONE_TZ: 'UTC',
      LODESTONE_PUBLIC_URL: 'https://desk.example.com/',
      LODESTONE_ALLOWED_HOSTS: 'A.example, b.example',
      LODESTONE_ALLOW_PRIVATE: '1',
      PORT: '9000',
      LODESTONE_WEBHOOK_BACKOFF_MS: '20,20',
      LODESTONE_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      LODESTONE_LLM_MODEL: 'm',
      LODESTONE_LLM_API_KEY: 'sk-secret-value',
    });
    expect(d).toMatchObject({ tz: 'UTC', publicUrl: 'https://desk.example.com', allowedHosts: ['a.example', 'b.example'], allowPrivate: true, port: 9000, webhookBackoffMs: [20, 20] });
    const shown = Object.fromEntries(describeConfig(d));
    expect(shown.LODESTONE_LLM_API_KEY).not.toContain('secret');
    expect(shown.LODESTONE_LLM_API_KEY).toMatch(/^sk-…\(15 characters\)$/);
  });

  it('a bad value is an error that names the variable, not a silent default', () => {
    expect(() => readConfig({ LODESTONE_TZ: 'Mars/Base' })).toThrow(/LODESTONE_TZ must be an IANA time zone/);
    expect(() => readConfig({ PORT: 'eighty' })).toThrow(/PORT must be a port number/);
    expect(() => readConfig({ LODESTONE_ALLOW_PRIVATE: 'sure' })).toThrow(/LODESTONE_ALLOW_PRIVATE must be 1 or 0/);
    expect(() => readConfig({ LODESTONE_PUBLIC_URL: 'desk.example.com' })).toThrow(/LODESTONE_PUBLIC_URL must be an http\(s\) URL/);
    expect(() => readConfig({ LODESTONE_LLM_MODEL: 'm' })).toThrow(/LODESTONE_LLM_MODEL and LODESTONE_LLM_BASE_URL go together/);
    expect(() => readConfig({ LODESTONE_EXTRACT_TIMEOUT_MS: '0', LODESTONE_LOG_LEVEL: 'loud' })).toThrow(/LODESTONE_EXTRACT_TIMEOUT_MS.*; .*LODESTONE_LOG_LEVEL/);
  });

  it('the server log is JSON lines, filtered by level', () => {
    const lines: string[] = [];
    const log = serverLog('warn', (l) => lines.push(l));
    log('GET /api/search?q=x 200 3ms');
    log('feed https://x.example failed: timed out');
    log('error: GET /boom: Error: boom');
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'error', msg: 'error: GET /boom: Error: boom', time: expect.any(String) });
  });
});
