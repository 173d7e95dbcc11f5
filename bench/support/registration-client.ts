import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** An answer of the agent's HTTP API: status (0: none came), body and how long it took. */
export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly ms: number;
}

/** One request to the agent at 127.0.0.1:`port` over `agent` (a JSON body, if any). */
export function send(
  port: number,
  agent: Agent,
  method: string,
  path: string,
  body?: string,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString(),
          ms: performance.now() - started,
        });
      });
    });
    req.on('error', () => {
      resolve({ status: 0, text: '', ms: performance.now() - started });
    });
    if (body !== undefined) {
      req.setHeader('content-type', 'application/json');
      req.setHeader('content-length', Buffer.byteLength(body));
    }
    req.end(body);
  });
}

/** Adds or replaces host `ip:8080` of `service` (PUT .../hosts/<ip>:8080 with `body`). */
export const putHost = (port: number, agent: Agent, service: string, ip: string, body: string) =>
  send(port, agent, 'PUT', `/edsservice/${service}/hosts/${ip}:8080`, body);

/** Creates `service` with `count` hosts `ipOf(0..count-1)`:8080 in one request; throws unless 201. */
export async function createService(port: number, service: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: false });
  const hosts = Array.from({ length: count }, (_, i) => ({ ip_address: ipOf(i), port: 8080 }));
  const answer = await send(
    port,
    agent,
    'POST',
    `/edsservice/${service}`,
    JSON.stringify({ hosts }),
  );
  agent.destroy();
  if (answer.status !== 201)
    throw new Error(`POST /edsservice/${service}: ${answer.status} ${answer.text.slice(0, 200)}`);
}

/** A distinct address per index: 10.x.y.1-250. */
export const ipOf = (index: number): string =>
  `10.${Math.floor(index / 62_500)}.${Math.floor(index / 250) % 250}.${(index % 250) + 1}`;
