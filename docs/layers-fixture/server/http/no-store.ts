/** Middleware: fine on its own. */
export function noStore(): string {
  return 'no-store';
}
