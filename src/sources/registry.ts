/** The one place a connector is registered. Order matters: the first that accepts wins. */
import type { Connector } from './connector.js';
import { fileConnector, folderConnector } from './files.js';
import { urlConnector } from './web.js';

export const CONNECTORS: Connector[] = [urlConnector, folderConnector, fileConnector];

export async function connectorFor(target: string): Promise<Connector | null> {
  for (const c of CONNECTORS) if (await c.accepts(target)) return c;
  return null;
}
