// Errors that map to Z-API-style JSON responses: {error, message} with a 4xx/5xx status.

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, error = 'bad-request') => new ApiError(400, error, message);
export const notFound = (message: string, error = 'not-found') => new ApiError(404, error, message);
export const conflict = (message: string, error = 'conflict') => new ApiError(409, error, message);

/** The connected engine cannot do this operation (WhatsApp Web does not allow it, say). Maps to 501. */
export class Unsupported extends ApiError {
  constructor(message: string) {
    super(501, 'unsupported', message);
  }
}
