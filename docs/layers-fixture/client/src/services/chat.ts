import type { ChatPage } from '../pages/chat-page.js';

/** Bad: a service knows a page. */
export type Shown = ChatPage;
