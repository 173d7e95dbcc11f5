import type protobuf from 'protobufjs';

/**
 * Checks a proto3 JSON value against a message type the way a strict parser plus
 * protoc-gen-validate would: every key must be a field (by its proto or JSON name), every
 * value of the field's type, `Any` unpacked by its `@type`, and the `validate.rules` options
 * on each field (read from the .proto files, not retyped) applied. Returns every problem, by path.
 */
export function checkProtoJson(
  root: protobuf.Root,
  typeName: string,
  value: unknown,
  path = '$',
): string[] {
  const problems: string[] = [];
  // What is checked is the JSON text served (a `Duration` is written as its text).
  const json = JSON.parse(JSON.stringify(value)) as unknown;
  checkMessage(root, root.lookupType(typeName), json, path, problems);
  return problems;
}

/** Validation rule kinds this checker applies; others are collected in `uncheckedRules`. */
export const uncheckedRules = new Set<string>();

const WRAPPERS: Record<string, string> = {
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.BytesValue': 'bytes',
};

function checkMessage(
  root: protobuf.Root,
  type: protobuf.Type,
  value: unknown,
  path: string,
  problems: string[],
): void {
  const name = type.fullName.replace(/^\./, '');
  if (name === 'google.protobuf.Any') {
    checkAny(root, value, path, problems);
    return;
  }
  if (name === 'google.protobuf.Struct') {
    if (!isObject(value)) problems.push(`${path}: expected a JSON object (Struct)`);
    return;
  }
  if (name === 'google.protobuf.Value') return;
  if (name === 'google.protobuf.ListValue') {
    if (!Array.isArray(value)) problems.push(`${path}: expected an array (ListValue)`);
    return;
  }
  if (name === 'google.protobuf.Duration') {
    if (typeof value !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(value)) {
      problems.push(`${path}: expected a duration such as "5s", got ${JSON.stringify(value)}`);
    }
    return;
  }
  if (name === 'google.protobuf.Timestamp') {
    if (typeof value !== 'string') problems.push(`${path}: expected an RFC 3339 timestamp`);
    return;
  }
  const wrapped = WRAPPERS[name];
  if (wrapped) {
    checkScalar(wrapped, value, path, problems);
    return;
  }

  if (!isObject(value)) {
    problems.push(`${path}: expected a ${name} object, got ${JSON.stringify(value)}`);
    return;
  }
  const byName = new Map<string, protobuf.Field>();
  for (const field of type.fieldsArray) {
    byName.set(field.name, field);
    byName.set(jsonName(field.name), field);
  }
  const oneofsSet = new Map<string, string[]>();
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = byName.get(key);
    if (!field) {
      problems.push(`${path}.${key}: unknown field of ${name}`);
      continue;
    }
    if (fieldValue === null) continue;
    if (field.partOf)
      oneofsSet.set(field.partOf.name, [...(oneofsSet.get(field.partOf.name) ?? []), key]);
    checkField(root, field, fieldValue, `${path}.${key}`, problems);
  }
  for (const [oneof, keys] of oneofsSet) {
    if (keys.length > 1)
      problems.push(`${path}: oneof ${oneof} has several members set (${keys.join(', ')})`);
  }
  for (const oneof of type.oneofsArray) {
    if (oneof.options?.['(validate.required)'] === true && !oneofsSet.has(oneof.name)) {
      problems.push(`${path}: oneof ${oneof.name} is required`);
    }
  }
  // `required` on a oneof member only applies when that member is the one chosen.
  for (const field of type.fieldsArray.filter((f) => !f.partOf)) {
    const present = value[field.name] ?? value[jsonName(field.name)];
    if (rules(field).message?.required === true && (present === undefined || present === null)) {
      problems.push(`${path}.${field.name}: required`);
    }
  }
}

function checkAny(root: protobuf.Root, value: unknown, path: string, problems: string[]): void {
  if (!isObject(value) || typeof value['@type'] !== 'string') {
    problems.push(`${path}: expected an Any with "@type"`);
    return;
  }
  const typeUrl = value['@type'];
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  let type: protobuf.Type;
  try {
    type = root.lookupType(typeName);
  } catch {
    problems.push(`${path}["@type"]: unknown type ${typeUrl}`);
    return;
  }
  const { '@type': _type, ...rest } = value;
  const special = typeName.startsWith('google.protobuf.') && typeName !== 'google.protobuf.Any';
  checkMessage(root, type, special ? rest.value : rest, path, problems);
}

function checkField(
  root: protobuf.Root,
  field: protobuf.Field,
  value: unknown,
  path: string,
  problems: string[],
): void {
  const fieldRules = rules(field);
  if (field.map) {
    if (!isObject(value)) {
      problems.push(`${path}: expected a map object`);
      return;
    }
    for (const [key, item] of Object.entries(value))
      checkSingle(root, field, item, `${path}["${key}"]`, problems, fieldRules);
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      problems.push(`${path}: expected an array`);
      return;
    }
    const repeated = fieldRules.repeated;
    if (typeof repeated?.min_items === 'number' && value.length < repeated.min_items) {
      problems.push(`${path}: expected at least ${repeated.min_items} items`);
    }
    value.forEach((item, index) => {
      checkSingle(
        root,
        field,
        item,
        `${path}[${index}]`,
        problems,
        (repeated?.items as Rules | undefined) ?? {},
      );
    });
    return;
  }
  checkSingle(root, field, value, path, problems, fieldRules);
}

type Rules = Record<string, Record<string, unknown> | undefined>;

function checkSingle(
  root: protobuf.Root,
  field: protobuf.Field,
  value: unknown,
  path: string,
  problems: string[],
  fieldRules: Rules,
): void {
  const resolved = field.resolvedType;
  if (resolved && 'fieldsArray' in resolved) {
    checkMessage(root, resolved, value, path, problems);
    const wrapped = WRAPPERS[resolved.fullName.replace(/^\./, '')];
    if (wrapped) applyRules(fieldRules, value, path, problems);
    return;
  }
  if (resolved) {
    const { values } = resolved;
    const known =
      typeof value === 'string' ? value in values : Object.values(values).includes(value as number);
    if (!known)
      problems.push(`${path}: ${JSON.stringify(value)} is not a value of ${resolved.name}`);
    return;
  }
  checkScalar(field.type, value, path, problems);
  applyRules(fieldRules, value, path, problems);
}

function checkScalar(type: string, value: unknown, path: string, problems: string[]): void {
  const ok =
    type === 'string' || type === 'bytes'
      ? typeof value === 'string'
      : type === 'bool'
        ? typeof value === 'boolean'
        : type === 'double' || type === 'float'
          ? typeof value === 'number'
          : /int|fixed/.test(type)
            ? (typeof value === 'number' && Number.isInteger(value)) ||
              (typeof value === 'string' && /^-?\d+$/.test(value))
            : false;
  if (!ok) {
    problems.push(`${path}: expected ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  if (type.startsWith('uint') || type.startsWith('fixed')) {
    const number = Number(value);
    const max = type.endsWith('32') ? 0xffffffff : Number.MAX_SAFE_INTEGER;
    if (number < 0 || number > max) problems.push(`${path}: ${number} is out of range for ${type}`);
  }
}

/** Applies numeric and string `validate.rules` to a present value. */
function applyRules(fieldRules: Rules, value: unknown, path: string, problems: string[]): void {
  for (const [kind, rule] of Object.entries(fieldRules)) {
    if (!rule || kind === 'message' || kind === 'repeated') continue;
    if (kind === 'string') {
      const text = String(value);
      if (typeof rule.min_len === 'number' && Array.from(text).length < rule.min_len)
        problems.push(`${path}: shorter than ${rule.min_len}`);
      if (typeof rule.max_bytes === 'number' && Buffer.byteLength(text) > rule.max_bytes)
        problems.push(`${path}: longer than ${rule.max_bytes} bytes`);
      for (const other of Object.keys(rule))
        if (!['min_len', 'max_bytes'].includes(other)) uncheckedRules.add(`string.${other}`);
      continue;
    }
    if (/int|fixed/.test(kind)) {
      const number = Number(value);
      const bound = (name: string) => (typeof rule[name] === 'number' ? rule[name] : undefined);
      const [gte, gt, lte, lt] = [bound('gte'), bound('gt'), bound('lte'), bound('lt')];
      if (gte !== undefined && !(number >= gte))
        problems.push(`${path}: ${number} must be ≥ ${gte}`);
      if (gt !== undefined && !(number > gt)) problems.push(`${path}: ${number} must be > ${gt}`);
      if (lte !== undefined && !(number <= lte))
        problems.push(`${path}: ${number} must be ≤ ${lte}`);
      if (lt !== undefined && !(number < lt)) problems.push(`${path}: ${number} must be < ${lt}`);
      for (const other of Object.keys(rule))
        if (!['gte', 'gt', 'lte', 'lt'].includes(other)) uncheckedRules.add(`${kind}.${other}`);
      continue;
    }
    if (kind === 'enum') continue; // defined_only: enum values are checked against the type above
    uncheckedRules.add(kind);
  }
}

function rules(field: protobuf.Field): Rules {
  const parsed =
    (field as unknown as { parsedOptions?: Record<string, unknown>[] | null }).parsedOptions ?? [];
  const merged: Rules = {};
  for (const option of parsed) {
    const rule = option['(validate.rules)'] as Rules | undefined;
    if (rule) Object.assign(merged, rule);
  }
  return merged;
}

function jsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
