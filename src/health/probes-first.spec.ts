import { createServer, RequestListener } from 'node:http';
import request from 'supertest';
import { ReadinessAnswer } from './health-probes';
import { answerProbesFirst, HeaderStep, probesFirst, ProbesFirstOptions } from './probes-first';

describe('probesFirst', () => {
  const framework: RequestListener = (_request, response) => {
    response.setHeader('X-Answered-By', 'framework');
    response.end('framework');
  };
  const up: ReadinessAnswer = {
    status: 200,
    body: { status: 'ok', info: {}, error: {}, details: {} },
  };
  const tagged: HeaderStep = (_request, response, next) => {
    response.setHeader('X-Tagged', 'yes');
    next();
  };

  function serve(overrides: Partial<ProbesFirstOptions> = {}) {
    const options: ProbesFirstOptions = {
      probes: { readiness: jest.fn(async () => up) },
      headers: [tagged],
      observe: jest.fn(),
      ...overrides,
    };
    return { options, server: createServer(probesFirst(framework, options)) };
  }

  it('answers GET /health with the readiness answer, its headers set and the request observed', async () => {
    const down: ReadinessAnswer = {
      status: 503,
      body: { status: 'error', info: {}, error: { redis: { status: 'down' } }, details: {} },
    };
    const { options, server } = serve({ probes: { readiness: async () => down } });
    const response = await request(server).get('/health').expect(503);
    expect(response.body).toEqual(down.body);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['x-tagged']).toBe('yes');
    expect(response.headers['x-answered-by']).toBeUndefined();
    expect(options.observe).toHaveBeenCalledWith('GET', '/health', 503, expect.any(Number));
  });

  it('answers GET /health/live without checking readiness', async () => {
    const { options, server } = serve();
    await request(server).get('/health/live').expect(200, { status: 'ok' });
    expect(options.probes.readiness).not.toHaveBeenCalled();
    expect(options.observe).toHaveBeenCalledWith('GET', '/health/live', 200, expect.any(Number));
  });

  it.each([
    ['HEAD /health', (r: request.Agent) => r.head('/health')],
    ['POST /health', (r: request.Agent) => r.post('/health')],
    ['a query string', (r: request.Agent) => r.get('/health?verbose=1')],
    ['a trailing slash', (r: request.Agent) => r.get('/health/live/')],
    ['an Origin header', (r: request.Agent) => r.get('/health').set('Origin', 'https://a.example')],
    ['another path', (r: request.Agent) => r.get('/api/v1/tasks')],
  ])('hands %s to the framework', async (_case, send) => {
    const { options, server } = serve();
    const response = await send(request.agent(server)).expect(200);
    expect(response.headers['x-answered-by']).toBe('framework');
    expect(options.probes.readiness).not.toHaveBeenCalled();
    expect(options.observe).not.toHaveBeenCalled();
  });

  it('hands the probe to the framework when the readiness check itself failed', async () => {
    const { options, server } = serve({
      probes: { readiness: () => Promise.reject(new Error('unexpected')) },
    });
    const response = await request(server).get('/health').expect(200);
    expect(response.text).toBe('framework');
    expect(options.observe).not.toHaveBeenCalled();
  });

  it('hands the probe to the framework when a header step does not finish at once', async () => {
    const later: HeaderStep = (_request, _response, next) => setImmediate(next);
    const failing: HeaderStep = (_request, _response, next) => next(new Error('no'));
    for (const step of [later, failing]) {
      const { server } = serve({ headers: [tagged, step] });
      const response = await request(server).get('/health/live').expect(200);
      expect(response.text).toBe('framework');
    }
  });
});

describe('answerProbesFirst', () => {
  const options: ProbesFirstOptions = {
    probes: { readiness: async () => ({ status: 200, body: { status: 'ok', details: {} } }) },
    headers: [],
    observe: () => undefined,
  };

  it("puts the probes in front of the server's request listener", async () => {
    const server = createServer((_request, response) => response.end('framework'));
    answerProbesFirst(server, options);
    expect(server.listenerCount('request')).toBe(1);
    await request(server).get('/health/live').expect(200, { status: 'ok' });
    await request(server).get('/elsewhere').expect(200, 'framework');
  });

  it('refuses a server whose request listeners it cannot tell apart', () => {
    const server = createServer();
    expect(() => answerProbesFirst(server, options)).toThrow('found 0');
    server.on('request', () => undefined).on('request', () => undefined);
    expect(() => answerProbesFirst(server, options)).toThrow('found 2');
  });
});
