/**
 * Preloaded (node --require) into every function process: TLS connections to the hosts the sandbox stands in
 * for (ECR registry hosts, external registries, the Slack webhook host) go to local servers instead, keeping
 * the original server name, so certificates are verified against the sandbox CA (NODE_EXTRA_CA_CERTS) exactly
 * as they would be against the real host. Everything else, including the AWS API calls to the emulator
 * (plain HTTP on loopback), is untouched. Map: HARBORMASTER_SANDBOX_HOSTS = {"host": port}.
 */
import tls from 'node:tls';

const hosts = JSON.parse(process.env.HARBORMASTER_SANDBOX_HOSTS ?? '{}') as Record<string, number>;
const original = tls.connect;

function redirect(options: tls.ConnectionOptions): tls.ConnectionOptions {
  const host = options.host ?? options.servername;
  const port = host !== undefined ? hosts[host] : undefined;
  if (port === undefined) return options;
  return { ...options, host: '127.0.0.1', port, servername: options.servername ?? host };
}

function patched(...args: unknown[]): tls.TLSSocket {
  // tls.connect(options[, cb]) | tls.connect(port[, host][, options][, cb])
  const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
  let options: tls.ConnectionOptions;
  if (typeof args[0] === 'object' && args[0] !== null) options = args[0] as tls.ConnectionOptions;
  else {
    const [port, host, rest] = args as [number, string | undefined, tls.ConnectionOptions | undefined];
    options = {
      ...(typeof host === 'object' ? (host as object) : rest),
      port,
      ...(typeof host === 'string' ? { host } : {}),
    };
  }
  const target = redirect(options);
  return callback ? original(target, callback) : original(target);
}

(tls as { connect: unknown }).connect = patched;
