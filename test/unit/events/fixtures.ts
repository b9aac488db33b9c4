import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES_DIR = join(__dirname, '..', '..', 'fixtures', 'events');

/** A raw event as tests mutate it: deliberately untyped, so a test can break any field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw events are mutated freely to build bad input
export type RawEvent = any;

/** A fixture event as a fresh object (tests may mutate it). */
export function fixture(name: string): RawEvent {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, `${name}.json`), 'utf8'));
}

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES_DIR, `${name}.json`), 'utf8');
}

export const DIGEST_API = 'sha256:4c1d8e2f9a7b6c5d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d';
export const DIGEST_WORKER = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
export const DIGEST_NODE = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
