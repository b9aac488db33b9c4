import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../shared/config/errors';
import { loadConfig, parseConfigText } from '../../../shared/config/load';
import { configJsonSchema } from '../../../shared/config/write-json-schema';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('the shipped example config', () => {
  it('validates, with two teams and several repositories', () => {
    // Act
    const config = loadConfig(path.join(ROOT, 'harbormaster.config.yaml'));

    // Assess
    expect(Object.keys(config.teams)).toEqual(['payments', 'platform']);
    expect(config.repositories.length).toBeGreaterThanOrEqual(3);
    expect(config.pullThroughCache.map((r) => r.upstream)).toEqual(['ecr-public', 'docker-hub']);
  });

  it('points editors at the published JSON Schema', () => {
    const text = readFileSync(path.join(ROOT, 'harbormaster.config.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./harbormaster.schema.json');
  });
});

describe('harbormaster.schema.json', () => {
  it('equals what `npm run schema` generates from the zod schema (run it after a schema change)', () => {
    // Prepare
    const published = JSON.parse(readFileSync(path.join(ROOT, 'harbormaster.schema.json'), 'utf8'));

    // Act
    const generated = JSON.parse(JSON.stringify(configJsonSchema()));

    // Assess
    expect(published).toEqual(generated);
  });
});

describe('loading', () => {
  it('reports YAML syntax errors as a config error at the root', () => {
    // Act
    const act = () => parseConfigText('env: {region: eu-west-1\nteams: {}', 'broken.yaml');

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/^invalid config broken\.yaml:2:1: expected valid YAML: [^\n]+$/);
  });

  it('reports a missing file with its path and no stack trace in the message', () => {
    // Act
    let error: unknown;
    try {
      loadConfig('/nonexistent/harbormaster.config.yaml');
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^\(root\): expected a readable config file, got ENOENT/),
    ]);
    expect((error as ConfigError).cause).toBeDefined();
  });

  it('renders one line per problem, each starting with its field path', () => {
    // Act
    let error: unknown;
    try {
      parseConfigText('env: {region: mars}\nteams: {}\nrepositories: [{name: X, team: t}]', 'bad.yaml');
    } catch (e) {
      error = e;
    }

    // Assess
    expect((error as ConfigError).message.split('\n')).toEqual([
      'invalid config bad.yaml:',
      '  bad.yaml:1:15: env.region: expected an AWS region such as eu-west-1, got "mars"',
      '  bad.yaml:3:23: repositories[0].name: expected an ECR repository name (2-256 characters, lowercase [a-z0-9] components separated by ".", "_", "-" or "/"), got "X"',
    ]);
  });
});
