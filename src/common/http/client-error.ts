import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { COMMON_PROBLEM_TYPES, CommonError, CommonErrorCode } from '../errors/common.errors';
import { problemTypeUri } from '../errors/domain-error';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, sendProblem, toProblem } from './problem';

/** What node:http's parser attaches to the errors it raises (`rawPacket`: the chunk it was reading). */
interface ParserError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

/** The problem a status node:http's parser decided is answered with, and its detail. */
const PROBLEMS: Record<number, { code: CommonErrorCode; detail: string }> = {
  400: { code: CommonErrorCode.MalformedRequest, detail: 'The request is not valid HTTP.' },
  408: { code: CommonErrorCode.RequestTimeout, detail: 'The request was not received in time.' },
  413: {
    code: CommonErrorCode.PayloadTooLarge,
    detail: 'The request has chunk extensions larger than the server accepts.',
  },
  414: {
    code: CommonErrorCode.UriTooLong,
    detail: 'The request URL is longer than the server accepts.',
  },
  431: {
    code: CommonErrorCode.RequestHeaderTooLarge,
    detail: 'The request headers are larger than the server accepts.',
  },
};

/** How long a connection may stay half-closed after the answer, waiting for the client to close it. */
const CLOSE_AFTER_MS = 1000;

/**
 * node:http counts the request line and the headers together against one limit (16 KiB). The URL
 * is what was too long when the chunk being read starts a request whose first line never ends;
 * a URL that arrived over several reads before it crossed the limit is answered 431, which says
 * the same to a client: the request head is too large.
 */
function headerOverflowStatus(rawPacket: Buffer | undefined): 414 | 431 {
  const head = rawPacket?.toString('latin1') ?? '';
  return /^[A-Z]+ /.test(head) && !head.includes('\n') ? 414 : 431;
}

/** The status node:http itself would answer (it picks the same but for 414), for an error it raised. */
export function clientErrorStatus(error: ParserError): number {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return headerOverflowStatus(error.rawPacket);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

/** The request's path (no query) when its first line could be read, '/' (the server's) otherwise. */
function instanceOf(rawPacket: Buffer | undefined): string {
  const line = /^[A-Z]+ (\/[^\s?]{0,2047})[^\s]* HTTP\/\d\.\d\r?\n/.exec(
    rawPacket?.toString('latin1') ?? '',
  );
  return line?.[1] ?? '/';
}

/** The raw HTTP/1.1 answer: problem details, and the connection closed after it. */
export function clientErrorResponse(error: ParserError): string {
  const status = clientErrorStatus(error);
  const requestId = randomUUID();
  const { code, detail } = PROBLEMS[status];
  const problem: ProblemDetails = {
    type: problemTypeUri(code),
    title: COMMON_PROBLEM_TYPES[code].title,
    status,
    detail,
    instance: instanceOf(error.rawPacket),
    requestId,
  };
  const body = JSON.stringify(problem);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * A request node:http cannot parse (malformed request line or header, request head over its
 * 16 KiB limit) never reaches Express: the server emits 'clientError' with the socket, and
 * without a listener answers a bare 400 or 431. This listener answers problem details instead
 * (README, "Security behaviour"). It never throws: a throw here would be uncaught.
 *
 * node:http also answers an HTTP/1.1 request without a Host header with a bare 400, before any
 * listener sees it. That check (its requireHostHeader option, which the server reads from itself
 * on every request) is turned off here; `hostRequired` applies the same rule with problem details.
 */
export function answerClientErrors(server: Server): void {
  Object.assign(server, { requireHostHeader: false });
  server.on('clientError', (error: ParserError, duplex: Duplex) => {
    const socket = duplex as Socket;
    // As node:http does: nothing is written to a socket that is gone, or on which an answer has
    // begun (a second answer would corrupt the first for the client). A client still sending
    // raises another clientError once its next chunk reaches the parser: the socket, ended by
    // then, is destroyed.
    if (socket.writable && socket.bytesWritten === 0) {
      socket.end(clientErrorResponse(error));
      socket.setTimeout(CLOSE_AFTER_MS, () => socket.destroy());
    } else {
      socket.destroy();
    }
  });
}

/** RFC 9112: a server answers 400 to an HTTP/1.1 request without a Host header. */
export function hostRequired(request: Request, response: Response, next: NextFunction): void {
  if (request.httpVersion !== '1.1' || request.headers.host !== undefined) return next();
  const missing = new CommonError(
    CommonErrorCode.HostRequired,
    'An HTTP/1.1 request must have a Host header.',
  );
  sendProblem(response, toProblem(missing, request));
}
