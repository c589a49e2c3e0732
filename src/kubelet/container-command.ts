/**
 * What a container actually runs (pod-lifecycle.md §12): `command`/`args` against the image's
 * Entrypoint/Cmd, with `$(VAR)` references expanded from the container's environment
 * (`$$` escapes, unknown references left as they are).
 */
import type { Container } from '../k8s/types/pod.ts';

/** Expands `$(NAME)` references in `text` from `env`. */
export function expandVars(text: string, env: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '$' && text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (ch === '$' && text[i + 1] === '(') {
      const end = text.indexOf(')', i + 2);
      if (end > 0) {
        const name = text.slice(i + 2, end);
        const v = env.get(name);
        if (v !== undefined) {
          out += v;
          i = end;
          continue;
        }
      }
    }
    out += ch;
  }
  return out;
}

/** The container's environment from literal `env` values (later entries see earlier ones). */
export function literalEnv(c: Container): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of c.env ?? [])
    if (e.value !== undefined || !e.valueFrom) env.set(e.name, expandVars(e.value ?? '', env));
  return env;
}

/** The argv: the command/args × Entrypoint/Cmd matrix, expanded. Empty = no command specified. */
export function containerArgs(
  c: Container,
  image: { entrypoint?: string[]; cmd?: string[] },
  env: Map<string, string>,
): string[] {
  const entrypoint =
    image.entrypoint?.length === 1 && image.entrypoint[0] === '' ? [] : (image.entrypoint ?? []);
  let argv: string[];
  if (c.command) argv = [...c.command, ...(c.args ?? [])];
  else if (c.args) argv = [...entrypoint, ...c.args];
  else argv = [...entrypoint, ...(image.cmd ?? [])];
  return argv.map((a) => expandVars(a, env));
}
