// A session's life as an agent lives it: create it, set it running, talk, checkpoint, end, read it back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callOk, connect, run, unique } from '../lib/mcp.mjs';

await run(async () => {
  const { client } = await connect();
  const project = unique('clients-sessions');
  const working_directory = mkdtempSync(join(tmpdir(), 'sessionbuddy-clients-'));
  try {
    const created = await callOk(client, 'create_session', { name: 'TS SDK journey', project, working_directory });
    const session_id = created.id;
    const running = await callOk(client, 'update_session', { session_id, status: 'running' });
    const said = [
      ['user', 'Please add a health endpoint.'],
      ['assistant', 'Added /health with a database check.'],
      ['tool', 'dotnet test: 12 passed'],
    ];
    for (const [role, content] of said) {
      await callOk(client, 'add_message', { session_id, role, content });
    }
    const messages = await callOk(client, 'get_messages', { session_id });
    const checkpoint = await callOk(client, 'checkpoint', { session_id, summary: 'health endpoint added' });
    const checkpoints = await callOk(client, 'list_checkpoints', { session_id });
    const ended = await callOk(client, 'end', { session_id, summary: 'health endpoint done\nTODO: add a readiness probe' });
    const after = await callOk(client, 'get_session', { session_id });
    const listed = await callOk(client, 'list_sessions', { project });
    return { session_id, created, running, said, messages, checkpoint, checkpoints, ended, after, listed };
  } finally {
    rmSync(working_directory, { recursive: true, force: true });
  }
});
