using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.WorkerPool.Confinement;
using SessionBuddy.WorkerPool.Processes;
using SessionBuddy.WorkerPool.Workers;
using SessionBuddy.WorkerPool.Workspaces;

namespace SessionBuddy.WorkerPool.Tests;

/// <summary>The execution core with real processes: shell commands and the fake AI CLIs / docker client.</summary>
[TestFixture]
public sealed class TaskProcessTests
{
    private string _root = null!;

    public static string Fake(string name) => Path.Combine(AppContext.BaseDirectory, "Fakes", name);

    [SetUp]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("workerpool-tests-").FullName;

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    private static WorkerTypes Types(Dictionary<string, WorkerTypeOptions>? configured = null) =>
        new(Options.Create(new WorkerPoolOptions { WorkerTypes = configured ?? [] }));

    private TaskWorkspace Workspace()
    {
        var dir = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        return new TaskWorkspace(Guid.NewGuid(), dir, Path.Combine(dir, "output"));
    }

    private static Task<ExecutionOutcome> RunAsync(
        WorkerType type, string prompt, TaskWorkspace workspace, double timeoutSeconds = 30, int maxOutput = 65_536,
        Action<string>? progress = null, CancellationToken ct = default) =>
        TaskProcess.RunAsync(type, prompt, workspace, TimeSpan.FromSeconds(timeoutSeconds), maxOutput, TaskConfinement.None, progress, ct);

    [Test]
    public async Task ShellCommandRunsInItsWorkspaceWithOnlyDeclaredVariables()
    {
        Environment.SetEnvironmentVariable("WORKERPOOL_TEST_SECRET", "leak");
        var workspace = Workspace();
        var outcome = await RunAsync(Types().Find("shell")!, "pwd; env | sort", workspace);

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error);
        Assert.That(outcome.ExitCode, Is.EqualTo(0));
        var lines = outcome.Output.Split('\n');
        Assert.That(lines[0], Is.EqualTo(workspace.WorkspaceDir));
        Assert.That(outcome.Output, Does.Contain($"SESSION_BUDDY_SESSION_ID={workspace.SessionId}"));
        Assert.That(outcome.Output, Does.Contain($"SESSION_BUDDY_OUTPUT_DIR={workspace.OutputDir}"));
        Assert.That(outcome.Output, Does.Contain("PATH="));
        Assert.That(outcome.Output, Does.Not.Contain("WORKERPOOL_TEST_SECRET"));
        Assert.That(File.ReadAllText(Path.Combine(workspace.OutputDir, "worker.log")), Does.Contain("SESSION_BUDDY_OUTPUT_DIR="));
    }

    [Test]
    public async Task FailingCommandReportsExitCodeAndStderr()
    {
        var outcome = await RunAsync(Types().Find("shell")!, "echo broken >&2; exit 3", Workspace());
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Failed));
        Assert.That(outcome.ExitCode, Is.EqualTo(3));
        Assert.That(outcome.Error, Does.Contain("exit code 3").And.Contain("broken"));
    }

    [Test]
    public async Task TimeoutKillsTheWholeProcessTree()
    {
        var workspace = Workspace();
        var pidFile = Path.Combine(_root, "child.pid");
        var outcome = await RunAsync(Types().Find("shell")!, $"sleep 300 & echo $! > {pidFile}; sleep 300", workspace, timeoutSeconds: 1);

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Timeout));
        Assert.That(outcome.Error, Does.Contain("timed out"));
        Assert.That(outcome.DurationSeconds, Is.LessThan(10));
        var child = int.Parse(File.ReadAllText(pidFile).Trim());
        await Task.Delay(200);
        Assert.That(IsRunning(child), Is.False, "the background child was killed with its group");
    }

    [Test]
    public async Task CancellationKillsTheProcessAndReportsCancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var outcome = await RunAsync(Types().Find("shell")!, "sleep 300", Workspace(), ct: cancel.Token);
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Cancelled));
        Assert.That(outcome.ExitCode, Is.Null);
    }

    [Test]
    public async Task MissingExecutableIsAFailedResultNamingIt()
    {
        var types = Types(new() { ["terminal-claude"] = new() { Executable = "claude-not-installed-here" } });
        var outcome = await RunAsync(types.Find("terminal-claude")!, "hello", Workspace());
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Failed));
        Assert.That(outcome.Error, Does.Contain("'claude-not-installed-here'").And.Contain("terminal-claude"));
    }

    [Test]
    public async Task OutputIsCappedInMemoryAndCompleteInTheLog()
    {
        var workspace = Workspace();
        var outcome = await RunAsync(Types().Find("shell")!, "seq 1 100000", workspace, maxOutput: 1_000);
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed));
        Assert.That(outcome.Output.Length, Is.LessThanOrEqualTo(1_000));
        Assert.That(outcome.Output, Does.EndWith("100000"));
        Assert.That(outcome.Metadata["output_truncated"], Is.EqualTo(true));
        var log = File.ReadAllLines(Path.Combine(workspace.OutputDir, "worker.log"));
        Assert.That(log, Has.Length.EqualTo(100_000));
    }

    [Test]
    public async Task ClaudeStreamJsonIsParsedIntoProgressAndResult()
    {
        var types = Types(new() { ["terminal-claude"] = new() { Executable = Fake("claude") } });
        var workspace = Workspace();
        var progress = new ConcurrentQueue<string>();
        var outcome = await RunAsync(types.Find("terminal-claude")!, "answer noise", workspace, progress: progress.Enqueue);

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error);
        Assert.That(outcome.Output, Is.EqualTo("Done: the answer is 42 (for: answer noise)"));
        Assert.That(outcome.Metadata["model"], Is.EqualTo("claude-sonnet-4-5-20250929"));
        Assert.That(outcome.Metadata["total_cost_usd"], Is.EqualTo(0.0123));
        Assert.That(outcome.Metadata["duration_ms"], Is.EqualTo(2345));
        Assert.That(((JsonElement)outcome.Metadata["usage"]!).GetProperty("output_tokens").GetInt32(), Is.EqualTo(24));
        Assert.That(outcome.Metadata["tool_uses"], Is.EqualTo(new[] { "Write" }));
        Assert.That(progress, Is.EqualTo(new[]
        {
            "init: model claude-sonnet-4-5-20250929",
            "warning: this line is not JSON",
            "assistant: I will write the answer to a file.",
            "tool_use: Write",
            "tool_result",
            "result: success in 2345 ms",
        }));
        Assert.That(File.ReadAllText(Path.Combine(workspace.WorkspaceDir, "answer.txt")).Trim(), Is.EqualTo("42"));
        Assert.That(File.Exists(Path.Combine(workspace.OutputDir, "claude.txt")), Is.True, "SESSION_BUDDY_OUTPUT_DIR reached the CLI");
    }

    [Test]
    public async Task ClaudeErrorResultIsAFailedTask()
    {
        var types = Types(new() { ["terminal-claude"] = new() { Executable = Fake("claude") } });
        var outcome = await RunAsync(types.Find("terminal-claude")!, "please fail", Workspace());
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Failed));
        Assert.That(outcome.ExitCode, Is.EqualTo(1));
        Assert.That(outcome.Metadata["result_subtype"], Is.EqualTo("error_during_execution"));
        Assert.That(outcome.Metadata["total_cost_usd"], Is.EqualTo(0.0021));
    }

    [Test]
    public async Task QwenStreamJsonIsParsed()
    {
        var types = Types(new() { ["terminal-qwen"] = new() { Executable = Fake("qwen") } });
        var progress = new ConcurrentQueue<string>();
        var outcome = await RunAsync(types.Find("terminal-qwen")!, "list files", Workspace(), progress: progress.Enqueue);
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error);
        Assert.That(outcome.Output, Is.EqualTo("The directory is empty."));
        Assert.That(outcome.Metadata["model"], Is.EqualTo("qwen3-coder-plus"));
        Assert.That(outcome.Metadata.ContainsKey("total_cost_usd"), Is.False);
        Assert.That(((JsonElement)outcome.Metadata["usage"]!).GetProperty("total_tokens").GetInt32(), Is.EqualTo(115));
        Assert.That(progress, Does.Contain("tool_use: run_shell_command"));
    }

    [Test]
    public async Task CompletionMarkerEndsATaskWhoseCliDoesNotExit()
    {
        var types = Types(new()
        {
            ["claude-hang"] = new()
            {
                Executable = Fake("claude"),
                Arguments = ["-p", "{prompt}"],
                OutputFormat = OutputFormats.StreamJson,
                CompletionMarkers = ["\"type\":\"user\""],
            },
        });
        var outcome = await RunAsync(types.Find("claude-hang")!, "hang", Workspace(), timeoutSeconds: 20);
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed));
        Assert.That(outcome.DurationSeconds, Is.LessThan(10));
    }

    [Test]
    public async Task ABackgroundChildHoldingTheOutputDoesNotHoldTheTask()
    {
        var pidFile = Path.Combine(_root, "daemon.pid");
        var outcome = await RunAsync(Types().Find("shell")!, $"sleep 20 & echo $! > {pidFile}; echo done", Workspace());
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error);
        Assert.That(outcome.Output, Is.EqualTo("done"));
        Assert.That(outcome.DurationSeconds, Is.LessThan(10));
        Assert.That((double)outcome.Metadata["process_ms"]!, Is.LessThanOrEqualTo(outcome.DurationSeconds * 1000));
        _ = Kill(int.Parse(File.ReadAllText(pidFile).Trim()), 9);
    }

    [Test]
    public async Task ProcessTimeEndsAtTheExitAndStartsAfterTheSpawnPreparation()
    {
        var outcome = await RunAsync(Types().Find("shell")!, "sleep 0.3; echo ok", Workspace());
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error);
        Assert.That(outcome.Output, Is.EqualTo("ok"));
        var processMs = (double)outcome.Metadata["process_ms"]!;
        Assert.That(processMs, Is.GreaterThanOrEqualTo(300).And.LessThanOrEqualTo(outcome.DurationSeconds * 1000));
    }

    [Test]
    public async Task ContainerRunsTheCommandWithTheWorkspaceMounted()
    {
        var types = Types(new() { ["container"] = new() { Executable = Fake("docker"), Image = "alpine:3.20" } });
        var workspace = Workspace();
        var outcome = await RunAsync(types.Find("container")!, "echo hi > made-in-container.txt; pwd", workspace);
        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error);
        Assert.That(outcome.Output, Is.EqualTo($"container image alpine:3.20\n{workspace.WorkspaceDir}"));
        Assert.That(File.Exists(Path.Combine(workspace.WorkspaceDir, "made-in-container.txt")), Is.True);
    }

    [Test]
    public void UnknownOutputFormatIsRejectedAtStartUp() =>
        Assert.Throws<InvalidOperationException>(() => Types(new() { ["x"] = new() { Executable = "x", OutputFormat = "xml" } }));

    private static bool IsRunning(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        // A killed child that its (also killed) parent never reaped is a zombie until init reaps it.
        return File.Exists(stat) && File.ReadAllText(stat).Split(' ')[2] != "Z";
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
