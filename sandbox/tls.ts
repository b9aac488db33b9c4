import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway certificate authority and one server certificate for every host the sandbox stands in for. */
export interface SandboxTls {
  /** PEM of the CA: functions trust it through NODE_EXTRA_CA_CERTS, skopeo through --cert-dir. */
  readonly caFile: string;
  /** A directory holding `ca.crt` (skopeo's --cert-dir layout). */
  readonly certDir: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Creates the CA and a server certificate whose names are `hosts` (DNS names, wildcards allowed) plus
 * 127.0.0.1, so a function that speaks HTTPS to `123456789012.dkr.ecr.eu-west-1.amazonaws.com` or `ghcr.io`
 * verifies the local stand-in exactly as it would verify the real registry (no insecure mode).
 */
export async function createTls(dir: string, hosts: readonly string[]): Promise<SandboxTls> {
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.crt');
  const keyFile = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const certFile = path.join(dir, 'server.crt');
  const ext = path.join(dir, 'server.ext');
  await run(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-keyout', caKey].concat([
      '-out',
      caFile,
      '-subj',
      '/CN=Harbormaster sandbox CA',
    ]),
  );
  await run(
    'openssl',
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr].concat([
      '-subj',
      '/CN=harbormaster-sandbox',
    ]),
  );
  const names = [...new Set(hosts)].map((host) => `DNS:${host}`).concat('IP:127.0.0.1', 'DNS:localhost');
  await writeFile(ext, `subjectAltName=${names.join(',')}\nbasicConstraints=CA:FALSE\n`);
  await run(
    'openssl',
    ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial'].concat([
      '-days',
      '2',
      '-out',
      certFile,
      '-extfile',
      ext,
    ]),
  );
  // skopeo reads every *.crt of its --cert-dir as a CA and wants a .cert beside any .key: a folder of its own.
  const certDir = path.join(dir, 'skopeo-certs');
  await mkdir(certDir, { recursive: true });
  await copyFile(caFile, path.join(certDir, 'ca.crt'));
  return { caFile, certDir, certFile, keyFile };
}
