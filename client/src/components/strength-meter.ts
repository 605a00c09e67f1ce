import { html, LitElement } from 'lit';
import { loadStrengthChecker, type StrengthEstimate } from '../services/password-strength.js';

const LABELS = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'];

/**
 * <parley-strength-meter>: guidance on how guessable a new password is, updated as the user
 * types. Advice only: the server's blocklist decides. The estimator loads on first use.
 */
export class StrengthMeter extends LitElement {
  static override properties = {
    password: { type: String },
    userInputs: { attribute: false },
    estimate: { state: true },
  };
  declare password: string;
  declare userInputs: string[];
  declare estimate: StrengthEstimate | undefined;

  constructor() {
    super();
    this.password = '';
    this.userInputs = [];
    this.estimate = undefined;
  }

  protected override createRenderRoot() {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void loadStrengthChecker();
  }

  protected override async willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('password') && !changed.has('userInputs')) return;
    const password = this.password;
    if (!password) {
      this.estimate = undefined;
      return;
    }
    const check = await loadStrengthChecker();
    if (password === this.password) this.estimate = check(password, ['parley', ...this.userInputs]);
  }

  override render() {
    const score = this.estimate?.score ?? 0;
    const advice = this.estimate
      ? [this.estimate.warning, ...this.estimate.suggestions].filter(Boolean).join(' ')
      : 'Long phrases of unrelated words are strong and easy to remember.';
    return html`
      <div class="strength" data-score=${this.estimate ? score : ''}>
        <meter min="0" max="4" low="2" high="3" optimum="4" .value=${this.estimate ? score + 0.01 : 0}
          aria-label="Password strength"></meter>
        <span class="strength-label" aria-live="polite">
          ${this.estimate ? `Strength: ${LABELS[score]}.` : ''} ${advice}
        </span>
      </div>
    `;
  }
}

customElements.define('parley-strength-meter', StrengthMeter);

declare global {
  interface HTMLElementTagNameMap {
    'parley-strength-meter': StrengthMeter;
  }
}
