/** Bad: a component fetches. */
export class ChatBox {
  async load(): Promise<Response> {
    return fetch('/api/chat');
  }
}
