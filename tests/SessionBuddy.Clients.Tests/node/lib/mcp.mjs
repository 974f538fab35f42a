// What every journey shares: a connected official TypeScript SDK client, tool calls that must
// succeed, and the one-JSON-document-on-stdout contract the NUnit side reads.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const connected = [];

/** The MCP endpoint the test passes as the first argument. */
export const endpoint = () => {
  const url = process.argv[2];
  if (!url) throw new Error('usage: node <script> <mcp-url>');
  return new URL(url);
};

/**
 * Connects as Claude Code or Inspector would and lists every tool (following cursors). The SDK
 * parses tools/list with its own schemas and compiles each outputSchema; every later callTool
 * checks structuredContent against it, so a result that does not match its schema throws.
 */
export async function connect() {
  const client = new Client({ name: 'sessionbuddy-clients-tests', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(endpoint()));
  connected.push(client);
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined);
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  // listTools caches output validators per page; keep those of every page.
  client.cacheToolMetadata(tools);
  return { client, tools };
}

export class ToolCallError extends Error {
  constructor(tool, message) {
    super(`${tool}: ${message}`);
    this.tool = tool;
  }
}

export const textOf = (result) =>
  (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

/** Calls a tool that must succeed; returns its structuredContent (already validated by the SDK). */
export async function callOk(client, name, args = {}, options = {}) {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000, ...options });
  if (result.isError) throw new ToolCallError(name, `tool error: ${textOf(result)}`);
  if (!result.structuredContent) throw new ToolCallError(name, 'no structuredContent');
  return result.structuredContent;
}

/** Runs a journey: its value goes to stdout as JSON (exit 0); any failure goes to stderr (exit 1). */
export async function run(journey) {
  try {
    const value = await journey();
    process.stdout.write(JSON.stringify(value) + '\n');
    process.exitCode = 0;
  } catch (error) {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  } finally {
    await Promise.all(connected.map((c) => c.close().catch(() => {})));
  }
}

/** A marker unique to this run, so searches find what this run stored and nothing else. */
export const unique = (prefix) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
