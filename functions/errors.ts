/** Base class: every error the app maps to a status code derives from it. */
export class DatelineError extends Error {
  override name = "DatelineError";
}

/** The request is malformed (a query value out of range, an odd path). */
export class BadRequestError extends DatelineError {
  override name = "BadRequestError";
}

/** Nothing lives at the path, or a stored file vanished between list and read. */
export class NotFoundError extends DatelineError {
  override name = "NotFoundError";
}

/** The article store cannot be reached and no previous good load exists. */
export class StoreUnavailableError extends DatelineError {
  override name = "StoreUnavailableError";
  constructor(
    message: string,
    readonly retryAfterSeconds = 30,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A configuration variable is missing or malformed. */
export class ConfigError extends DatelineError {
  override name = "ConfigError";
}

/** One article could not be parsed; it is skipped while the others still serve. */
export class ArticleError extends DatelineError {
  override name = "ArticleError";
  constructor(
    readonly file: string,
    readonly reasons: string[],
  ) {
    super(`${file}: ${reasons.join("; ")}`);
  }
}

/** Status code and client-visible message for any thrown value; messages only below 500. */
export function toHttpError(error: unknown): {
  status: 400 | 404 | 500 | 503;
  message: string;
  retryAfter?: number;
} {
  if (error instanceof BadRequestError) return { status: 400, message: error.message };
  if (error instanceof NotFoundError) return { status: 404, message: error.message };
  if (error instanceof StoreUnavailableError) {
    return {
      status: 503,
      message: "Service temporarily unavailable",
      retryAfter: error.retryAfterSeconds,
    };
  }
  return { status: 500, message: "Internal server error" };
}
