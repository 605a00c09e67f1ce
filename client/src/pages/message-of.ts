/** The sentence a page shows for a failure: the error's own message (ApiError, SecurityKeyError…). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong. Try again.';
}
