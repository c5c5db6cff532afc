import { Logger } from '@nestjs/common';
import express, { Request, Response } from 'express';
import { EventEmitter } from 'node:events';
import { HttpMetricsMiddleware, routeTemplate, UNMATCHED_ROUTE } from './http-metrics.middleware';
import { MetricsService } from './metrics.service';

/** An Express app with the routes Nest would register, and a request not routed yet. */
function unroutedRequest(method: string, originalUrl: string): Request {
  const app = express();
  app.get('/api/v1/agents/:id', () => undefined);
  app.get('/api/v1/tasks/:id/attempts', () => undefined);
  return { app, method, originalUrl } as unknown as Request;
}

describe('routeTemplate', () => {
  it.each([
    ['/api/v1/agents/%zz', '/api/v1/agents/:id'],
    ['/api/v1/tasks/%E0%A4%A/attempts', '/api/v1/tasks/:id/attempts'],
    ['/api/v1/agents/%zz?x=%zz', '/api/v1/agents/:id'],
  ])('labels %s, a parameter that is not valid percent-encoding, by its route', (url, route) => {
    expect(routeTemplate(unroutedRequest('GET', url))).toBe(route);
  });

  it('labels an unknown path with bad percent-encoding "unmatched"', () => {
    expect(routeTemplate(unroutedRequest('GET', '/api/v1/%zz/nowhere'))).toBe(UNMATCHED_ROUTE);
  });
});

describe('HttpMetricsMiddleware', () => {
  it('never throws from its finish listener: a failure to record is logged', () => {
    const failing = {
      httpObserved: () => {
        throw new Error('label cardinality exceeded');
      },
    } as unknown as MetricsService;
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const response = Object.assign(new EventEmitter(), { statusCode: 400 });
    const request = unroutedRequest('GET', '/api/v1/agents/%zz');
    new HttpMetricsMiddleware(failing).handle(request, response as unknown as Response, () => {});
    expect(() => response.emit('finish')).not.toThrow();
    expect(logged).toHaveBeenCalledWith(
      expect.objectContaining({ err: expect.any(Error) }),
      'HTTP metrics not recorded',
    );
    logged.mockRestore();
  });
});
