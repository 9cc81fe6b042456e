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
  'account_deactivated',
  'invalid_display_name',
  'invalid_color',
  'invalid_avatar_url',
  'not_found',
  'conflict',
  'room_too_large',
  'payload_too_large',
  'too_many_attempts',
  'unsupported_media_type',
  'request_timeout',
  'headers_too_large',
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
export const forbidden = (message: string) => new AppError(403, 'forbidden', message);
/** A valid token of an account an admin deactivated: refused until it is reactivated. */
export const accountDeactivated = () => new AppError(403, 'account_deactivated', 'this account is deactivated');
