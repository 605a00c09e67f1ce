/** Not a factory: an asynchronous `create…` is a call the page makes (a browser credential). */
export async function createCredential(): Promise<string> {
  return 'credential';
}

/** A class of services/: pages and components do not construct it. */
export class Counter {
  count = 0;
}
