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
 * Validity of the sandbox certificates, as openssl's YYYYMMDDHHMMSSZ: from a year before `now` to a year after.
 * Not "from now": the processes of one sandbox need not share a clock. Under faketime (a suite run months
 * ahead) node, openssl and moto see the faked date while the Go tools (docker-registry, skopeo) and the
 * functions see the real one; a certificate valid only from the faked now is "not yet valid" to those.
 */
export function validity(now: Date): { startdate: string; enddate: string } {
  const year = 365 * 24 * 3600 * 1000;
  const format = (d: Date) =>
    d
      .toISOString()
      .replace(/[-:T]/g, '')
      .replace(/\.\d+Z$/, 'Z');
  return {
    startdate: format(new Date(now.getTime() - year)),
    enddate: format(new Date(now.getTime() + year)),
  };
}

/**
 * Creates the CA and a server certificate whose names are `hosts` (DNS names, wildcards allowed) plus
 * 127.0.0.1, so a function that speaks HTTPS to `123456789012.dkr.ecr.eu-west-1.amazonaws.com` or `ghcr.io`
 * verifies the local stand-in exactly as it would verify the real registry (no insecure mode).
 * `openssl ca` signs both, because only it sets a start date (see `validity`).
 */
export async function createTls(
  dir: string,
  hosts: readonly string[],
  now: Date = new Date(),
): Promise<SandboxTls> {
  const caKey = path.join(dir, 'ca.key');
  const caCsr = path.join(dir, 'ca.csr');
  const caFile = path.join(dir, 'ca.crt');
  const keyFile = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const certFile = path.join(dir, 'server.crt');
  const ext = path.join(dir, 'server.ext');
  const caConfig = path.join(dir, 'ca.cnf');
  const caDir = path.join(dir, 'ca-db');
  await mkdir(caDir, { recursive: true });
  await writeFile(path.join(caDir, 'index.txt'), '');
  await writeFile(path.join(caDir, 'serial'), '01\n');
  await writeFile(
    caConfig,
    [
      '[ca]',
      'default_ca = sandbox',
      '[sandbox]',
      `database = ${path.join(caDir, 'index.txt')}`,
      `serial = ${path.join(caDir, 'serial')}`,
      `new_certs_dir = ${caDir}`,
      'default_md = sha256',
      'policy = any_name',
      'unique_subject = no',
      '[any_name]',
      'commonName = supplied',
      '[ca_ext]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
    ].join('\n') + '\n',
  );
  const { startdate, enddate } = validity(now);
  const sign = ['ca', '-batch', '-notext', '-config', caConfig, '-startdate', startdate, '-enddate', enddate];
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCsr,
    '-subj',
    '/CN=Harbormaster sandbox CA',
  ]);
  await run('openssl', [
    ...sign,
    '-selfsign',
    '-keyfile',
    caKey,
    '-in',
    caCsr,
    '-out',
    caFile,
    '-extensions',
    'ca_ext',
  ]);
  await run(
    'openssl',
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr].concat([
      '-subj',
      '/CN=harbormaster-sandbox',
    ]),
  );
  const names = [...new Set(hosts)].map((host) => `DNS:${host}`).concat('IP:127.0.0.1', 'DNS:localhost');
  await writeFile(ext, `subjectAltName=${names.join(',')}\nbasicConstraints=CA:FALSE\n`);
  await run('openssl', [
    ...sign,
    '-cert',
    caFile,
    '-keyfile',
    caKey,
    '-in',
    csr,
    '-out',
    certFile,
    '-extfile',
    ext,
  ]);
  // skopeo reads every *.crt of its --cert-dir as a CA and wants a .cert beside any .key: a folder of its own.
  const certDir = path.join(dir, 'skopeo-certs');
  await mkdir(certDir, { recursive: true });
  await copyFile(caFile, path.join(certDir, 'ca.crt'));
  return { caFile, certDir, certFile, keyFile };
}
