// What a user's client shows first: the server it reached and every tool it offers.
import { connect, run } from '../lib/mcp.mjs';

await run(async () => {
  const { client, tools } = await connect();
  return {
    server: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    tools: tools.map((t) => ({ name: t.name, has_description: !!t.description, has_output_schema: !!t.outputSchema })),
  };
});
