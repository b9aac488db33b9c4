import { execFileSync } from 'node:child_process';

/** A tool the sandbox runs, and how to get it when it is missing. */
export interface Tool {
  readonly command: string;
  /** One line a user can act on: the package to install. */
  readonly install: string;
}

export const MOTO: Tool = { command: 'moto_server', install: 'pip install "moto[server]"' };
export const DOCKER_REGISTRY: Tool = {
  command: 'docker-registry',
  install: 'apt-get install docker-registry',
};
export const OPENSSL: Tool = { command: 'openssl', install: 'apt-get install openssl' };
export const SKOPEO: Tool = { command: 'skopeo', install: 'apt-get install skopeo' };

/** The sandbox cannot start: a tool is missing. Its message is the one line naming the package. */
export class MissingToolError extends Error {
  readonly tool: Tool;
  constructor(tool: Tool) {
    super(`${tool.command} not found: install it with \`${tool.install}\``);
    this.name = 'MissingToolError';
    this.tool = tool;
  }
}

/** The absolute path of a command on PATH, or undefined. */
export function which(command: string): string | undefined {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
    return found === '' ? undefined : found;
  } catch {
    return undefined;
  }
}

/** Throws MissingToolError for the first tool that is not installed; returns their paths otherwise. */
export function requireTools(tools: readonly Tool[]): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const tool of tools) {
    const found = which(tool.command);
    if (!found) throw new MissingToolError(tool);
    paths[tool.command] = found;
  }
  return paths;
}
