/**
 * HTTP error codes. Every non-2xx JSON body is `{ error: { code, message } }` with one of these.
 * 5xx bodies never carry internal messages.
 */
export const httpErrorCodes = [
  'bad_request',
  'invalid_body',
  'invalid_params',
  'invalid_query',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'room_too_large',
  'payload_too_large',
  'unsupported_media_type',
  'bad_gateway',
  'unavailable',
  'internal',
] as const;
export type HttpErrorCode = (typeof httpErrorCodes)[number];

export class AppError extends Error {
  readonly code: HttpErrorCode;
  readonly statusCode: number;
  constructor(statusCode: number, code: HttpErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const unauthorized = (message = 'a valid access token is required') => new AppError(401, 'unauthorized', message);
export const conflict = (message: string) => new AppError(409, 'conflict', message);
