/** Every key store module builds what the composition root hands down. */
export interface Store {
  get(key: string): string | undefined;
}

export function memoryStore(): Store {
  return { get: () => undefined };
}
