import { ECRClient, ListImagesCommand } from '@aws-sdk/client-ecr';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertProfileExists, awsClientConfig } from '../../../shared/cli/aws-options';
import { CliError } from '../../../shared/cli/errors';

let dir: string;
let configFile: string;
let credentialsFile: string;
let harbormasterConfig: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hm-aws-options-'));
  configFile = join(dir, 'config');
  credentialsFile = join(dir, 'credentials');
  writeFileSync(configFile, '[default]\nregion = us-east-2\n\n[profile ci]\nregion = ap-south-1\n');
  writeFileSync(credentialsFile, '[keys-only]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n');
  harbormasterConfig = join(dir, 'harbormaster.config.yaml');
  writeFileSync(
    harbormasterConfig,
    'env: { region: eu-central-1 }\nteams: { payments: {} }\nrepositories:\n  - { name: payments/api, team: payments }\n',
  );
});

const files = () => ({
  AWS_CONFIG_FILE: configFile,
  AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
  HOME: dir,
});
const noSdkRegion = async (): Promise<string> => {
  throw new Error('Region is missing');
};

async function regionOf(config: ReturnType<typeof awsClientConfig>): Promise<string> {
  return typeof config.region === 'function' ? config.region() : config.region!;
}

describe('awsClientConfig region', () => {
  it.each([
    [
      '--region',
      { region: 'eu-west-1' },
      { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-east-1' },
      'eu-west-1',
    ],
    ['AWS_REGION', {}, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-east-1' }, 'us-west-2'],
    ['AWS_DEFAULT_REGION', {}, { AWS_DEFAULT_REGION: 'us-east-1' }, 'us-east-1'],
  ])('%s decides before the profile and the config', async (_name, options, env, expected) => {
    // Act
    const config = awsClientConfig(
      { ...options, config: harbormasterConfig },
      { ...files(), ...env },
      noSdkRegion,
    );

    // Assess
    expect(config.region).toBe(expected);
  });

  it("then the profile's region, as the SDK resolves it", async () => {
    // Act
    const config = awsClientConfig(
      { profile: 'ci', config: harbormasterConfig },
      files(),
      async () => 'ap-south-1',
    );

    // Assess
    expect(await regionOf(config)).toBe('ap-south-1');
    expect(config.profile).toBe('ci');
  });

  it("then the config's env.region when the SDK finds none", async () => {
    // Act
    const config = awsClientConfig({ config: harbormasterConfig }, files(), noSdkRegion);

    // Assess
    expect(await regionOf(config)).toBe('eu-central-1');
  });

  it('names every source when none gives a region (no --config and no ./harbormaster.config.yaml)', async () => {
    // Prepare: a working directory without a config file.
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'hm-no-config-')));
    try {
      // Act
      const config = awsClientConfig({}, files(), noSdkRegion);

      // Assess
      await expect(regionOf(config)).rejects.toThrow(
        new CliError(
          'no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, give the profile a region, or set env.region in the config',
        ),
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it('uses the profile region through a real SDK client reading AWS_CONFIG_FILE', async () => {
    // Prepare: the SDK reads the shared files from the process environment.
    const saved = { ...process.env };
    Object.assign(process.env, files());
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_PROFILE;
    try {
      // Act
      const config = awsClientConfig({ profile: 'ci' }, process.env, () =>
        new ECRClient({ profile: 'ci' }).config.region(),
      );

      // Assess
      expect(await regionOf(config)).toBe('ap-south-1');
    } finally {
      process.env = saved;
    }
  });
});

describe('awsClientConfig endpoint', () => {
  it('--endpoint-url wins over AWS_ENDPOINT_URL; without either there is no endpoint', () => {
    expect(
      awsClientConfig(
        { region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:1' },
        { AWS_ENDPOINT_URL: 'http://x:2' },
        noSdkRegion,
      ).endpoint,
    ).toBe('http://127.0.0.1:1');
    expect(
      awsClientConfig({ region: 'eu-west-1' }, { AWS_ENDPOINT_URL: 'http://x:2' }, noSdkRegion).endpoint,
    ).toBe('http://x:2');
    expect(awsClientConfig({ region: 'eu-west-1' }, {}, noSdkRegion)).toEqual({ region: 'eu-west-1' });
  });

  it('an SDK client built from it sends its calls to that endpoint', async () => {
    // Prepare: a local HTTP server standing in for the emulator.
    const seen: string[] = [];
    const server = http.createServer((request, response) => {
      seen.push(`${request.method} ${request.headers['x-amz-target']}`);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ imageIds: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new ECRClient({
        ...awsClientConfig({ region: 'eu-west-1', endpointUrl: url }, {}, noSdkRegion),
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });

      // Act
      const out = await client.send(new ListImagesCommand({ repositoryName: 'payments/api' }));

      // Assess
      expect(out.imageIds).toEqual([]);
      expect(seen).toEqual(['POST AmazonEC2ContainerRegistry_V20150921.ListImages']);
    } finally {
      server.close();
    }
  });
});

describe('assertProfileExists', () => {
  it('accepts a profile from the config file ([profile x]) or the credentials file ([x])', () => {
    expect(() => assertProfileExists('ci', files())).not.toThrow();
    expect(() => assertProfileExists('keys-only', files())).not.toThrow();
    expect(() => assertProfileExists(undefined, files())).not.toThrow();
  });

  it('names the missing profile and both files instead of "no AWS credentials"', () => {
    expect(() => assertProfileExists('prod-admin', files())).toThrow(
      new CliError(`AWS profile "prod-admin" was not found in ${configFile} or ${credentialsFile}`),
    );
  });

  it('awsClientConfig applies it to AWS_PROFILE too', () => {
    expect(() =>
      awsClientConfig({ region: 'eu-west-1' }, { ...files(), AWS_PROFILE: 'typo' }, noSdkRegion),
    ).toThrow(/AWS profile "typo" was not found/);
  });
});
