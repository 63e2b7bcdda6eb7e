import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';

/** docs/openapi.yaml, parsed. */
export const SPEC_FILE = path.join(__dirname, '../../docs/openapi.yaml');
export const spec: any = yaml.load(fs.readFileSync(SPEC_FILE, 'utf8'));

export const HTTP_METHODS = [ 'get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace' ];

/** Follows an OpenAPI-level `$ref` ('#/components/responses/…', parameters, requestBodies) in this document. */
export function deref<T = any>(node: any): T {
  let current = node;
  for (let hops = 0; current && typeof current.$ref === 'string'; hops++) {
    assert.ok(hops < 10, `reference loop at ${current.$ref}`);
    assert.ok(current.$ref.startsWith('#/'), `only local references are supported: ${current.$ref}`);
    current = current.$ref.slice(2).split('/').reduce((object: any, key: string) => object?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
    assert.ok(current, `dangling reference ${node.$ref}`);
  }
  return current;
}

const SCHEMAS_ID = 'https://eggchat.invalid/openapi/components';

/** '#/components/schemas/X' → an absolute reference into the schema registered below. */
function rewriteRefs(node: any): any {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [ key, value ] of Object.entries(node)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')
      ? `${SCHEMAS_ID}#/$defs/${value.slice('#/components/schemas/'.length)}`
      : rewriteRefs(value);
  }
  return out;
}

/**
 * Ajv for JSON Schema 2020-12 (the dialect of OpenAPI 3.1), strict about keywords: a typo such as
 * `additionalProperty` in the document is an error here, not a silently ignored annotation.
 */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false });
  // The three formats the document uses (ajv-formats is not a dependency).
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i);
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(spec.components.schemas) });
  return ajv;
}

const ajv = createAjv();
const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles (once) a schema taken from the document. */
export function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(schema));
    compiled.set(schema, validate);
  }
  return validate;
}

export function schemaErrors(schema: object, value: unknown): string | undefined {
  const validate = validatorFor(schema);
  return validate(value) ? undefined : ajv.errorsText(validate.errors, { separator: '\n  ' });
}

export interface Operation { method: string; template: string; operation: any }

export function operations(): Operation[] {
  const list: Operation[] = [];
  for (const [ template, item ] of Object.entries<any>(spec.paths)) {
    for (const method of HTTP_METHODS) {
      if (item[method]) list.push({ method: method.toUpperCase(), template, operation: item[method] });
    }
  }
  return list;
}

function templateRegExp(template: string): RegExp {
  const source = template.split(/(\{[^}]+\})/).map(part => (/^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`);
}

/** The documented operation a concrete request hits (query string ignored), if any. */
export function findOperation(method: string, url: string): Operation | undefined {
  const pathname = url.split('?')[0];
  return operations().find(op => op.method === method.toUpperCase() && templateRegExp(op.template).test(pathname));
}

/** The application/json schema of a response object (after following its $ref). */
export function jsonSchemaOf(response: any): object {
  const schema = deref(response)?.content?.['application/json']?.schema;
  assert.ok(schema, 'response documents an application/json schema');
  return schema;
}
