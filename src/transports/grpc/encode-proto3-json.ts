import protobuf from 'protobufjs';

import { Duration } from '../../core/duration.js';
import { toMessageName } from '../../core/type-urls.js';
import { toAnyMessage } from './encode-discovery-response.js';
import type { AnyMessage } from './xds-protocol.js';

/**
 * Encodes a message given in proto3 JSON form (the form the REST API serves: snake_case field
 * names, enums by name, wrapper types as bare values, `Struct` as a JSON object, `Any` as
 * `{"@type": ..., ...fields}`), except that a duration is a `Duration`, whose seconds and
 * nanoseconds are copied as they are (`JSON.stringify` writes it as `"1s"`), to its binary form. Throws on a value that
 * does not fit its field: what is encoded comes from our own builders, so that is a bug.
 */
export function encodeProto3Json(type: protobuf.Type, json: unknown): Uint8Array {
  return type.encode(type.fromObject(toMessage(type, json))).finish();
}

/** An `Any` holding `json`, whose `@type` names the message type (looked up in `root`). */
export function packAny(root: protobuf.Root, json: Record<string, unknown>): AnyMessage {
  const { '@type': typeUrl, ...fields } = json;
  if (typeof typeUrl !== 'string') throw new Error('an Any needs an "@type"');
  const type = root.lookupType(toMessageName(typeUrl));
  return toAnyMessage(typeUrl, encodeProto3Json(type, fields));
}

const WRAPPERS = new Set(
  ['UInt32', 'Int32', 'UInt64', 'Int64', 'Bool', 'String', 'Double', 'Float', 'Bytes'].map(
    (kind) => `.google.protobuf.${kind}Value`,
  ),
);

/** The protobufjs object form of `json`, a proto3 JSON value of `type`. */
function toMessage(type: protobuf.Type, json: unknown): Record<string, unknown> {
  const name = type.fullName;
  if (name === '.google.protobuf.Any')
    return { ...packAny(type.root, json as Record<string, unknown>) };
  if (WRAPPERS.has(name)) return { value: json };
  if (name === '.google.protobuf.Duration') return toDuration(json);
  if (name === '.google.protobuf.Struct') return toStruct(type, json);
  if (name === '.google.protobuf.Value') return toValue(type, json);
  const message: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    const field = type.fields[key];
    if (!field) throw new Error(`${name}: no field ${key}`);
    field.resolve();
    const element = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    const convert = (item: unknown) => (element ? toMessage(element, item) : item);
    Object.defineProperty(message, field.name, {
      value: field.map
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convert(v)]),
          )
        : field.repeated
          ? (value as unknown[]).map(convert)
          : convert(value),
      enumerable: true,
    });
  }
  return message;
}

/** A duration is built as a `Duration` (its JSON text is for REST and digests only). */
function toDuration(json: unknown): Record<string, unknown> {
  if (!(json instanceof Duration)) throw new Error(`not a Duration: ${JSON.stringify(json)}`);
  return { seconds: json.seconds, nanos: json.nanos };
}

/** The field of `type` named like `wanted` in either case style (`null_value` or `nullValue`). */
function fieldNamed(type: protobuf.Type, wanted: string): string {
  const plain = wanted.replaceAll('_', '').toLowerCase();
  const field = Object.keys(type.fields).find((n) => n.replaceAll('_', '').toLowerCase() === plain);
  if (field === undefined) throw new Error(`${type.fullName}: no field ${wanted}`);
  return field;
}

function toStruct(type: protobuf.Type, json: unknown): Record<string, unknown> {
  const valueType = type.root.lookupType('google.protobuf.Value');
  return {
    [fieldNamed(type, 'fields')]: Object.fromEntries(
      Object.entries(json as Record<string, unknown>).map(([k, v]) => [k, toValue(valueType, v)]),
    ),
  };
}

function toValue(type: protobuf.Type, json: unknown): Record<string, unknown> {
  if (json === null) return { [fieldNamed(type, 'null_value')]: 0 };
  if (typeof json === 'number') return { [fieldNamed(type, 'number_value')]: json };
  if (typeof json === 'string') return { [fieldNamed(type, 'string_value')]: json };
  if (typeof json === 'boolean') return { [fieldNamed(type, 'bool_value')]: json };
  if (Array.isArray(json)) {
    const list = type.root.lookupType('google.protobuf.ListValue');
    return {
      [fieldNamed(type, 'list_value')]: {
        [fieldNamed(list, 'values')]: json.map((item) => toValue(type, item)),
      },
    };
  }
  const struct = type.root.lookupType('google.protobuf.Struct');
  return { [fieldNamed(type, 'struct_value')]: toStruct(struct, json) };
}
