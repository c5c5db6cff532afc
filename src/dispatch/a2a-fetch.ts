import { AgentReply } from './classify';
import { EndpointPolicy, pinnedLookup } from './endpoint-policy';
import { HttpTransport } from './http-transport';

export const USER_AGENT = 'Ymera-Dispatcher/1';

/** A request of the A2A client that got no usable HTTP answer: what happened instead. */
export class A2aFetchError extends Error {
  constructor(readonly reply: Exclude<AgentReply, { kind: 'response'; oversized: false }>) {
    super(`A2A request failed: ${reply.kind}`);
    this.name = 'A2aFetchError';
  }
}

/** An answer that is not 2xx: the SDK would only see a status, so it is thrown with it instead. */
export class A2aStatusError extends Error {
  constructor(readonly status: number) {
    super(`the agent answered HTTP ${status}`);
    this.name = 'A2aStatusError';
  }
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
  return headers;
}

function urlOf(input: string | URL | Request): string {
  if (typeof input === 'string') return input;
  return input instanceof URL ? input.href : input.url;
}

/**
 * The `fetch` the SDK's A2A client is given: every request it makes (card, JSON-RPC) first passes
 * the endpoint policy and then goes, through the http transport, to exactly the address checked
 * (no redirects, at most MAX_REPLY_BYTES, at most `timeoutMs()` ms). A refused URL rejects with
 * the policy's EndpointRefusedError, a request without an answer with an A2aFetchError, a non-2xx
 * answer with an A2aStatusError.
 */
export function policyFetch(
  endpoints: EndpointPolicy,
  http: HttpTransport,
  timeoutMs: () => number,
): typeof fetch {
  return async (input, init) => {
    const endpoint = await endpoints.assertAllowed(urlOf(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const reply = await http.send({
      url: endpoint.url,
      lookup: pinnedLookup(endpoint),
      method: method === 'POST' ? 'POST' : 'GET',
      headers: { ...headersOf(init), 'user-agent': USER_AGENT },
      // The SDK's JSON-RPC transport sends its request as JSON text.
      ...(method === 'POST' ? { body: typeof init?.body === 'string' ? init.body : '' } : {}),
      timeoutMs: timeoutMs(),
      signal: init?.signal ?? undefined,
    });
    if (reply.kind !== 'response' || reply.oversized) throw new A2aFetchError(reply);
    if (reply.status < 200 || reply.status >= 300) throw new A2aStatusError(reply.status);
    return new Response(new Uint8Array(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json' },
    });
  };
}
