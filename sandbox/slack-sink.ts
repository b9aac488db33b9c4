import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { SandboxTls } from './tls';

/** Stands in for Slack's incoming-webhook host: records each posted payload and answers `ok` like Slack. */
export class SlackSink {
  readonly posts: { path: string; payload: unknown }[] = [];
  private server?: https.Server;
  port = 0;

  async start(tls: SandboxTls): Promise<void> {
    this.server = https.createServer(
      { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
      (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          let payload: unknown = body;
          try {
            payload = JSON.parse(body);
          } catch {
            // Slack answers invalid_payload; so does the sink.
            res.writeHead(400, { 'Content-Type': 'text/plain' });
            res.end('invalid_payload');
            return;
          }
          // The path holds the webhook's secret part: only its first segment is kept.
          this.posts.push({ path: (req.url ?? '').split('/').slice(0, 2).join('/'), payload });
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.end('ok');
        });
      },
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
