// A pool run as an orchestrator drives it: a shell pool, tasks in both shapes the seeds send (a
// command string and a task object), waited for with a progress token; every notification is kept.
import { callOk, connect, run, unique } from '../lib/mcp.mjs';

await run(async () => {
  const { client } = await connect();
  const pool = await callOk(client, 'pool_create', { worker_types: ['shell'], pool_id: unique('clients-pool'), max_workers: 2 });
  const progress = [];
  const tasks = [
    'for i in 1 2 3; do echo "string-task line $i"; sleep 0.4; done',
    { command: 'for i in 1 2 3; do echo "object-task line $i"; sleep 0.4; done', timeout_seconds: 60 },
  ];
  const started = Date.now();
  let resultAt;
  const executed = await callOk(client, 'pool_execute', { pool_id: pool.pool_id, tasks, wait: true, timeout_seconds: 60 }, {
    // With onprogress the SDK sends a progressToken and routes the notifications here.
    onprogress: (p) => progress.push({ ...p, at_ms: Date.now() - started }),
    resetTimeoutOnProgress: true,
  });
  resultAt = Date.now() - started;
  const shutdown = await callOk(client, 'pool_shutdown', { pool_id: pool.pool_id, push_to_akosha: false });
  return { pool, tasks, executed, progress, result_at_ms: resultAt, shutdown };
});
