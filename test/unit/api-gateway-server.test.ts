/**
 * The local HTTP API (devenv/api-gateway-server.ts) builds the payload 2.0 events API Gateway builds:
 * routes by method and path (greedy `{proxy+}`, a trailing slash tolerated), cookies apart, header
 * names lower-cased, the query string raw and parsed, bodies that are not text in base64; and it
 * answers a result's `cookies` as separate Set-Cookie headers and decodes a base64 body.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalHttpApi } from '../../devenv/api-gateway-server.js';
import type { LocalHttpApi } from '../../devenv/api-gateway-server.js';

let api: LocalHttpApi;
const seen: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  api = await startLocalHttpApi([
    {
      method: 'ANY',
      path: '/ui/{proxy+}',
      handler: (e) => {
        seen.push(e);
        return Promise.resolve({
          statusCode: 201,
          headers: { 'content-type': 'text/plain' },
          cookies: ['a=1; Path=/', 'b=2; Path=/; HttpOnly'],
          body: Buffer.from('hello').toString('base64'),
          isBase64Encoded: true,
        });
      },
    },
    { method: 'ANY', path: '/ui', handler: (e) => (seen.push(e), Promise.resolve({ statusCode: 204 })) },
    { path: '/ingest', handler: (e) => (seen.push(e), Promise.resolve({ statusCode: 200, body: 'ok' })) },
  ]);
});

afterAll(() => api.close());

const last = () => seen[seen.length - 1]!;

describe('local HTTP API', () => {
  it('passes cookies, headers and the query as payload 2.0 does, and answers each cookie apart', async () => {
    const res = await fetch(`${api.url}/ui/api/deployments/c%2F1/x?q=1&q=2&r=`, {
      headers: { Cookie: 'ks_session=abc; other=1', 'X-Csrf-Token': 't' },
    });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('hello');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    const e = last();
    expect(e.routeKey).toBe('ANY /ui/{proxy+}');
    expect(e.rawPath).toBe('/ui/api/deployments/c%2F1/x');
    expect(e.pathParameters).toEqual({ proxy: 'api/deployments/c/1/x' });
    expect(e.rawQueryString).toBe('q=1&q=2&r=');
    expect(e.queryStringParameters).toEqual({ q: '1,2', r: '' });
    expect(e.cookies).toEqual(['ks_session=abc', 'other=1']);
    expect(e.headers['x-csrf-token']).toBe('t');
    expect(e.headers.cookie).toBeUndefined();
    expect(e.requestContext.http.method).toBe('GET');
    expect(e.body).toBeUndefined();
  });

  it('sends text bodies as text and other bodies in base64', async () => {
    await fetch(`${api.url}/ui/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"a"}',
    });
    expect(last()).toMatchObject({ body: '{"name":"a"}', isBase64Encoded: false });
    const bytes = Buffer.from([0, 255, 1, 2]);
    await fetch(`${api.url}/ui/upload`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(last()).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
    expect(last().requestContext.http.method).toBe('PUT');
  });

  it('routes /ui/ to the /ui route with the slash kept in rawPath, and refuses unrouted methods', async () => {
    expect((await fetch(`${api.url}/ui/`)).status).toBe(204);
    expect(last()).toMatchObject({ routeKey: 'ANY /ui', rawPath: '/ui/' });
    expect((await fetch(`${api.url}/ingest`)).status).toBe(404);
    expect((await fetch(`${api.url}/ingest`, { method: 'POST', body: 'x' })).status).toBe(200);
    expect(last().routeKey).toBe('POST /ingest');
    expect((await fetch(`${api.url}/nothing`)).status).toBe(404);
  });
});
