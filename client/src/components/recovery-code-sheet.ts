import { html, LitElement } from 'lit';
import type { RecoveryCode } from '../services/auth.js';

/** "I saved them", then Continue: `codes-saved`, so the page may go on. */
export class CodesSavedEvent extends Event {
  static readonly type = 'codes-saved';
  constructor() {
    super(CodesSavedEvent.type, { bubbles: true });
  }
}

/**
 * <parley-recovery-codes>: the codes, shown once, with copy, download (.txt) and print, and an
 * "I saved them" confirmation before the page may continue (event `codes-saved`).
 */
export class RecoveryCodeSheet extends LitElement {
  static override properties = {
    codes: { attribute: false },
    username: { type: String },
    busy: { type: Boolean },
    saved: { state: true },
    notice: { state: true },
  };
  declare codes: RecoveryCode[];
  declare username: string;
  declare busy: boolean;
  declare saved: boolean;
  declare notice: string;

  constructor() {
    super();
    this.codes = [];
    this.username = '';
    this.busy = false;
    this.saved = false;
    this.notice = '';
  }

  protected override createRenderRoot() {
    return this;
  }

  private asText(): string {
    const lines = this.codes.map((c) => `#${String(c.number).padStart(2, ' ')}  ${c.code}`);
    return [
      `Parley recovery codes${this.username ? ` for ${this.username}` : ''}`,
      `Created ${new Date().toISOString().slice(0, 10)}. Each code works once.`,
      'When Parley asks for "code #N", type the code with that number.',
      '',
      ...lines,
      '',
    ].join('\n');
  }

  private async copy() {
    try {
      await navigator.clipboard.writeText(this.asText());
      this.notice = 'Copied. Paste them somewhere safe, such as a password manager.';
    } catch {
      this.notice = 'Copying is not allowed here: select the codes and copy them by hand.';
    }
  }

  private download() {
    const url = URL.createObjectURL(new Blob([this.asText()], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'parley-recovery-codes.txt';
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    this.notice = 'Downloaded parley-recovery-codes.txt.';
  }

  override render() {
    return html`
      <section class="recovery-sheet" aria-labelledby="codes-title">
        <h2 id="codes-title">Your recovery codes</h2>
        <p>
          If you lose your security key or the phone with your authenticator app, sign in with your
          password and one of these codes. Each code works once.
          <strong>They are shown only now</strong>: save them before you go on.
        </p>
        <ol class="codes">
          ${this.codes.map(
            (c) => html`<li><span class="code-number">#${c.number}</span>
              <code>${c.code}</code></li>`,
          )}
        </ol>
        <div class="actions no-print">
          <button type="button" class="secondary" @click=${() => this.copy()}>Copy</button>
          <button type="button" class="secondary" @click=${() => this.download()}>Download .txt</button>
          <button type="button" class="secondary" @click=${() => window.print()}>Print</button>
        </div>
        <p class="notice no-print" role="status" aria-live="polite">${this.notice}</p>
        <label class="check no-print">
          <input type="checkbox" name="saved" .checked=${this.saved}
            @change=${(e: Event) => {
              this.saved = (e.target as HTMLInputElement).checked;
            }} />
          I saved my recovery codes somewhere safe
        </label>
        <button type="button" class="primary no-print" ?disabled=${!this.saved || this.busy}
          @click=${() => this.dispatchEvent(new CodesSavedEvent())}>
          Continue
        </button>
      </section>
    `;
  }
}

customElements.define('parley-recovery-codes', RecoveryCodeSheet);

declare global {
  interface HTMLElementTagNameMap {
    'parley-recovery-codes': RecoveryCodeSheet;
  }
  interface HTMLElementEventMap {
    'codes-saved': CodesSavedEvent;
  }
}
