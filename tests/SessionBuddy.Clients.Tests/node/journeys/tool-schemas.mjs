// Every tool's inputSchema and outputSchema as strict clients read them: the TypeScript SDK's own
// parsing of tools/list (what Claude Code and Inspector run), JSON Schema 2020-12 meta-validation
// and strict compilation by Ajv, and MCP's shape rules (object at the root, no boolean sub-schemas).
// Prints one entry per tool with its problems, so each bad schema is named.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListToolsResultSchema, ResultSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import { createAjv, booleanSubSchemas } from '../lib/schemas.mjs';
import { endpoint, run } from '../lib/mcp.mjs';

await run(async () => {
  const client = new Client({ name: 'sessionbuddy-schema-check', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(endpoint()));
  try {
    // The raw list (loosely parsed), so that one bad tool does not hide the others.
    const raw = [];
    let cursor;
    do {
      const page = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ResultSchema);
      raw.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);

    const listParse = ListToolsResultSchema.safeParse({ tools: raw });
    const ajv = createAjv();
    const tools = raw.map((tool) => {
      const problems = [];
      const parsed = ToolSchema.safeParse(tool);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push(`TS SDK rejects ${issue.path.join('.')}: ${issue.message}`);
      }
      for (const kind of ['inputSchema', 'outputSchema']) {
        const schema = tool[kind];
        if (schema === undefined) {
          problems.push(`${kind}: missing (every tool returns structured results)`);
          continue;
        }
        if (schema?.type !== 'object') problems.push(`${kind}: root type is ${JSON.stringify(schema?.type)}, MCP requires "object"`);
        for (const path of booleanSubSchemas(schema)) problems.push(`${kind}${path}: boolean sub-schema (strict clients need an object, e.g. {"type":"object"})`);
        if (!ajv.validateSchema(schema)) {
          problems.push(`${kind}: not valid JSON Schema 2020-12: ${ajv.errorsText(ajv.errors)}`);
          continue;
        }
        try {
          ajv.compile(schema);
        } catch (error) {
          problems.push(`${kind}: Ajv (2020-12, strict) cannot compile it: ${error.message}`);
        }
      }
      return { name: tool.name, problems };
    });
    return { list_parses: listParse.success, tools };
  } finally {
    await client.close();
  }
});
