/**
 * Cost of signature verification (issue 10): milliseconds per verification for each format (pure, offline) and
 * per image against a real docker-registry on loopback (three signatures: Notation, cosign bundle, cosign .sig),
 * with the registry requests it takes. Run: npx tsx bench/signing.ts
 */
import { performance } from 'node:perf_hooks';
import { createTransport } from '../shared/oci/http';
import { RegistryClient } from '../shared/oci/registry-client';
import { verifyCosignBundle, verifyCosignSignature } from '../shared/signing/cosign';
import { verifyNotation } from '../shared/signing/notation';
import { registrySource } from '../shared/signing/registry-source';
import { compileSigners } from '../shared/signing/trust';
import { SIGNATURE_MEDIA_TYPES } from '../shared/signing/types';
import { verifyImageSignatures } from '../shared/signing/verify-image';
import { startRegistry } from '../test/support/registries';
import { Seeder } from '../test/unit/signing/registry-seed';
import {
  cosignBundle,
  cosignKeys,
  cosignSign,
  digestOf,
  makePki,
  notationEnvelope,
  PROFILE,
  simpleSigningPayload,
} from '../test/unit/signing/signing-fixtures';

function time(label: string, runs: number, work: () => unknown): void {
  for (let i = 0; i < 20; i++) work();
  const started = performance.now();
  for (let i = 0; i < runs; i++) work();
  const ms = (performance.now() - started) / runs;
  console.log(`${label.padEnd(44)} ${ms.toFixed(3)} ms/verification (${runs} runs)`);
}

async function main(): Promise<void> {
  const pki = await makePki('Bench');
  const keys = cosignKeys();
  const compileStart = performance.now();
  const signers = compileSigners({
    aws: { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [pki.root.pem] },
    ci: { type: 'cosign', publicKeys: [keys.publicPem] },
  });
  console.log(
    `${'compileSigners (once, at module init)'.padEnd(44)} ${(performance.now() - compileStart).toFixed(3)} ms`,
  );
  const signingTime = new Date(new Date(pki.leaf.cert.validFrom).getTime() + 3600_000);
  const digest = digestOf('bench image');
  const context = { digest, signers, now: signingTime };
  const chain = [pki.leaf.cert, pki.intermediate.cert];
  const envelope = notationEnvelope({ digest, signingTime, chain, key: pki.leaf.key });
  const payload = simpleSigningPayload('registry.example/app', digest);
  const signature = cosignSign(payload, keys.privateKey);
  const bundle = cosignBundle(digest, keys.privateKey);
  time('Notation ES384, 2-certificate chain', 500, () => verifyNotation(envelope, context, 'x'));
  time('cosign keyed (.sig, ECDSA P-256)', 500, () =>
    verifyCosignSignature(payload, signature, context, 'x'),
  );
  time('cosign 3 bundle (DSSE, ECDSA P-256)', 500, () => verifyCosignBundle(bundle, context, 'x'));

  const registry = await startRegistry();
  const transport = createTransport({ plainHttp: true });
  try {
    const seeder = new Seeder(registry.host, 'bench/app');
    const image = await seeder.image('amd64', 'v1');
    const at = { digest: image.digest, signers, now: signingTime };
    const notation = await seeder.referrer(
      image,
      SIGNATURE_MEDIA_TYPES.notationSignature,
      SIGNATURE_MEDIA_TYPES.jwsEnvelope,
      notationEnvelope({ digest: image.digest, signingTime, chain, key: pki.leaf.key }),
    );
    const sigstore = await seeder.referrer(
      image,
      SIGNATURE_MEDIA_TYPES.sigstoreBundle,
      SIGNATURE_MEDIA_TYPES.sigstoreBundle,
      cosignBundle(image.digest, keys.privateKey),
    );
    await seeder.referrersIndex(image.digest, [notation, sigstore]);
    const simple = simpleSigningPayload(`${registry.host}/bench/app`, image.digest);
    await seeder.cosignSignatureTag(image.digest, [
      { payload: simple, signature: cosignSign(simple, keys.privateKey) },
    ]);
    const client = new RegistryClient({
      host: registry.host,
      repository: 'bench/app',
      actions: ['pull'],
      credentials: async () => undefined,
      transport,
    });
    const runs = 100;
    let requests = 0;
    let valid = 0;
    const started = performance.now();
    for (let i = 0; i < runs; i++) {
      const source = registrySource(client);
      const checks = await verifyImageSignatures(source, at);
      requests = source.requests;
      valid = checks.filter((c) => c.valid).length;
    }
    const ms = (performance.now() - started) / runs;
    console.log(
      `${'image with 3 signatures, docker-registry'.padEnd(44)} ${ms.toFixed(2)} ms/image, ${requests} registry requests, ${valid} valid (${runs} runs)`,
    );
  } finally {
    transport.close();
    await registry.stop();
    await pki.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
