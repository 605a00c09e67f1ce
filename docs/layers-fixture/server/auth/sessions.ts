/** Bad: auth imports http middleware. */
import type { noStore } from '../http/no-store.js';

export interface Session {
  id: number;
  cache: ReturnType<typeof noStore>;
}
