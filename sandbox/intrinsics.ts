/**
 * Resolves the CloudFormation intrinsics the synthesized templates use (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split) against the resources the sandbox created. Anything else fails loudly with its
 * place in the template: a value the sandbox cannot resolve must never be passed on half-resolved.
 */

/** What a created resource answers to `Ref` and `Fn::GetAtt`. */
export interface PhysicalResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ResolveContext {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly partition?: string;
  /** The resource created for a logical id, or undefined when the sandbox does not emulate it. */
  physical(logicalId: string): PhysicalResource | undefined;
}

export class UnresolvableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnresolvableError';
  }
}

function pseudo(name: string, ctx: ResolveContext): string | undefined {
  switch (name) {
    case 'AWS::AccountId':
      return ctx.account;
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::Partition':
      return ctx.partition ?? 'aws';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      return undefined;
  }
}

function ref(name: string, ctx: ResolveContext, where: string): string {
  const value = pseudo(name, ctx) ?? ctx.physical(name)?.ref;
  if (value === undefined) throw new UnresolvableError(`${where}: Ref ${name} names no emulated resource`);
  return value;
}

function getAtt(logicalId: string, attribute: string, ctx: ResolveContext, where: string): string {
  const resource = ctx.physical(logicalId);
  const value = resource?.attributes[attribute];
  if (value === undefined) {
    throw new UnresolvableError(`${where}: Fn::GetAtt ${logicalId}.${attribute} names no emulated attribute`);
  }
  return value;
}

function sub(template: string, vars: Record<string, unknown>, ctx: ResolveContext, where: string): string {
  return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in vars) return String(resolve(vars[name], ctx, `${where}.${name}`));
    if (name.includes('.')) {
      const [id, attribute] = name.split(/\.(.*)/s);
      return getAtt(id, attribute, ctx, where);
    }
    return ref(name, ctx, where);
  });
}

/** Returns `value` with every intrinsic replaced by the sandbox's physical names, ARNs and URLs. */
export function resolve(value: unknown, ctx: ResolveContext, where = '$'): unknown {
  if (Array.isArray(value)) return value.map((item, i) => resolve(item, ctx, `${where}[${i}]`));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0];
    switch (key) {
      case 'Ref':
        return ref(String(arg), ctx, where);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
        return getAtt(String(id), String(attribute), ctx, where);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolve(parts, ctx, where) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return sub(arg, {}, ctx, where);
        const [template, vars] = arg as [string, Record<string, unknown>];
        return sub(template, vars, ctx, where);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (resolve(list, ctx, where) as unknown[])[Number(resolve(index, ctx, where))];
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, unknown];
        return String(resolve(text, ctx, where)).split(separator);
      }
      default:
        if (key.startsWith('Fn::') || key === 'Condition') {
          throw new UnresolvableError(`${where}: ${key} is not supported by the sandbox`);
        }
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, ctx, `${where}.${k}`)]));
}
