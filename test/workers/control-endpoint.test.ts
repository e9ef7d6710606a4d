// The background server's control endpoint: lines stream back as the handler sends them, and
// a caller without the token, or at another path, is refused.
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ControlEndpoint,
  callControlEndpoint,
  startControlEndpoint,
} from '../../workers/control-endpoint.js';

function post(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('control endpoint', () => {
  const endpoints: ControlEndpoint[] = [];
  afterAll(async () => {
    for (const e of endpoints) await e.close();
  });

  it('streams the handler’s lines, in order, to a caller with the token', async () => {
    const endpoint = await startControlEndpoint(async (body, send) => {
      const { count } = body as { count: number };
      for (let i = 0; i < count; i++) {
        send({ i });
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    endpoints.push(endpoint);
    const lines: unknown[] = [];
    await callControlEndpoint(endpoint, { count: 5 }, (line) => lines.push(line));
    expect(lines).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
  });

  it('refuses a wrong or missing token and any other route', async () => {
    let called = false;
    const endpoint = await startControlEndpoint(async () => {
      called = true;
    });
    endpoints.push(endpoint);
    expect(await post(endpoint.port, '/run', {})).toBe(401);
    expect(await post(endpoint.port, '/run', { authorization: 'Bearer nope' })).toBe(401);
    expect(await post(endpoint.port, '/other', { authorization: `Bearer ${endpoint.token}` })).toBe(
      404,
    );
    await expect(
      callControlEndpoint({ port: endpoint.port, token: 'x'.repeat(48) }, {}, () => {}),
    ).rejects.toThrow(/answered 401/);
    expect(called).toBe(false);
  });
});
