import type { ConfigCheck } from './types';

/** ECR keeps one creation template per prefix (a trailing "/" is implied, so "team" and "team/" are one). */
export const creationTemplatePrefixes: ConfigCheck = (config) => {
  const first = new Map<string, number>();
  return config.creationTemplates.flatMap((template, i) => {
    const key = template.prefix.replace(/\/$/, '');
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, i);
      return [];
    }
    return [
      {
        path: ['creationTemplates', i, 'prefix'],
        message: `expected a unique prefix, "${template.prefix}" is already creationTemplates[${seen}]`,
      },
    ];
  });
};
