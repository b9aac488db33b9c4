import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram, COMMANDS, run } from '../../../shared/cli/main';

const { version } = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
  version: string;
};

let out: string;
let err: string;

beforeEach(() => {
  out = '';
  err = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((text) => {
    out += String(text);
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
    err += String(text);
    return true;
  });
});

afterEach(() => jest.restoreAllMocks());

describe('harbormaster (lazy command loading)', () => {
  it("each command's summary is the description its module registers, in the same order", async () => {
    // Act
    const program = await buildProgram([], true);

    // Assess
    expect(program.commands.map((c) => [c.name(), c.description()])).toEqual(
      COMMANDS.map((c) => [c.name, c.summary]),
    );
  });

  it('builds only the selected command in full; the others are name and summary', async () => {
    // Act
    const program = await buildProgram(['gate', 'payments/api:v1']);

    // Assess
    const withOptions = program.commands.filter((c) => c.options.length > 0).map((c) => c.name());
    expect(withOptions).toEqual(['gate']);
    expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
  });

  it('`help gate` loads gate, so its options are listed', async () => {
    // Act
    const code = await run(['help', 'gate']);

    // Assess
    expect(code).toBe(0);
    expect(out).toContain('--max-severity <level>');
    expect(out).toContain('--format <format>');
  });

  it('--help lists every command with its summary', async () => {
    // Act
    const code = await run(['--help']);

    // Assess
    expect(code).toBe(0);
    for (const entry of COMMANDS) expect(out).toContain(entry.name);
    expect(out).toContain('-V, --version');
  });

  it.each(['--version', '-V'])('%s prints the package version and exits 0', async (flag) => {
    // Act
    const code = await run([flag]);

    // Assess
    expect(code).toBe(0);
    expect(out).toBe(`${version}\n`);
  });

  it('an unknown command exits 2 with a suggestion', async () => {
    // Act
    const code = await run(['gat']);

    // Assess
    expect(code).toBe(2);
    expect(err).toContain("error: unknown command 'gat'");
    expect(err).toContain('(Did you mean gate?)');
  });
});
