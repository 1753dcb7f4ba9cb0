import type { OptionIssue } from '../ports/notifier.js';

/** The error catalogue; the HTTP layer maps each code to a status in one place. */
export type ErrorCode =
  'invalid' | 'notFound' | 'conflict' | 'unauthorized' | 'forbidden' | 'rateLimited';

/** An expected failure of a use case, safe to show to the caller. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly OptionIssue[];

  constructor(
    code: ErrorCode,
    message: string,
    issues: readonly OptionIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.issues = issues;
  }

  static invalid(issues: readonly OptionIssue[]): AppError {
    const first = issues[0];
    const summary = first
      ? first.path === ''
        ? first.message
        : `${first.path}: ${first.message}`
      : 'invalid input';
    return new AppError('invalid', summary, issues);
  }
}
