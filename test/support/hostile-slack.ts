import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the hostile endpoint saw it, body included. */
export interface SlackSeen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A stand-in for a Slack incoming webhook that misbehaves on demand (redirects, hangs, echoes), on 127.0.0.1
 * port 0, recording every request it receives. `answer` decides each response; leaving it unanswered hangs.
 */
export class HostileSlack {
  readonly requests: SlackSeen[] = [];
  private server?: http.Server;
  port = 0;

  constructor(private readonly answer: (seen: SlackSeen, response: ServerResponse) => void) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((request: IncomingMessage, response: ServerResponse) => {
      const parts: Buffer[] = [];
      request.on('data', (chunk: Buffer) => parts.push(chunk));
      request.on('end', () => {
        const seen: SlackSeen = {
          method: request.method ?? '',
          path: request.url ?? '/',
          headers: { ...request.headers },
          body: Buffer.concat(parts).toString('utf8'),
        };
        this.requests.push(seen);
        this.answer(seen, response);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
