import { describe, expect, it } from 'vitest';
import { chatPath, isInAppLink, matchRoute } from './router.js';

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

  it('maps /chat/<username> to the chat page with that conversation', () => {
    expect(matchRoute('/chat/bob')).toEqual({ page: 'chat', path: '/chat/bob', peer: 'bob' });
    expect(matchRoute('/chat/b%C3%B6b/')).toEqual({
      page: 'chat',
      path: '/chat/b%C3%B6b',
      peer: 'böb',
    });
    expect(matchRoute(chatPath('a/b c')).peer).toBe('a/b c');
    expect(matchRoute('/chat/bob/more').page).toBe('not-found');
    expect(matchRoute('/chat/%E0%A4%A').page).toBe('not-found');
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
