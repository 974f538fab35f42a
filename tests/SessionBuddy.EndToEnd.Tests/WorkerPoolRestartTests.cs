using System.Collections.Concurrent;
using ModelContextProtocol;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// Kills the WorkerPool service while a task runs: after the restart the task is reported failed,
/// not "running" forever. The restarted service is configured with the fake Claude CLI, whose
/// stream-json then drives a worker_execute end to end.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WorkerPoolRestartTests
{
    [Test]
    public async Task RunningTasksOfAKilledInstanceAreFailedAndClaudeWorkersRunAfterRestart()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var poolId = "restart-" + Guid.NewGuid().ToString("N")[..8];
        await tools.CallOkAsync("pool_create", new { worker_types = new[] { "shell" }, pool_id = poolId, max_workers = 1 });
        var accepted = await tools.CallOkAsync("pool_execute", new { pool_id = poolId, tasks = new[] { "sleep 120" }, timeout_seconds = 300 });
        var taskId = accepted.GetProperty("tasks")[0].GetProperty("task_id").GetString()!;
        Assert.That(async () => (await tools.CallOkAsync("worker_task_status", new { task_ids = new[] { taskId } })).GetProperty("tasks")[0].GetProperty("status").GetString(),
            Is.EqualTo("running").After(15_000, 200));

        await Suite.App.KillAsync("workerpool");
        // The restarted process inherits this variable: terminal-claude now runs the fake CLI.
        Environment.SetEnvironmentVariable("WorkerPool__WorkerTypes__terminal-claude__Executable", FakeCli("claude"));
        await Suite.App.StartAsync("workerpool");

        var task = (await tools.CallOkAsync("worker_task_status", new { task_ids = new[] { taskId } })).GetProperty("tasks")[0];
        Assert.That(task.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(task.GetProperty("error").GetString(), Does.Contain("stopped before it finished"));
        Assert.That(() => WorkerPoolToolsTests.CountOutboxAsync("SessionBuddy.Contracts.Workers.WorkerTaskCompleted", "taskId", [taskId]).Result,
            Is.EqualTo(1).After(10_000, 200));
        Assert.That((await tools.CallOkAsync("pool_status", new { pool_id = poolId })).GetProperty("tasks_running").GetInt64(), Is.Zero);

        var worker = (await tools.CallOkAsync("worker_spawn", new { worker_type = "terminal-claude" })).GetProperty("workers")[0].GetProperty("worker_id").GetString()!;
        var reports = new ConcurrentQueue<ProgressNotificationValue>();
        var result = await tools.Mcp.CallToolAsync("worker_execute", new Dictionary<string, object?>
        {
            ["worker_id"] = worker,
            ["prompt_or_command"] = "slow answer",
            ["timeout_seconds"] = 60,
        }, new WorkerPoolToolsTests.SynchronousProgress(reports.Enqueue));
        Assert.That(result.IsError, Is.Not.True, ToolClient.Text(result));
        var claude = result.StructuredContent!.Value;
        Assert.That(claude.GetProperty("status").GetString(), Is.EqualTo("completed"), claude.ToString());
        Assert.That(claude.GetProperty("output").GetString(), Is.EqualTo("Done: the answer is 42 (for: slow answer)"));
        Assert.That(claude.GetProperty("metadata").GetProperty("total_cost_usd").GetDouble(), Is.EqualTo(0.0123));
        Assert.That(claude.GetProperty("metadata").GetProperty("usage").GetProperty("output_tokens").GetInt32(), Is.EqualTo(24));
        Assert.That(reports.Select(r => r.Message), Has.Some.Contains("tool_use: Write").Or.Some.Contains("assistant:"), "stream-json events arrived as progress");

        await tools.CallOkAsync("pool_shutdown", new { pool_id = poolId, push_to_akosha = false });
    }

    private static string FakeCli(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SessionBuddy.sln")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir!.FullName, "tests", "SessionBuddy.WorkerPool.Tests", "Fakes", name);
    }
}
