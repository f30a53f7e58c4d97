import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/observability/redact.js';

describe('redactUrl', () => {
  it.each([
    ['postgres://bridge:s3cret@db:5432/gitpod', 'postgres://bridge:***@db:5432/gitpod'],
    ['redis://:s3cret@redis:6379', 'redis://:***@redis:6379'],
    ['http://127.0.0.1:18082', 'http://127.0.0.1:18082'],
    ['postgres://bridge@db/gitpod', 'postgres://bridge@db/gitpod'],
    ['dns:///ws-manager:8080', 'dns:///ws-manager:8080'],
    ['127.0.0.1:8080', '127.0.0.1:8080'],
    ['not a url //user:s3cret@host', 'not a url //user:***@host'],
  ])('%s -> %s', (raw, shown) => {
    expect(redactUrl(raw)).toBe(shown);
    expect(redactUrl(raw)).not.toContain('s3cret');
  });
});
