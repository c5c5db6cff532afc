import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { sendProblem, toProblem } from '../http/problem';

/** Every error leaves as RFC 9457 problem details; unexpected ones are logged with the request id. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = toProblem(exception, request);
    if (problem.status >= 500) {
      this.logger.error(
        { err: exception, requestId: request.id, path: problem.instance },
        'Request failed',
      );
    }
    if (response.headersSent) return;
    sendProblem(response, problem);
  }
}
