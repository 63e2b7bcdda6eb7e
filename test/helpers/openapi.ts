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

/**
 * The documented operation a concrete request hits (query string ignored), if any. The router is not
 * strict about one trailing slash (`/api/chat/grouplist/` is `/api/chat/grouplist`; the document's
 * introduction says so): a path that matches nothing is tried again without it.
 */
export function findOperation(method: string, url: string): Operation | undefined {
  const pathname = url.split('?')[0];
  const find = (path: string) => operations().find(op => op.method === method.toUpperCase() && templateRegExp(op.template).test(path));
  return find(pathname) ?? (pathname.length > 1 && pathname.endsWith('/') ? find(pathname.slice(0, -1)) : undefined);
}

/** The application/json schema of a response object (after following its $ref). */
export function jsonSchemaOf(response: any): object {
  const schema = deref(response)?.content?.['application/json']?.schema;
  assert.ok(schema, 'response documents an application/json schema');
  return schema;
}

/** What a recorded response needs for the check below (test/helpers/api.ts records them). */
export interface ResponseLike { method: string; url: string; status: number; headers: Record<string, string>; body: unknown; binary: boolean }

function mediaTypeMatches(documented: string, actual: string): boolean {
  if (documented === actual || documented === '*/*') return true;
  const [ type, subtype ] = documented.split('/');
  return subtype === '*' && actual.startsWith(`${type}/`);
}

/**
 * How a real response diverges from docs/openapi.yaml, or undefined when the document describes it: the
 * operation exists (a request outside every path must be the documented 404), its status is declared (or
 * an `NXX`/`default` range), its Content-Type is one the response declares, its JSON body validates
 * against the declared schema (Ajv, strict schemas: no field added or missing), and every header the
 * response marks `required` is present. A `HEAD` is checked against its `GET`; an `OPTIONS` preflight
 * (CORS, described in the document's introduction) is not an operation of the document.
 */
const OUTSIDE_OPERATIONS: Record<number, any> = {
  400: spec.components.responses.BadBody,
  404: spec.components.responses.NotFound,
  413: spec.components.responses.PayloadTooLarge,
  415: spec.components.responses.UnsupportedEncoding,
};

export function responseDivergence(r: ResponseLike): string | undefined {
  const method = r.method.toUpperCase();
  if (method === 'OPTIONS') return undefined;
  const op = findOperation(method === 'HEAD' ? 'GET' : method, r.url);
  let response: any;
  if (!op) {
    // The body is read before routing (docs/openapi.yaml, introduction): a path no route serves answers 404,
    // or the body's own refusal first.
    response = OUTSIDE_OPERATIONS[r.status];
    if (!response) return `status ${r.status} on a request outside every documented operation`;
  } else {
    const responses = op.operation.responses || {};
    response = responses[String(r.status)] ?? responses[`${String(r.status)[0]}XX`] ?? responses.default;
    if (!response) return `status ${r.status} is not documented (documented: ${Object.keys(responses).join(', ')})`;
  }
  response = deref(response);
  for (const [ name, header ] of Object.entries<any>(response.headers || {})) {
    if (deref(header).required && r.headers[name.toLowerCase()] === undefined) return `required header ${name} is missing`;
  }
  if (method === 'HEAD' || r.status === 204 || r.status === 304) return undefined;
  const hasBody = r.body !== undefined || r.binary;
  const content = response.content as Record<string, any> | undefined;
  if (!content) return hasBody ? 'a body where the document declares none' : undefined;
  if (!hasBody) return `no body, documented: ${Object.keys(content).join(', ')}`;
  const actual = (r.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  const documented = Object.keys(content).find(type => mediaTypeMatches(type.toLowerCase(), actual));
  if (!documented) return `Content-Type ${actual || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`;
  const schema = content[documented]?.schema;
  if (!schema || r.body === undefined || !/json/.test(documented)) return undefined;
  const errors = schemaErrors(schema, r.body);
  return errors ? `the body does not match the schema:\n  ${errors}` : undefined;
}
