// JSON Schema 2020-12 as a strict validator reads it.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** Ajv in its 2020-12 dialect, strict: unknown keywords, unknown formats and contradictory types are errors. */
export function createAjv() {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, validateFormats: true });
  addFormats(ajv);
  return ajv;
}

// Keywords whose value is a schema, or a map or list of schemas (JSON Schema 2020-12 applicators).
const schemaValued = ['additionalProperties', 'items', 'contains', 'not', 'if', 'then', 'else', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema'];
const schemaMaps = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const schemaLists = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

/**
 * JSON paths of boolean sub-schemas (`"metadata": true`). Valid 2020-12, but the MCP TypeScript SDK
 * and the clients built on it reject them. `additionalProperties: false` is a keyword value
 * every client accepts, so `additionalProperties` may stay boolean.
 */
export function booleanSubSchemas(schema, path = '') {
  if (schema === null || typeof schema !== 'object') return [];
  const found = [];
  const visit = (sub, at, allowBoolean) => {
    if (typeof sub === 'boolean') {
      if (!allowBoolean) found.push(at);
    } else {
      found.push(...booleanSubSchemas(sub, at));
    }
  };
  for (const key of schemaValued) if (key in schema) visit(schema[key], `${path}.${key}`, key === 'additionalProperties' || key === 'unevaluatedProperties');
  for (const key of schemaMaps) for (const [name, sub] of Object.entries(schema[key] ?? {})) visit(sub, `${path}.${key}.${name}`, false);
  for (const key of schemaLists) (schema[key] ?? []).forEach((sub, i) => visit(sub, `${path}.${key}[${i}]`, false));
  return found;
}
