import { css, html, LitElement } from 'lit';

/** <parley-not-found-page>: shown for a path no page claims. */
export class NotFoundPage extends LitElement {
  static override properties = { path: { type: String } };
  declare path: string;

  static override styles = css`
    :host {
      display: block;
      max-width: 40rem;
      margin: 0 auto;
      padding: 4rem 1.5rem;
    }
  `;

  constructor() {
    super();
    this.path = '';
  }

  override render() {
    return html`
      <main>
        <h1>Page not found</h1>
        <p>Nothing lives at <code>${this.path}</code>.</p>
        <p><a href="/">Back to Parley</a></p>
      </main>
    `;
  }
}

customElements.define('parley-not-found-page', NotFoundPage);

declare global {
  interface HTMLElementTagNameMap {
    'parley-not-found-page': NotFoundPage;
  }
}
