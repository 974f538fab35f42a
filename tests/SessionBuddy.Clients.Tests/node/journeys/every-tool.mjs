// Calls every listed tool once, with valid arguments, through the official TypeScript SDK client
// (which checks structuredContent against the tool's outputSchema) and checks the result again with
// Ajv's strict JSON Schema 2020-12 validator. Prints one entry per tool: called, and what went wrong.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, run, textOf, unique } from '../lib/mcp.mjs';
import { createAjv } from '../lib/schemas.mjs';

// Ordered steps: each names a tool and builds its arguments from what earlier steps returned.
// Destructive steps (delete, end, shutdown, cancel) come last and act on things made for them.
const steps = [
  ['get_liveness', () => ({})],
  ['get_readiness', () => ({})],
  ['health_check_all', () => ({})],

  ['create_session', (c) => ({ name: 'every tool', project: c.project, working_directory: c.dir }), (r, c) => (c.session_id = r.id)],
  ['get_session', (c) => ({ session_id: c.session_id })],
  ['update_session', (c) => ({ session_id: c.session_id, status: 'running', metadata: { ticket: 'SB-13' } })],
  ['list_sessions', (c) => ({ project: c.project, limit: 10 })],
  ['add_message', (c) => ({ session_id: c.session_id, role: 'user', content: 'every tool, once' })],
  ['get_messages', (c) => ({ session_id: c.session_id, limit: 10 })],
  ['start', (c) => ({ working_directory: c.dir, project: c.project }), (r, c) => (c.started_id = r.id ?? r.session_id ?? r.session?.id)],
  ['checkpoint', (c) => ({ session_id: c.session_id, summary: 'first checkpoint' })],
  ['list_checkpoints', (c) => ({ session_id: c.session_id }), (r, c) => (c.checkpoint_id = r.checkpoints[0]?.id)],
  ['resume_session', (c) => ({ session_id: c.session_id, checkpoint_id: c.checkpoint_id })],
  ['status', (c) => ({ session_id: c.session_id })],
  ['export_session', (c) => ({ session_id: c.session_id, format: 'json' })],
  ['session_output_dir', (c) => ({ session_id: c.session_id })],
  ['session_write_file', (c) => ({ session_id: c.session_id, path: 'notes/todo.txt', content: 'alpha beta' })],
  ['session_read_file', (c) => ({ session_id: c.session_id, path: 'notes/todo.txt' })],
  ['session_edit_file', (c) => ({ session_id: c.session_id, path: 'notes/todo.txt', old: 'beta', new: 'gamma' })],
  ['session_list_files', (c) => ({ session_id: c.session_id, path: 'notes' })],
  ['session_log', (c) => ({ session_id: c.session_id, tail: 20 })],
  ['register_workspace_backend', (c) => ({ name: c.tag, kind: 'local' })],
  ['list_workspace_backends', () => ({})],

  ['store_reflection', (c) => ({ content: `Reflection ${c.tag}: retries reuse the operation id.`, tags: ['every-tool'], project: c.project }), (r, c) => (c.reflection_id = r.id)],
  ['search_reflections', (c) => ({ query: 'retries reuse the operation id', project: c.project, limit: 5 })],
  ['quick_search', (c) => ({ query: 'operation id', project: c.project, limit: 5 })],
  ['get_reflection_stats', (c) => ({ project: c.project })],
  ['store_memory', (c) => ({ content: `Memory ${c.tag}: the team prefers small commits.`, category: 'preference', metadata: { source: 'every-tool' }, project: c.project })],
  ['search_memories', (c) => ({ query: 'small commits', category: 'preference', project: c.project, limit: 5 })],
  ['store_pattern', (c) => ({ name: `retry ${c.tag}`, pattern_type: 'reliability', description: 'retry with the same operation id', examples: ['create_session retried'], project: c.project })],
  ['find_patterns', (c) => ({ query: 'retry', project: c.project })],
  ['get_memory_health', (c) => ({ project: c.project })],
  ['optimize_memories', () => ({})],

  ['create_entity', (c) => ({ name: `Gateway ${c.tag}`, entity_type: 'service', observations: ['serves /mcp'], properties: { port: 8678 } })],
  ['add_observation', (c) => ({ entity_name: `Gateway ${c.tag}`, observation: 'validates Host and Origin' })],
  ['create_relation', (c) => ({ from_entity: `Gateway ${c.tag}`, to_entity: `Broker ${c.tag}`, relation_type: 'uses' }), null, ['create_entity', (c) => ({ name: `Broker ${c.tag}`, entity_type: 'broker' })]],
  ['search_entities', (c) => ({ query: c.tag, limit: 10 })],
  ['get_entity_relationships', (c) => ({ entity_name: `Gateway ${c.tag}`, direction: 'both' })],
  ['find_path', (c) => ({ from_entity: `Gateway ${c.tag}`, to_entity: `Broker ${c.tag}`, max_depth: 3 })],
  ['get_knowledge_graph_stats', () => ({})],
  ['extract_entities_from_context', () => ({ text: 'The Gateway sends requests to the Memory service over RabbitMQ using MassTransit.' })],

  ['pool_create', (c) => ({ worker_types: ['shell'], pool_id: c.tag, max_workers: 1 }), (r, c) => (c.pool_id = r.pool_id)],
  ['pool_list', () => ({})],
  ['pool_status', (c) => ({ pool_id: c.pool_id })],
  ['pool_execute', (c) => ({ pool_id: c.pool_id, tasks: ['echo pooled'], wait: true, timeout_seconds: 60 }), (r, c) => (c.task_id = r.tasks[0].task_id)],
  ['pool_route_execute', () => ({ tasks: ['echo routed'], strategy: 'least_loaded', wait: true, timeout_seconds: 60 })],
  ['worker_task_status', (c) => ({ task_ids: [c.task_id] })],
  ['worker_spawn', () => ({ worker_type: 'shell', count: 1 }), (r, c) => (c.worker_id = r.workers[0].worker_id)],
  ['worker_execute', (c) => ({ worker_id: c.worker_id, prompt_or_command: 'echo single', timeout_seconds: 30 })],
  ['worker_status', (c) => ({ worker_id: c.worker_id })],
  ['worker_list', () => ({})],
  ['worker_search_history', () => ({ query: 'echo', limit: 5 })],

  ['summarize_session', (c) => ({ session_id: c.session_id })],
  ['query_analytics', () => ({ query_name: 'list' })],
  ['export_analytics', () => ({ dataset: 'sessions', format: 'json', limit: 10 })],
  ['get_audit_log', (c) => ({ limit: 10 })],

  ['akosha_sync_status', () => ({})],
  ['sync_to_akosha', () => ({ scope: 'pending' })],
  ['akosha_dead_letters', () => ({ limit: 10 })],
  ['akosha_replay', () => ({ ids: [] })],
  ['akosha_push_results', (c) => ({
    pool_id: c.pool_id,
    system_id: c.tag,
    results: [{
      worker_id: 'w-every-tool', task_id: randomUUID(), worker_type: 'shell', prompt_or_command: 'echo pushed to the hub', status: 'completed',
      output: 'pushed to the hub', error: null, exit_code: 0, duration_seconds: 0.1, repo: null, timestamp: new Date().toISOString(),
      pool_id: c.pool_id, session_id: null,
    }],
  })],
  ['akosha_search_workers', () => ({ query: 'pushed to the hub', worker_types: ['shell'], limit: 5 })],
  ['search_all_systems', (c) => ({ query: 'pushed to the hub', system_id: c.tag, limit: 5 })],

  // Destructive, last.
  ['worker_cancel', (c) => ({ worker_id: c.worker_id })],
  ['pool_shutdown', (c) => ({ pool_id: c.pool_id, push_to_akosha: false })],
  ['end', (c) => ({ session_id: c.started_id, summary: 'every tool called' })],
  ['delete_reflection', (c) => ({ id: c.reflection_id })],
  ['delete_entity', (c) => ({ name: `Broker ${c.tag}` })],
  ['delete_session', (c) => ({ session_id: c.session_id })],
  ['cleanup_sessions', () => ({ older_than_hours: 24 })],
];

// Tools without a step (added after this list was written) that need no argument are called with {};
// one that needs arguments is reported, so the list above grows with the tool surface.
await run(async () => {
  const { client, tools } = await connect();
  const ajv = createAjv();
  const tag = unique('every-tool');
  const context = { tag, project: tag, dir: mkdtempSync(join(tmpdir(), 'sessionbuddy-every-tool-')) };
  const byName = new Map(tools.map((t) => [t.name, t]));
  const results = new Map();

  const call = async (name, args) => {
    const tool = byName.get(name);
    if (!tool) return { name, called: false, problems: [`not listed by tools/list`] };
    try {
      const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
      if (result.isError) return { name, called: true, problems: [`tool error for ${JSON.stringify(args)}: ${textOf(result)}`] };
      const problems = [];
      if (!result.structuredContent) problems.push('no structuredContent');
      else if (tool.outputSchema) {
        const validate = ajv.compile(tool.outputSchema);
        if (!validate(result.structuredContent)) problems.push(`structuredContent does not match outputSchema (2020-12): ${ajv.errorsText(validate.errors)}`);
      }
      return { name, called: true, problems, structured: result.structuredContent };
    } catch (error) {
      // The SDK throws when structuredContent does not match the outputSchema (or the call fails).
      return { name, called: true, problems: [`TS SDK client: ${error.message}`] };
    }
  };

  try {
    for (const [name, args, remember, before] of steps) {
      if (before) {
        const [prepName, prepArgs] = before;
        await call(prepName, prepArgs(context));
      }
      const built = args(context);
      const missing = Object.entries(built).filter(([, v]) => v === undefined || (Array.isArray(v) && v.includes(undefined))).map(([k]) => k);
      const outcome = missing.length > 0
        ? { name, called: false, problems: [`not called: ${missing.join(', ')} comes from an earlier step that failed`] }
        : await call(name, built);
      if (outcome.structured && remember) remember(outcome.structured, context);
      results.set(name, outcome);
    }
    for (const tool of tools.filter((t) => !results.has(t.name))) {
      const required = tool.inputSchema?.required ?? [];
      results.set(tool.name, required.length === 0
        ? await call(tool.name, {})
        : { name: tool.name, called: false, problems: [`no step in every-tool.mjs gives its required arguments (${required.join(', ')})`] });
    }
  } finally {
    rmSync(context.dir, { recursive: true, force: true });
  }
  return {
    listed: tools.map((t) => t.name),
    tools: [...results.values()].map(({ name, called, problems }) => ({ name, called, problems })),
  };
});
