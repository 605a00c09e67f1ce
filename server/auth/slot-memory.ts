/**
 * The instant the latest reserved try of each unknown username is weighed at (ms), in memory
 * with bounded size (the least recently set key goes first), so an unknown name's burst is
 * queued like a known account's (whose slot is users.next_attempt_at).
 */
export interface SlotMemory {
  get(key: string): number | undefined;
  set(key: string, slotMs: number): void;
}

export function createSlotMemory(maxKeys = 10_000): SlotMemory {
  const slots = new Map<string, number>();
  return {
    get: (key) => slots.get(key),
    set(key, slotMs) {
      slots.delete(key);
      slots.set(key, slotMs);
      if (slots.size > maxKeys) {
        const oldest = slots.keys().next().value;
        if (oldest !== undefined) slots.delete(oldest);
      }
    },
  };
}
