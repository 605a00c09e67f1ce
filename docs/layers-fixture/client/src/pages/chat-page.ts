/** A page uses components and services: fine. */
import { ChatBox } from '../components/chat-box.js';
import { getJson } from '../services/api.js';

export class ChatPage {
  box = new ChatBox();
  load = getJson;
}
