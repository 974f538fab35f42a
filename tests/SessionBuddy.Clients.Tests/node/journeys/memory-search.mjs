// Long-term memory as an agent uses it: store a reflection, then find it again by meaning and by keyword.
import { callOk, connect, run, unique } from '../lib/mcp.mjs';

await run(async () => {
  const { client } = await connect();
  const project = unique('clients-memory');
  const content = 'Npgsql connection pools must be disposed before the PostgreSQL server restarts, or the first query after the restart fails with a broken connection.';
  const stored = await callOk(client, 'store_reflection', { content, tags: ['postgres', 'reliability'], project });
  const again = await callOk(client, 'store_reflection', { content, tags: ['postgres', 'reliability'], project });
  await callOk(client, 'store_reflection', { content: 'The build uses warnings as errors everywhere.', tags: ['build'], project });
  const search = (query, mode) => callOk(client, 'search_reflections', { query, project, mode, limit: 5 });
  return {
    stored,
    again,
    hybrid: await search('what breaks after a database restart', 'hybrid'),
    keyword: await search('npgsql connection pools restart', 'keyword'),
    quick: await callOk(client, 'quick_search', { query: 'postgres restart broken connection', project, limit: 5 }),
  };
});
