import { describe, expect, it } from 'vitest';
import { browserUrl } from '../../src/entrypoints/browser-url.js';

describe('the address the server prints for a browser', () => {
  it('is localhost for loopback and wildcard listen addresses', () => {
    for (const host of ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost']) expect(browserUrl({ host, port: 3000 })).toBe('http://localhost:3000');
  });
  it('is PUBLIC_URL when set, else the host it listens on', () => {
    expect(browserUrl({ host: '127.0.0.1', port: 3000, publicUrl: 'https://api.example.com/' })).toBe('https://api.example.com');
    expect(browserUrl({ host: '192.168.1.20', port: 8080 })).toBe('http://192.168.1.20:8080');
    expect(browserUrl({ host: 'fd00::2', port: 8080 })).toBe('http://[fd00::2]:8080');
  });
});
