import type { ECRClient } from '@aws-sdk/client-ecr';
import { ecrCredentialProvider } from '../oci/credentials';
import { createTransport, type Transport } from '../oci/http';
import { RegistryClient } from '../oci/registry-client';
import { registrySource, type SignatureSource } from './registry-source';

/**
 * A SignatureSource for one repository of this account's ECR registry: the registry API over HTTPS with an ECR
 * token (GetAuthorizationToken through `ecr`, cached ~12 h). Create the transport once per process and reuse
 * it (keep-alive); the function role needs ecr:GetAuthorizationToken, ecr:BatchGetImage and
 * ecr:GetDownloadUrlForLayer on the repository.
 */
export function ecrSignatureSource(input: {
  accountId: string;
  region: string;
  repository: string;
  ecr: ECRClient;
  transport?: Transport;
}): SignatureSource {
  const host = `${input.accountId}.dkr.ecr.${input.region}.amazonaws.com`;
  return registrySource(
    new RegistryClient({
      host,
      repository: input.repository,
      actions: ['pull'],
      credentials: ecrCredentialProvider(() => input.ecr),
      transport: input.transport ?? sharedTransport(),
    }),
  );
}

let transport: Transport | undefined;
/** One keep-alive transport per process (a Lambda container serves many events). */
function sharedTransport(): Transport {
  transport ??= createTransport({ maxSockets: 4 });
  return transport;
}
