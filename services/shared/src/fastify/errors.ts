import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type HttpErrorCode } from '../errors.ts';

const validationCodes: Record<string, HttpErrorCode> = {
  body: 'invalid_body',
  querystring: 'invalid_query',
  params: 'invalid_params',
  headers: 'bad_request',
};

const fastifyCodes: Record<string, [number, HttpErrorCode]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_body'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_body'],
};

/**
 * Errors of the MongoDB driver and ioredis that mean "the backend is unreachable right now", by
 * name so this module needs neither driver: 503, so clients retry instead of giving up.
 */
const unavailableErrors = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MaxRetriesPerRequestError',
  'TokenVerifierUnavailableError',
]);

/** What an error becomes on the wire: its HTTP status, code and the message a client may see. */
export interface HttpError {
  status: number;
  code: HttpErrorCode;
  message: string;
}

/**
 * Maps any error a route can throw to its HTTP status, code and client-visible message. 4xx
 * messages say what was wrong; 5xx messages are generic (the cause is logged here instead).
 */
export function httpErrorOf(error: FastifyError, request: FastifyRequest, reply: FastifyReply): HttpError {
  let status: number;
  let code: HttpErrorCode;
  let message = error.message;
  if (error instanceof AppError) {
    status = error.statusCode;
    code = error.code;
  } else if (unavailableErrors.has(error.name) || /^Connection is closed|^Stream isn't writeable/.test(error.message)) {
    status = 503;
    code = 'unavailable';
    message = 'a backend is unavailable; try again';
  } else if (error.validation) {
    status = 400;
    code = validationCodes[error.validationContext ?? 'body'] ?? 'bad_request';
  } else if (error.code && fastifyCodes[error.code]) {
    [status, code] = fastifyCodes[error.code]!;
  } else if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    status = 400;
    code = 'invalid_body';
  } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    status = error.statusCode;
    code = status === 404 ? 'not_found' : status === 401 ? 'unauthorized' : 'bad_request';
  } else {
    status = 500;
    code = 'internal';
    message = 'internal error';
  }
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  if (status === 503) void reply.header('retry-after', '1');
  return { status, code, message };
}

/**
 * The one error handler: every error becomes `{ error: { code, message } }`. (Routes of the
 * original frontend's API answer `{ error: "<message>" }` instead: see compat.ts.)
 */
export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const { status, code, message } = httpErrorOf(error, request, reply);
      void reply.status(status).send({ error: { code, message } });
    });
    app.setNotFoundHandler((request, reply) => {
      void reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
    });
  },
  { name: 'chatorbit-errors' },
);
