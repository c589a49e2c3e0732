/**
 * Decoding request bodies as kube-apiserver does: JSON or YAML (protobuf through a decoder
 * when one is wired), the apiVersion/kind check, and field validation (Strict/Warn/Ignore)
 * of unknown fields, which are always dropped from what is stored.
 */
import { parse as parseYaml } from 'yaml';
import { BadRequestError, UnsupportedMediaTypeError } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { ApiRequest } from './http-types.ts';
import type { GroupVersionKind } from './resource-def.ts';

/** Decodes a protobuf-encoded object (`k8s\0` envelope) into JSON form. */
export type ProtobufDecoder = (body: Buffer, expected: GroupVersionKind) => KubeObject;

/** Finds unknown fields (JSON paths) of an object of the given kind, and removes them. */
export type UnknownFieldPruner = (gvk: GroupVersionKind, object: KubeObject) => string[];

/** What body decoding needs from the server. */
export interface BodyDecoding {
  protobuf?: ProtobufDecoder;
  pruneUnknownFields?: UnknownFieldPruner;
}

const acceptedTypes =
  'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf';

/** Parses the raw body by content type, without any kind checks. */
export function parseBody(
  req: ApiRequest,
  expected: GroupVersionKind,
  decoding: BodyDecoding,
  allowYaml = true,
): unknown {
  const type = (req.headers['content-type'] ?? 'application/json')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  const raw = req.body ?? Buffer.alloc(0);
  if (type === 'application/vnd.kubernetes.protobuf') {
    if (!decoding.protobuf) throw new UnsupportedMediaTypeError(acceptedTypes);
    return decoding.protobuf(raw, expected);
  }
  const text = raw.toString('utf8');
  try {
    if (type === 'application/json' || type === '' || type.endsWith('+json'))
      return JSON.parse(text);
    if (allowYaml && (type === 'application/yaml' || type.endsWith('+yaml')))
      return parseYaml(text);
  } catch (err: unknown) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new BadRequestError(
      `${expected.kind} in version "${expected.version}" cannot be handled as a ${expected.kind}: ${detail}`,
    );
  }
  throw new UnsupportedMediaTypeError(acceptedTypes);
}

/** The result of decoding an object body. */
export interface DecodedObject {
  object: KubeObject;
  /** Warnings to send as `Warning: 299 - "…"` headers. */
  warnings: string[];
}

/**
 * Decodes and checks an object body for `expected` (apiVersion/kind must match when present)
 * and applies field validation per the `fieldValidation` query parameter.
 */
export function decodeObject(
  req: ApiRequest,
  expected: GroupVersionKind,
  decoding: BodyDecoding,
  value: unknown = parseBody(req, expected, decoding),
): DecodedObject {
  const gv = expected.group ? `${expected.group}/${expected.version}` : expected.version;
  const cannot = (why: string): BadRequestError =>
    new BadRequestError(
      `${expected.kind} in version "${expected.version}" cannot be handled as a ${expected.kind}: ${why}`,
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw cannot('json: cannot unmarshal into Go value of type struct');
  }
  const object = value as KubeObject;
  if (object.apiVersion !== undefined && object.apiVersion !== gv) {
    throw new BadRequestError(
      `the API version in the data (${object.apiVersion}) does not match the expected API version (${gv})`,
    );
  }
  if (object.kind !== undefined && object.kind !== expected.kind) {
    throw new BadRequestError(
      `the kind in the data (${object.kind}) does not match the expected kind (${expected.kind})`,
    );
  }
  if (object.metadata === undefined || object.metadata === null) object.metadata = {};
  if (typeof object.metadata !== 'object')
    throw cannot('json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta');
  const unknown = decoding.pruneUnknownFields?.(expected, object) ?? [];
  const mode = req.query.get('fieldValidation') ?? 'Warn';
  const warnings: string[] = [];
  if (unknown.length) {
    const list = unknown.map((f) => `unknown field "${f}"`);
    if (mode === 'Strict') throw cannot(`strict decoding error: ${list.join(', ')}`);
    if (mode !== 'Ignore') warnings.push(...list);
  }
  return { object, warnings };
}
