/**
 * Generates podbay's schema data from the models shipped in @kubernetes/client-node (field
 * names, types, required fields and descriptions of every v1 type) into generated/schemas.json.
 * The API server builds its OpenAPI v3 documents, `kubectl explain` and strict field validation
 * from it. The output is not committed: `npm ci` (the `prepare` script) regenerates it.
 *
 *   node --import tsx scripts/gen-openapi.ts
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One property of a generated schema. */
interface Prop {
  /** `string` | `integer` | `number` | `boolean` | `date` | `intorstring` | `any` | a class name. */
  t: string;
  array?: true;
  map?: true;
  d?: string;
}

/** One type. */
interface Schema {
  d?: string;
  required?: string[];
  props: Record<string, Prop>;
}

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('@kubernetes/client-node/package.json'));
const modelsDir = join(pkgDir, 'dist', 'gen', 'models');
const root = new URL('..', import.meta.url).pathname;

interface AttributeType {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

function parseType(type: string, format: string): Prop {
  let t = type.trim();
  const out: Prop = { t: '' };
  let m = /^Array<(.+)>$/.exec(t);
  if (m) {
    out.array = true;
    t = m[1]!;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (m) {
    out.map = true;
    t = m[1]!;
    const inner = /^Array<(.+)>$/.exec(t);
    if (inner) {
      out.array = true;
      t = inner[1]!;
    }
  }
  if (t === 'number') t = format === 'int32' || format === 'int64' ? 'integer' : 'number';
  else if (t === 'Date') t = 'date';
  else if (t === 'IntOrString') t = 'intorstring';
  else if (t === 'object') t = 'any';
  out.t = t;
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\'/g, "'").replace(/\\"/g, '"').trim();
}

/** Reads class and property descriptions from a model's .d.ts. */
function descriptions(dts: string): {
  cls?: string;
  props: Record<string, string>;
  optional: Set<string>;
} {
  const props: Record<string, string> = {};
  const optional = new Set<string>();
  let cls: string | undefined;
  let comment: string[] | undefined;
  let pending: string | undefined;
  for (const raw of dts.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('/**')) {
      comment = [];
      const rest = line.slice(3).replace(/\*\/$/, '').trim();
      if (rest) comment.push(rest);
      if (line.endsWith('*/')) {
        pending = comment.join(' ');
        comment = undefined;
      }
      continue;
    }
    if (comment) {
      if (line.endsWith('*/')) {
        const rest = line.replace(/\*\/$/, '').replace(/^\*/, '').trim();
        if (rest) comment.push(rest);
        pending = comment.join(' ');
        comment = undefined;
      } else comment.push(line.replace(/^\*/, '').trim());
      continue;
    }
    if (/^export declare class /.test(line)) {
      cls = pending;
      pending = undefined;
      continue;
    }
    const m = /^'([^']+)'(\?)?:/.exec(line);
    if (m) {
      if (pending) props[m[1]!] = unescape(pending);
      if (m[2]) optional.add(m[1]!);
      pending = undefined;
    }
  }
  return { ...(cls ? { cls: unescape(cls) } : {}), props, optional };
}

async function main(): Promise<void> {
  const out: Record<string, Schema> = {};
  const files = readdirSync(modelsDir).filter(
    (f) => /^V1[A-Z]\w*\.js$/.test(f) || /^CoreV1\w*\.js$/.test(f),
  );
  for (const file of files) {
    const name = file.replace(/\.js$/, '');
    const mod = (await import(join(modelsDir, file))) as Record<
      string,
      { attributeTypeMap?: AttributeType[] }
    >;
    const map = mod[name]?.attributeTypeMap;
    if (!map) continue;
    let dts = '';
    try {
      dts = readFileSync(join(modelsDir, `${name}.d.ts`), 'utf8');
    } catch {
      // no declaration file: no descriptions
    }
    const desc = descriptions(dts);
    const schema: Schema = { props: {} };
    if (desc.cls) schema.d = desc.cls;
    const required: string[] = [];
    for (const a of map) {
      const prop = parseType(a.type, a.format);
      const d = desc.props[a.name];
      if (d) prop.d = d;
      schema.props[a.baseName] = prop;
      if (dts && !desc.optional.has(a.name)) required.push(a.baseName);
    }
    if (required.length) schema.required = required;
    out[name] = schema;
  }
  const dir = join(root, 'generated');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'schemas.json'), JSON.stringify(out));
  console.log(
    `generated/schemas.json: ${Object.keys(out).length} types from @kubernetes/client-node models`,
  );
}

await main();
