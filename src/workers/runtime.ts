import type { Container } from '../container.js';

/** Background work hosted by the local server process (in-process queue and scheduler). */
export async function startBackground(_container: Container): Promise<{ stop(): Promise<void> }> {
  return { async stop() {} };
}
