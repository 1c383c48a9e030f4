import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { pilotAgentCommand } from '../../src/kube-agent/pilot-agent-command.js';

/**
 * `pilot-agent request|wait` as the injected container's lifecycle hooks run them, against a real HTTP
 * server standing in for the status port: what was asked, what is printed, the exit code.
 */
describe('mesh-proxy pilot-agent', () => {
  const seen: string[] = [];
  let readyAfter = 2;
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/drain') res.end('OK\n');
    else if (req.url === '/healthz/ready') res.writeHead(--readyAfter < 0 ? 200 : 503).end();
    else res.writeHead(404).end('no such path\n');
  });
  let port = 0;
  const out: string[] = [];
  const err: string[] = [];

  beforeAll(async () => {
    port = await new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  });
  afterAll(() => server.close());
  afterEach(() => {
    vi.restoreAllMocks();
    seen.length = out.length = err.length = 0;
  });
  const capture = () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  };

  it("sends the preStop's POST drain to the debug port and prints the answer", async () => {
    capture();
    expect(await pilotAgentCommand(['request', `--debug-port=${port}`, 'POST', 'drain'])).toBe(0);
    expect(seen).toEqual(['POST /drain']);
    expect(out.join('')).toBe('OK\n');
    expect(await pilotAgentCommand(['request', '--debug-port', String(port), 'GET', '/drain'])).toBe(0);
    expect(seen).toEqual(['POST /drain', 'GET /drain']);
  });

  it('exits non-zero when the answer is not 2xx, nobody listens, or the command line is wrong', async () => {
    capture();
    expect(await pilotAgentCommand(['request', `--debug-port=${port}`, 'GET', 'missing'])).toBe(1);
    expect(err.join('')).toContain('answered 404: no such path');
    const closed = createServer();
    const free = await new Promise<number>((resolve) =>
      closed.listen(0, '127.0.0.1', () => resolve((closed.address() as AddressInfo).port)),
    );
    closed.close();
    expect(await pilotAgentCommand(['request', `--debug-port=${free}`, 'POST', 'drain'])).toBe(1);
    expect(err.join('')).toContain('ECONNREFUSED');
    expect(await pilotAgentCommand(['request', 'POST'])).toBe(2);
    expect(await pilotAgentCommand(['request', '--debug-port=x', 'POST', 'drain'])).toBe(2);
    expect(await pilotAgentCommand(['version'])).toBe(2);
    expect(err.join('')).toContain('usage: pilot-agent request');
  });

  it('wait polls the readiness URL until it answers 200', async () => {
    capture();
    readyAfter = 2;
    const url = `http://127.0.0.1:${port}/healthz/ready`;
    expect(await pilotAgentCommand(['wait', '--url', url, '--periodMillis', '20'])).toBe(0);
    expect(seen).toEqual(Array(3).fill('GET /healthz/ready'));
    expect(out.join('')).toContain('Envoy is ready!');
  });

  it('wait exits 1 when the proxy is not ready within timeoutSeconds', async () => {
    capture();
    readyAfter = Infinity;
    const url = `http://127.0.0.1:${port}/healthz/ready`;
    expect(
      await pilotAgentCommand(['wait', `--url=${url}`, '--timeoutSeconds=1', '--periodMillis=100']),
    ).toBe(1);
    expect(seen.length).toBeGreaterThan(1);
    expect(err.join('')).toContain('not ready after 1s (last: answered 503)');
  });
});
