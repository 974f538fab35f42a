using System.Collections.Concurrent;
using System.Text.Json;
using ModelContextProtocol;
using Npgsql;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>WorkerPool tools through MCP: pools, routing, single workers, results in the outbox and the session index.</summary>
[TestFixture]
[NonParallelizable]
public sealed class WorkerPoolToolsTests
{
    private static string NewPoolId() => "e2e-" + Guid.NewGuid().ToString("N")[..8];

    [Test]
    public async Task PoolRunsTasksInSessionWorkspacesRetriesFailuresAndPublishesResults()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var poolId = NewPoolId();
        var pool = await tools.CallOkAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = poolId, max_workers = 2 });
        Assert.That(pool.GetProperty("pool_id").GetString(), Is.EqualTo(poolId));
        Assert.That(pool.GetProperty("workers").GetArrayLength(), Is.EqualTo(2));
        Assert.That(pool.GetProperty("status").GetString(), Is.EqualTo("active"));

        var list = await tools.CallOkAsync("pool_list");
        Assert.That(list.GetProperty("pools").EnumerateArray().Select(p => p.GetProperty("pool_id").GetString()), Does.Contain(poolId));

        var batch = await tools.CallOkAsync("pool_execute", new
        {
            pool_id = poolId,
            tasks = new[] { "echo one", "echo two > \"$SESSION_BUDDY_OUTPUT_DIR/two.txt\"; echo two", "echo nope >&2; exit 4" },
            wait = true,
            timeout_seconds = 60,
        });
        var results = batch.GetProperty("tasks").EnumerateArray().ToList();
        Assert.That(results.Select(r => r.GetProperty("status").GetString()), Is.EqualTo(new[] { "completed", "completed", "failed" }));
        Assert.That(results[0].GetProperty("output").GetString(), Is.EqualTo("one"));
        Assert.That(results[2].GetProperty("exit_code").GetInt32(), Is.EqualTo(4));
        Assert.That(results[2].GetProperty("error").GetString(), Does.Contain("nope"));
        Assert.That(results[2].GetProperty("metadata").GetProperty("attempt").GetInt32(), Is.EqualTo(2), "retried once");
        Assert.That(results[2].GetProperty("metadata").GetProperty("workers_tried").GetArrayLength(), Is.EqualTo(2), "on another worker");
        foreach (var r in results)
        {
            Assert.That(r.GetProperty("duration_seconds").GetDouble(), Is.GreaterThan(0));
            Assert.That(r.GetProperty("worker_id").GetString(), Does.StartWith("w-"));
        }
        var outputDir = results[1].GetProperty("metadata").GetProperty("output_dir").GetString()!;
        Assert.That(File.ReadAllText(Path.Combine(outputDir, "two.txt")).Trim(), Is.EqualTo("two"));
        Assert.That(File.ReadAllText(Path.Combine(outputDir, "worker.log")).Trim(), Is.EqualTo("two"));

        // Each task has its own session in the session index, with the task's outcome as its status.
        var sessionIds = results.Select(r => Guid.Parse(r.GetProperty("session_id").GetString()!)).ToList();
        Assert.That(sessionIds.Distinct().Count(), Is.EqualTo(3));
        Assert.That(() => SessionStatusesAsync(sessionIds).Result, Is.EqualTo(new[] { "completed", "completed", "failed" }).After(10_000, 200));
        var session = await tools.CallOkAsync("get_session", new { session_id = sessionIds[0].ToString() });
        Assert.That(session.GetProperty("project").GetString(), Is.EqualTo("workerpool"));

        // Every finished task published WorkerTaskCompleted through the outbox.
        var taskIds = results.Select(r => r.GetProperty("task_id").GetString()!).ToList();
        Assert.That(() => CountOutboxAsync("SessionBuddy.Contracts.Workers.WorkerTaskCompleted", "taskId", taskIds).Result, Is.EqualTo(3).After(10_000, 200));

        var status = await tools.CallOkAsync("pool_status", new { pool_id = poolId });
        Assert.That(status.GetProperty("tasks_completed").GetInt64(), Is.EqualTo(2));
        Assert.That(status.GetProperty("tasks_failed").GetInt64(), Is.EqualTo(1));

        // This deployment has no Akosha endpoint: the answer says so, and nothing is published for nobody to push.
        var shutdown = await tools.CallOkAsync("pool_shutdown", new { pool_id = poolId });
        Assert.That(shutdown.GetProperty("akosha_push").GetString(), Is.EqualTo("not_configured"));
        Assert.That(shutdown.GetProperty("results").GetArrayLength(), Is.EqualTo(3));
        Assert.That(await CountOutboxAsync("SessionBuddy.Contracts.Workers.PoolResultsCollected", "poolId", [poolId]), Is.EqualTo(0));

        var again = await tools.CallOkAsync("pool_shutdown", new { pool_id = poolId });
        Assert.That(again.GetProperty("akosha_push").GetString(), Is.EqualTo("already_shut_down"));
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = poolId, tasks = new[] { "true" } }), Does.Contain("pool_id").And.Contain("shut down"));
    }

    [Test]
    public async Task AWorkerThatKeepsFailingIsReplaced()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var poolId = NewPoolId();
        var pool = await tools.CallOkAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = poolId, max_workers = 1 });
        var original = pool.GetProperty("workers")[0].GetProperty("worker_id").GetString();

        await tools.CallOkAsync("pool_execute", new { pool_id = poolId, tasks = new[] { "exit 1", "exit 1" }, wait = true, timeout_seconds = 30 });

        var workers = (await tools.CallOkAsync("pool_status", new { pool_id = poolId })).GetProperty("workers").EnumerateArray().ToList();
        Assert.That(workers.Single(w => w.GetProperty("worker_id").GetString() == original).GetProperty("status").GetString(), Is.EqualTo("stopped"));
        Assert.That(workers.Count(w => w.GetProperty("status").GetString() == "idle"), Is.EqualTo(1), "a fresh worker took its place");

        // Asked not to push: the answer says so (not not_configured, though this deployment has no endpoint), nothing is published.
        var shutdown = await tools.CallOkAsync("pool_shutdown", new { pool_id = poolId, push_to_akosha = false });
        Assert.That(shutdown.GetProperty("akosha_push").GetString(), Is.EqualTo("not_requested"));
        Assert.That(await CountOutboxAsync("SessionBuddy.Contracts.Workers.PoolResultsCollected", "poolId", [poolId]), Is.EqualTo(0));
    }

    [Test]
    public async Task RouteExecuteSpreadsTasksOverHealthyPools()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var pools = new[] { NewPoolId(), NewPoolId() };
        foreach (var id in pools)
        {
            await tools.CallOkAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = id, max_workers = 1 });
        }
        try
        {
            foreach (var strategy in new[] { "round_robin", "least_loaded" })
            {
                var batch = await tools.CallOkAsync("pool_route_execute", new { tasks = new[] { "true", "true", "true", "true" }, strategy, wait = true, timeout_seconds = 30 });
                var byPool = batch.GetProperty("tasks").EnumerateArray()
                    .Where(t => pools.Contains(t.GetProperty("pool_id").GetString()))
                    .GroupBy(t => t.GetProperty("pool_id").GetString()).ToList();
                Assert.That(batch.GetProperty("tasks").EnumerateArray().All(t => t.GetProperty("status").GetString() == "completed"), Is.True, strategy);
                Assert.That(byPool, Has.Count.EqualTo(2), $"{strategy} used both new pools");
            }
            Assert.That(await tools.CallErrorAsync("pool_route_execute", new { tasks = new[] { "true" }, strategy = "random" }), Does.Contain("strategy"));
            Assert.That(await tools.CallErrorAsync("pool_route_execute", new { tasks = Array.Empty<string>() }), Does.Contain("tasks"));
        }
        finally
        {
            foreach (var id in pools)
            {
                await tools.CallOkAsync("pool_shutdown", new { pool_id = id, push_to_akosha = false });
            }
        }
    }

    [Test]
    public async Task PoolToolErrorsNameTheArgumentAndStoreNothing()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var poolId = NewPoolId();
        Assert.That(await tools.CallErrorAsync("pool_create", new { worker_types = Array.Empty<string>(), pool_id = poolId }), Does.Contain("worker_types"));
        Assert.That(await tools.CallErrorAsync("pool_create", new { worker_types = new[] { "nope" }, pool_id = poolId }), Does.Contain("worker_types").And.Contain("shell"));
        Assert.That(await tools.CallErrorAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = poolId, max_workers = 4 }), Does.Contain("max_workers"));
        Assert.That(await tools.CallErrorAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = "bad id!" }), Does.Contain("pool_id"));
        Assert.That(await CountRowsAsync("SELECT count(*) FROM pools WHERE id IN (@a, 'bad id!')", poolId), Is.Zero);

        await tools.CallOkAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = poolId, max_workers = 1 });
        Assert.That(await tools.CallErrorAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = poolId }), Does.Contain("pool_id").And.Contain("already exists"));
        Assert.That(await tools.CallErrorAsync("pool_status", new { pool_id = "no-such-pool" }), Does.Contain("pool_id"));
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = "no-such-pool", tasks = new[] { "true" } }), Does.Contain("pool_id"));
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = poolId, tasks = Array.Empty<string>() }), Does.Contain("tasks"));
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = poolId, tasks = new[] { "true", " " } }), Does.Contain("tasks"));
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = poolId, tasks = new[] { "true" }, timeout_seconds = 5 }), Does.Contain("timeout_seconds"));
        Assert.That(await CountRowsAsync("SELECT count(*) FROM tasks WHERE pool_id = @a", poolId), Is.Zero);
        Assert.That(await tools.CallErrorAsync("pool_shutdown", new { pool_id = "no-such-pool" }), Does.Contain("pool_id"));
        await tools.CallOkAsync("pool_shutdown", new { pool_id = poolId, push_to_akosha = false });
    }

    [Test]
    public async Task SeedShapedTasksRunWithTheirOwnTimeoutWorkerTypeAndMetadata()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var poolId = NewPoolId();
        // Seed 000: "Pool max 3 workers, requested 4".
        var tooMany = await tools.CallErrorAsync("pool_create", new { worker_types = new[] { "shell", "shell", "shell", "shell" }, pool_id = poolId });
        Assert.That(tooMany, Does.StartWith("worker_types:").And.Contain("at most 3").And.Contain("4"));
        Assert.That(await tools.CallErrorAsync("pool_create", new { worker_types = new[] { "shell", "shell" }, pool_id = poolId, max_workers = 1 }),
            Does.StartWith("worker_types:"));
        Assert.That(await CountRowsAsync("SELECT count(*) FROM pools WHERE id = @a", poolId), Is.Zero);

        await tools.CallOkAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = poolId, max_workers = 2 });
        var batch = await tools.CallOkAsync("pool_execute", new
        {
            pool_id = poolId,
            tasks = new object[]
            {
                new { command = "echo hi" },
                new { prompt = "echo there", timeout_seconds = 40, worker_type = "shell", metadata = new { ticket = "T-1" }, repo = "mahavishnu" },
                "echo plain",
            },
            wait = true,
            timeout_seconds = 60,
        });
        var results = batch.GetProperty("tasks").EnumerateArray().ToList();
        Assert.That(results.Select(r => r.GetProperty("status").GetString()), Is.EqualTo(new[] { "completed", "completed", "completed" }));
        Assert.That(results.Select(r => r.GetProperty("output").GetString()), Is.EqualTo(new[] { "hi", "there", "plain" }));
        Assert.That(results.Select(r => r.GetProperty("timeout_seconds").GetInt32()), Is.EqualTo(new[] { 60, 40, 60 }));
        var metadata = results[1].GetProperty("metadata");
        Assert.That(metadata.GetProperty("ticket").GetString(), Is.EqualTo("T-1"));
        Assert.That(metadata.GetProperty("repo").GetString(), Is.EqualTo("mahavishnu"), "other keys of a task object are kept as metadata");
        Assert.That(metadata.GetProperty("requested_worker_type").GetString(), Is.EqualTo("shell"));
        Assert.That(metadata.GetProperty("attempt").GetInt32(), Is.EqualTo(1));

        // Wrongly shaped or contradictory task objects are refused before anything is stored.
        var before = await CountRowsAsync("SELECT count(*) FROM tasks WHERE pool_id = @a", poolId);
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = poolId, tasks = new object[] { new { prompt = "a", command = "b" } } }),
            Does.StartWith("tasks:").And.Contain("prompt or command"));
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = poolId, tasks = new object[] { new { timeout_seconds = 40 } } }),
            Does.StartWith("tasks: expected"));
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = poolId, tasks = new object[] { new { command = "true", worker_type = "terminal-claude" } } }),
            Does.StartWith("tasks:").And.Contain("terminal-claude"));
        Assert.That(await tools.CallErrorAsync("pool_execute", new { pool_id = poolId, tasks = "echo hi" }), Does.StartWith("tasks: expected an array"));
        Assert.That(await CountRowsAsync("SELECT count(*) FROM tasks WHERE pool_id = @a", poolId), Is.EqualTo(before));

        var routed = await tools.CallOkAsync("pool_route_execute", new { tasks = new object[] { new { command = "echo routed", worker_type = "shell" } }, wait = true, timeout_seconds = 60 });
        Assert.That(routed.GetProperty("tasks")[0].GetProperty("output").GetString(), Is.EqualTo("routed"));
        await tools.CallOkAsync("pool_shutdown", new { pool_id = poolId, push_to_akosha = false });
    }

    [Test]
    public async Task SingleWorkersExecuteWithProgressAndCanBeCancelled()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var spawned = await tools.CallOkAsync("worker_spawn", new { worker_type = "shell", count = 2 });
        var workers = spawned.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("worker_id").GetString()!).ToList();
        Assert.That(workers, Has.Count.EqualTo(2));

        var reports = new ConcurrentQueue<ProgressNotificationValue>();
        var result = await tools.Mcp.CallToolAsync("worker_execute", new Dictionary<string, object?>
        {
            ["worker_id"] = workers[0],
            ["prompt_or_command"] = "for i in 1 2 3 4 5 6; do echo step $i; sleep 0.5; done",
            ["timeout_seconds"] = 30,
        }, new SynchronousProgress(reports.Enqueue));
        Assert.That(result.IsError, Is.Not.True, ToolClient.Text(result));
        var task = result.StructuredContent!.Value;
        Assert.That(task.GetProperty("status").GetString(), Is.EqualTo("completed"));
        Assert.That(task.GetProperty("output").GetString(), Is.EqualTo("step 1\nstep 2\nstep 3\nstep 4\nstep 5\nstep 6"));
        Assert.That(reports.Select(r => r.Message), Has.Some.Contains(": step "), "output lines arrived as progress");
        // The server sends the final "completed" notification before the result, but the client drops a
        // notification that it dispatches after the call has completed; the result carries that status.
        // Each notification's progress exceeds the one sent before it (MCP requires it). The .NET client may
        // dispatch two close notifications out of order, so this checks the values, not their arrival order.
        Assert.That(reports.Select(r => r.Progress), Is.Unique, "every notification advances the progress");

        var status = await tools.CallOkAsync("worker_status", new { worker_id = workers[0] });
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("idle"));
        Assert.That(status.GetProperty("tasks_completed").GetInt64(), Is.EqualTo(1));
        var all = await tools.CallOkAsync("worker_list");
        Assert.That(all.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("worker_id").GetString()), Is.SupersetOf(workers));

        await using var other = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var longRunning = other.CallAsync("worker_execute", new { worker_id = workers[1], prompt_or_command = "sleep 120", timeout_seconds = 300 });
        Assert.That(async () => (await tools.CallOkAsync("worker_status", new { worker_id = workers[1] })).GetProperty("status").GetString(),
            Is.EqualTo("busy").After(15_000, 200));
        var cancel = await tools.CallOkAsync("worker_cancel", new { worker_id = workers[1] });
        Assert.That(cancel.GetProperty("cancelled_tasks").GetInt32(), Is.EqualTo(1));
        var cancelled = await longRunning;
        Assert.That(cancelled.StructuredContent!.Value.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(cancelled.StructuredContent!.Value.GetProperty("duration_seconds").GetDouble(), Is.LessThan(60));
    }

    [Test]
    public async Task AWorkerTaskIsNotRootAndCannotReadTheServicesEnvironment()
    {
        Assume.That(Environment.IsPrivilegedProcess, "the services switch a task to the worker user only when they run as root");
        // WorkerPool processes (this suite's and any other on the machine), whose environment holds connection strings.
        var services = Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(d => d.All(char.IsAsciiDigit)).Select(d => int.Parse(d))
            .Where(pid => ReadProc(pid, "cmdline").Contains("SessionBuddy.WorkerPool", StringComparison.Ordinal)
                          && ReadProc(pid, "environ").Contains("ConnectionStrings__", StringComparison.Ordinal))
            .ToList();
        Assert.That(services, Is.Not.Empty, "the suite's WorkerPool process");

        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var worker = (await tools.CallOkAsync("worker_spawn", new { worker_type = "shell" })).GetProperty("workers")[0].GetProperty("worker_id").GetString()!;
        var probes = string.Join(" ", services);
        var result = await tools.CallOkAsync("worker_execute", new
        {
            worker_id = worker,
            prompt_or_command = $"id -u; {{ for p in {probes}; do tr '\\0' '\\n' < /proc/$p/environ && echo \"read $p\"; done; }} 2>&1; exit 0",
            timeout_seconds = 30,
        });

        Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("completed"), result.GetRawText());
        var output = result.GetProperty("output").GetString()!;
        var uid = output.Split('\n')[0];
        Assert.That(uid, Is.Not.EqualTo("0").And.Match(@"^\d+$"), "the task's uid");
        Assert.That(output, Does.Not.Contain("ConnectionStrings").And.Not.Contain("read "), "the task read a service's environment");
        Assert.That(output, Does.Contain("Permission denied"), "each service's environment was refused");
    }

    private static string ReadProc(int pid, string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{file}");
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    [Test]
    public async Task WorkerToolErrorsNameTheArgumentAndStoreNothing()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var before = await CountRowsAsync("SELECT count(*) FROM workers WHERE @a = @a", "");
        Assert.That(await tools.CallErrorAsync("worker_spawn", new { worker_type = "nope" }), Does.Contain("worker_type"));
        Assert.That(await tools.CallErrorAsync("worker_spawn", new { worker_type = "shell", count = 0 }), Does.Contain("count"));
        Assert.That(await tools.CallErrorAsync("worker_spawn", new { worker_type = "shell", count = 1000 }), Does.Contain("count"));
        Assert.That(await CountRowsAsync("SELECT count(*) FROM workers WHERE @a = @a", ""), Is.EqualTo(before));

        var worker = (await tools.CallOkAsync("worker_spawn", new { worker_type = "shell" })).GetProperty("workers")[0].GetProperty("worker_id").GetString()!;
        Assert.That(await tools.CallErrorAsync("worker_execute", new { worker_id = "w-missing", prompt_or_command = "true" }), Does.Contain("worker_id"));
        Assert.That(await tools.CallErrorAsync("worker_execute", new { worker_id = worker, prompt_or_command = "true", timeout_seconds = 10 }), Does.Contain("timeout_seconds"));
        Assert.That(await tools.CallErrorAsync("worker_execute", new { worker_id = worker, prompt_or_command = "true", timeout_seconds = 4000 }), Does.Contain("timeout_seconds"));
        Assert.That(await tools.CallErrorAsync("worker_execute", new { worker_id = worker, prompt_or_command = "" }), Does.Contain("prompt_or_command"));
        Assert.That(await CountRowsAsync("SELECT count(*) FROM tasks WHERE worker_id = @a", worker), Is.Zero);
        Assert.That(await tools.CallErrorAsync("worker_status", new { worker_id = "w-missing" }), Does.Contain("worker_id"));
        Assert.That(await tools.CallErrorAsync("worker_cancel", new { worker_id = "w-missing" }), Does.Contain("worker_id"));
        Assert.That(await tools.CallErrorAsync("worker_task_status", new { task_ids = new[] { "nope" } }), Does.Contain("task_ids"));
    }

    [Test]
    public async Task MissingCliIsAFailedResultNamingTheExecutable()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        // No qwen CLI is installed on these machines (unless configured, as below for claude).
        var worker = (await tools.CallOkAsync("worker_spawn", new { worker_type = "terminal-qwen" })).GetProperty("workers")[0].GetProperty("worker_id").GetString()!;
        var result = await tools.CallOkAsync("worker_execute", new { worker_id = worker, prompt_or_command = "hello", timeout_seconds = 30 });
        Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(result.GetProperty("error").GetString(), Does.Contain("'qwen'"));
    }

    internal static async Task<string[]> SessionStatusesAsync(IReadOnlyList<Guid> sessionIds)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("sessionsdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, status FROM sessions WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", sessionIds.ToArray());
        var statuses = new Dictionary<Guid, string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            statuses[reader.GetGuid(0)] = reader.GetString(1);
        }
        return [.. sessionIds.Select(id => statuses.GetValueOrDefault(id, "missing"))];
    }

    internal static async Task<int> CountOutboxAsync(string messageType, string field, IReadOnlyList<string> values)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("workerpooldb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM outbox_messages WHERE message_type = @type AND payload->>@field = ANY(@values)", connection);
        command.Parameters.AddWithValue("type", messageType);
        command.Parameters.AddWithValue("field", field);
        command.Parameters.AddWithValue("values", values.ToArray());
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    internal static async Task<long> CountRowsAsync(string sql, string argument)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("workerpooldb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("a", argument);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal sealed class SynchronousProgress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }
}
