/**
 * How a page or component reads the services (a module of its own: the landing page, which
 * provides them, does not carry the consumer).
 */
import { ContextConsumer } from '@lit/context';
import type { ReactiveControllerHost } from 'lit';
import { type AppServices, appServicesContext } from './app-services.js';

/**
 * For a page or component: its app's services, read with a ContextConsumer once the element is
 * connected under <parley-app> (which answers at once). Throws outside one: a wiring bug.
 */
export function appServicesOf(host: ReactiveControllerHost & HTMLElement): () => AppServices {
  const consumer = new ContextConsumer(host, { context: appServicesContext });
  return () => {
    if (!consumer.value) throw new Error(`<${host.localName}> is not under <parley-app>`);
    return consumer.value;
  };
}
