/** A service factory (a synchronous `create…`): only the composition root may call it. */
export interface Relay {
  close(): void;
}

export function createRelay(): Relay {
  return { close: () => undefined };
}
