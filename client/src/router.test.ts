import { describe, expect, it } from 'vitest';
import { isInAppLink, matchRoute } from './router.js';

describe('matchRoute', () => {
  it('maps the root to the landing page', () => {
    expect(matchRoute('/').page).toBe('landing');
  });

  it('ignores a trailing slash', () => {
    expect(matchRoute('//')).toEqual({ page: 'landing', path: '/' });
  });

  it('maps /chat to the chat page', () => {
    expect(matchRoute('/chat/')).toEqual({ page: 'chat', path: '/chat' });
  });

  it('renders not-found for unknown paths', () => {
    expect(matchRoute('/nope').page).toBe('not-found');
  });
});

describe('isInAppLink', () => {
  it('handles same-origin page links only', () => {
    expect(isInAppLink(new URL('https://a.test/x'), 'https://a.test')).toBe(true);
    expect(isInAppLink(new URL('https://b.test/x'), 'https://a.test')).toBe(false);
    expect(isInAppLink(new URL('https://a.test/api/x'), 'https://a.test')).toBe(false);
  });
});
