import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsProxy } from '../../sandbox/aws-proxy';

/** An upstream that records how many requests it holds at once, answering them when `answerWhen` says. */
function upstream(answerWhen: (inFlight: number) => boolean) {
  let inFlight = 0;
  let most = 0;
  const held: http.ServerResponse[] = [];
  const answer = () => {
    for (const res of held.splice(0)) {
      inFlight -= 1;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{}');
    }
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      held.push(res);
      if (answerWhen(inFlight)) answer();
      // A request not answered by the rule is answered a little later, so a second one can arrive meanwhile.
      else setTimeout(answer, 50);
    });
  });
  return { server, most: () => most };
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const call = (endpoint: string, operation: string) =>
  fetch(endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': `DynamoDB_20120810.${operation}` },
    body: '{}',
  }).then((r) => r.status);

describe("the sandbox's AWS proxy", () => {
  let fake: ReturnType<typeof upstream>;
  let proxy: AwsProxy;

  afterEach(async () => {
    await proxy.stop();
    await new Promise((resolve) => fake.server.close(resolve));
  });

  it('forwards DynamoDB writes one at a time, so conditional writes are atomic as in DynamoDB', async () => {
    // Prepare: the upstream holds each request briefly (two in flight would be seen).
    fake = upstream(() => false);
    proxy = new AwsProxy(await listen(fake.server));
    const endpoint = await proxy.start();

    // Act
    const statuses = await Promise.all(
      ['UpdateItem', 'UpdateItem', 'PutItem', 'DeleteItem', 'UpdateItem'].map((op) => call(endpoint, op)),
    );

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(fake.most()).toBe(1);
    expect(proxy.stats.calls['dynamodb.UpdateItem']).toBe(3);
  });

  it('forwards reads concurrently (the upstream answers only once it holds all three)', async () => {
    // Prepare
    fake = upstream((inFlight) => inFlight === 3);
    proxy = new AwsProxy(await listen(fake.server));
    const endpoint = await proxy.start();

    // Act
    const statuses = await Promise.all(['GetItem', 'Query', 'GetItem'].map((op) => call(endpoint, op)));

    // Assess
    expect(statuses).toEqual([200, 200, 200]);
    expect(fake.most()).toBe(3);
  });
});
