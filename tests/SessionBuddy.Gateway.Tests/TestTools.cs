using System.Collections.Concurrent;
using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SessionBuddy.Gateway.Mcp;

namespace SessionBuddy.Gateway.Tests;

public sealed record EchoResult(string EchoedText, int RepeatCount, Guid? SessionId = null);

public sealed record ProgressResult(int StepsDone);

/// <summary>Lets tests observe tool calls that run inside the server (singleton in the test host).</summary>
public sealed class ToolProbe
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _cancelled = new();

    public Task Started(string tag) => Get(_started, tag).Task;
    public Task Cancelled(string tag) => Get(_cancelled, tag).Task;
    internal void MarkStarted(string tag) => Get(_started, tag).TrySetResult();
    internal void MarkCancelled(string tag) => Get(_cancelled, tag).TrySetResult();

    private static TaskCompletionSource Get(ConcurrentDictionary<string, TaskCompletionSource> map, string tag) =>
        map.GetOrAdd(tag, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

[McpServerToolType]
public sealed class TestTools(ToolProbe probe)
{
    [McpServerTool(Name = "echo", UseStructuredContent = true), System.ComponentModel.Description("Repeats text.")]
    public EchoResult Echo(string text, int repeatCount = 1) =>
        new(string.Concat(Enumerable.Repeat(text, repeatCount)), repeatCount);

    [McpServerTool(Name = "find_session", UseStructuredContent = true), System.ComponentModel.Description("Validates a session id.")]
    public EchoResult FindSession(string sessionId) =>
        Guid.TryParse(sessionId, out var id)
            ? new EchoResult(sessionId, 1, id)
            : throw new ToolArgumentException("session_id", "not a UUID");

    [McpServerTool(Name = "crash"), System.ComponentModel.Description("Fails with an internal error.")]
    public string Crash() => throw new InvalidOperationException("connection string secret=42");

    [McpServerTool(Name = "slow"), System.ComponentModel.Description("Waits until cancelled.")]
    public async Task<string> Slow(string tag, CancellationToken cancellationToken)
    {
        probe.MarkStarted(tag);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return "finished";
        }
        catch (OperationCanceledException)
        {
            probe.MarkCancelled(tag);
            throw;
        }
    }

    [McpServerTool(Name = "progress", UseStructuredContent = true), System.ComponentModel.Description("Reports progress.")]
    public async Task<ProgressResult> Progress(int steps, RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        // As the gateway's tools do: each notification is sent before the tool goes on, so none trails the result.
        var progress = new SessionBuddy.Gateway.Progress.CallerProgress(request);
        for (var step = 1; step <= steps; step++)
        {
            await progress.ReportAsync(new ProgressNotificationValue { Progress = step, Total = steps, Message = $"step {step}" }, cancellationToken);
            await Task.Delay(20, cancellationToken);
        }

        return new ProgressResult(steps);
    }

    [McpServerTool(Name = "announce"), System.ComponentModel.Description("Sends a server-to-client notification shortly after returning.")]
    public string Announce(string text, McpServer server)
    {
        _ = Task.Run(async () =>
        {
            await Task.Delay(200);
            await server.SendNotificationAsync("notifications/test/announcement", new JsonObject { ["text"] = text },
                McpJsonUtilities.DefaultOptions);
        });
        return "scheduled";
    }
}
