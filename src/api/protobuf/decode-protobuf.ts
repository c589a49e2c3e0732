/**
 * Decodes a Kubernetes protobuf request body (`k8s\0` + runtime.Unknown{typeMeta, raw}) into
 * the object's JSON form, as kube-apiserver would see it: empty strings and zero values of
 * plain fields dropped (Go's `omitempty`), pointer fields kept, Secret data as base64,
 * IntOrString as a number or string, Quantity as its string.
 */
import { BadRequestError } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { GroupVersionKind } from '../resource-def.ts';
import { messages, type FieldType } from './messages.ts';
import { readFields, type WireField } from './wire-reader.ts';

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Fields that are pointers in Go: present on the wire means set, even when zero or false. */
const pointerFields = new Set([
  'replicas',
  'parallelism',
  'completions',
  'backoffLimit',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'revisionHistoryLimit',
  'progressDeadlineSeconds',
  'priority',
  'ttlSecondsAfterFinished',
  'automountServiceAccountToken',
  'enableServiceLinks',
  'shareProcessNamespace',
  'suspend',
  'manualSelector',
  'controller',
  'blockOwnerDeletion',
  'immutable',
]);

function signed(n: number): number {
  return n >= 2 ** 63 ? n - 2 ** 64 : n;
}

function str(f: WireField): string {
  return f.bytes ? f.bytes.toString('utf8') : '';
}

function decodeMessage(name: string, buf: Buffer): Record<string, unknown> {
  const def = messages[name];
  if (!def) return {};
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const spec = def[f.no];
    if (!spec) continue;
    const [json, type, repeated] = spec;
    const value = decodeValue(type, f);
    if (value === undefined) continue;
    if (type.startsWith('map:')) {
      const [k, v] = value as [string, unknown];
      const m = (out[json] as Record<string, unknown> | undefined) ?? {};
      m[k] = v;
      out[json] = m;
    } else if (repeated) {
      const list = (out[json] as unknown[] | undefined) ?? [];
      list.push(value);
      out[json] = list;
    } else if (keep(json, type, value)) out[json] = value;
  }
  return out;
}

function keep(json: string, type: FieldType, value: unknown): boolean {
  if (pointerFields.has(json)) return true;
  if (value === '' || value === 0 || value === false) return false;
  if (
    type.startsWith('msg:') &&
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === 0
  ) {
    return (
      json === 'metadata' ||
      json === 'spec' ||
      json === 'template' ||
      json === 'selector' ||
      json === 'resources'
    );
  }
  return true;
}

function decodeValue(type: FieldType, f: WireField): unknown {
  switch (type) {
    case 'string':
      return str(f);
    case 'bytes':
      return (f.bytes ?? Buffer.alloc(0)).toString('base64');
    case 'int32':
    case 'int64':
      return signed(f.varint ?? 0);
    case 'bool':
      return (f.varint ?? 0) !== 0;
    case 'time': {
      const t = decodeMessage('Time', f.bytes ?? Buffer.alloc(0)) as { seconds?: number };
      if (!t.seconds) return undefined;
      return new Date(t.seconds * 1000).toISOString().replace('.000Z', 'Z');
    }
    case 'intorstring': {
      const v = decodeMessage('IntOrString', f.bytes ?? Buffer.alloc(0)) as {
        type?: number;
        intVal?: number;
        strVal?: string;
      };
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    }
    case 'quantity':
      return (
        (decodeMessage('Quantity', f.bytes ?? Buffer.alloc(0)) as { string?: string }).string ?? '0'
      );
    default:
      break;
  }
  if (type.startsWith('msg:')) return decodeMessage(type.slice(4), f.bytes ?? Buffer.alloc(0));
  // map:<valueType>: an entry message {1: key, 2: value}.
  const valueType = type.slice(4);
  let key = '';
  let value: unknown = valueType === 'bytes' ? '' : valueType === 'quantity' ? '0' : '';
  for (const e of readFields(f.bytes ?? Buffer.alloc(0))) {
    if (e.no === 1) key = str(e);
    else if (e.no === 2)
      value =
        valueType === 'string'
          ? str(e)
          : valueType === 'bytes'
            ? (e.bytes ?? Buffer.alloc(0)).toString('base64')
            : decodeValue('quantity', e);
  }
  return [key, value];
}

/** Decodes a protobuf body; throws BadRequestError when it is malformed. */
export function decodeProtobufObject(body: Buffer, expected: GroupVersionKind): KubeObject {
  const fail = (why: string): BadRequestError =>
    new BadRequestError(
      `${expected.kind} in version "${expected.version}" cannot be handled as a ${expected.kind}: ${why}`,
    );
  if (body.length < 4 || !body.subarray(0, 4).equals(magic))
    throw fail('provided object is not a Kubernetes protobuf message');
  let envelope: Record<string, unknown>;
  try {
    envelope = decodeMessage('Unknown', body.subarray(4));
  } catch (err: unknown) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const typeMeta =
    (envelope['typeMeta'] as { apiVersion?: string; kind?: string } | undefined) ?? {};
  const kind = typeMeta.kind ?? expected.kind;
  let raw: Buffer;
  try {
    raw = Buffer.from((envelope['raw'] as string | undefined) ?? '', 'base64');
  } catch {
    throw fail('invalid raw object');
  }
  if (!messages[kind]) throw fail(`no protobuf decoding for kind ${kind}; send JSON instead`);
  let object: Record<string, unknown>;
  try {
    object = decodeMessage(kind, raw);
  } catch (err: unknown) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  return {
    ...(typeMeta.apiVersion ? { apiVersion: typeMeta.apiVersion } : {}),
    kind,
    ...object,
    metadata: (object['metadata'] as KubeObject['metadata'] | undefined) ?? {},
  };
}
