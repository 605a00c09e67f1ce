import { html, LitElement, nothing } from 'lit';
import { counterText, type DraftSize, draftSize } from '../services/draft.js';

/** The composer's request to send a text: `chat-send`, with the text as typed. */
export class ChatSendEvent extends Event {
  static readonly type = 'chat-send';
  constructor(readonly text: string) {
    super(ChatSendEvent.type, { bubbles: true });
  }
}

/**
 * <parley-chat-composer>: a multi-line message box. Enter sends, Shift+Enter adds a line (so
 * does a pasted newline); a counter of the protocol's byte limit appears near it, and a draft
 * over it cannot be sent. It only renders and emits `chat-send`; the page sends.
 */
export class ChatComposer extends LitElement {
  static override properties = {
    peerName: { attribute: false },
    disabled: { type: Boolean },
    size: { state: true },
  };
  declare peerName: string;
  declare disabled: boolean;
  declare size: DraftSize;

  constructor() {
    super();
    this.peerName = '';
    this.disabled = false;
    this.size = draftSize('');
  }

  protected override createRenderRoot() {
    return this;
  }

  private get box(): HTMLTextAreaElement | null {
    return this.querySelector('textarea');
  }

  private onInput() {
    this.size = draftSize(this.box?.value ?? '');
  }

  private onKeyDown(event: KeyboardEvent) {
    // Enter while an input method composes a character is part of the composition.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  private submit(event?: SubmitEvent) {
    event?.preventDefault();
    const box = this.box;
    if (!box || this.disabled) return;
    const text = box.value;
    const size = draftSize(text);
    if (text.trim() === '' || size.tooLong) return;
    this.dispatchEvent(new ChatSendEvent(text));
    box.value = '';
    this.size = draftSize('');
  }

  override render() {
    const size = this.size;
    return html`<form class="chat-composer" @submit=${(e: SubmitEvent) => this.submit(e)}>
      <label for="chat-message" class="visually-hidden">Message</label>
      <textarea id="chat-message" name="message" rows="1" autocomplete="off"
        aria-describedby="chat-message-help chat-counter"
        placeholder=${`Message ${this.peerName}`} ?disabled=${this.disabled}
        @input=${() => this.onInput()} @keydown=${(e: KeyboardEvent) => this.onKeyDown(e)}></textarea>
      <button type="submit" class="primary" ?disabled=${this.disabled || size.tooLong}>Send</button>
      <p id="chat-message-help" class="visually-hidden">Enter sends; Shift+Enter starts a new line.</p>
      <p id="chat-counter" class="chat-counter" ?data-over=${size.tooLong}>${
        size.showCounter ? counterText(size) : nothing
      }</p>
    </form>`;
  }
}

customElements.define('parley-chat-composer', ChatComposer);

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat-composer': ChatComposer;
  }
  interface HTMLElementEventMap {
    'chat-send': ChatSendEvent;
  }
}
