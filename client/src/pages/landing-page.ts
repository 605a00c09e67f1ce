import { css, html, LitElement } from 'lit';

/** <parley-landing-page>: what Parley is, for someone arriving for the first time. */
export class LandingPage extends LitElement {
  static override styles = css`
    :host {
      display: block;
      max-width: 46rem;
      margin: 0 auto;
      padding: 4rem 1.5rem;
      line-height: 1.55;
    }
    h1 {
      font-size: 2.6rem;
      margin: 0 0 0.5rem;
      letter-spacing: -0.02em;
    }
    .tagline {
      font-size: 1.25rem;
      color: var(--muted);
      margin: 0 0 2.5rem;
    }
    ul {
      padding: 0;
      list-style: none;
      display: grid;
      gap: 1rem;
    }
    li {
      padding: 1rem 1.25rem;
      border-radius: var(--radius);
      background: color-mix(in srgb, var(--accent) 9%, transparent);
    }
    strong {
      display: block;
      margin-bottom: 0.2rem;
    }
    nav {
      display: flex;
      gap: 1rem;
      margin-top: 2rem;
    }
    nav a {
      padding: 0.6rem 1.1rem;
      border-radius: 8px;
      border: 1px solid var(--accent);
      color: var(--ink);
      text-decoration: none;
    }
    nav a.primary {
      background: var(--accent);
      color: var(--accent-ink);
      font-weight: 600;
    }
  `;

  override render() {
    return html`
      <main>
        <h1>Parley</h1>
        <p class="tagline">One-to-one chat that only you and the person you talk to can read.</p>
        <ul>
          <li>
            <strong>End-to-end encrypted</strong>
            Keys are agreed in your browser (ECDH P-384) and never leave it; the server relays
            and stores only ciphertext.
          </li>
          <li>
            <strong>Two factors, always</strong>
            A password and a security key such as a YubiKey, with one-time recovery codes for the
            day the key is lost.
          </li>
          <li>
            <strong>Yours to run</strong>
            Self-hosted behind TLS 1.3, started with a single command.
          </li>
        </ul>
        <nav aria-label="Account">
          <a class="primary" href="/signup">Create an account</a>
          <a href="/signin">Sign in</a>
        </nav>
      </main>
    `;
  }
}

customElements.define('parley-landing-page', LandingPage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-landing-page': LandingPage;
  }
}
