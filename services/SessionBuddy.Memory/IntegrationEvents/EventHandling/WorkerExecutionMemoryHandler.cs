using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Messaging;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.Memory.IntegrationEvents.EventHandling;

/// <summary>
/// Worker history (queue worker-execution-memory-handler, named apart from other services' WorkerTaskCompleted
/// consumers so each service gets every event): each finished worker task becomes a memory of category <c>worker_execution</c> whose
/// metadata carries the execution's facts, so worker_search_history can search and filter them.
/// Events arrive in batches (see the definition below): one inbox transaction, one embedding call and one
/// insert statement per batch, so a burst of tasks costs a few round trips instead of several per task.
/// Idempotent per message, twice over: the inbox rows (taken first, committed last) make a concurrent
/// redelivery wait and then skip, and the message id as the store's operation id makes a retry after a
/// crash between the store and the commit find the memories it already stored.
/// </summary>
public sealed class WorkerExecutionMemoryHandler(NpgsqlDataSource dataSource, MemorySearch memories, MemoryOptions options)
    : IConsumer<Batch<WorkerTaskCompleted>>
{
    public async Task Consume(ConsumeContext<Batch<WorkerTaskCompleted>> context)
    {
        var byId = new Dictionary<Guid, WorkerTaskCompleted>();
        foreach (var message in context.Message)
        {
            // The same message delivered twice may land in one batch: it is stored once.
            byId.TryAdd(message.MessageId ?? throw new InvalidOperationException("WorkerTaskCompleted without a message id"), message.Message);
        }
        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(context.CancellationToken);
        var accepted = await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], nameof(WorkerExecutionMemoryHandler), context.CancellationToken);
        if (accepted.Count > 0)
        {
            await memories.StoreManyAsync([.. accepted.Select(id => ToMemory(id, byId[id], options.MaxContentLength))], context.CancellationToken);
        }
        await transaction.CommitAsync(context.CancellationToken);
    }

    public static NewReflection ToMemory(Guid operationId, WorkerTaskCompleted task, int maxLength)
    {
        var status = task.Status.Trim().ToLowerInvariant();
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{task.WorkerType} task {status}")
            .Append(task.ExitCode is { } code ? string.Create(CultureInfo.InvariantCulture, $" (exit code {code})") : "")
            .Append(task.Repo is { Length: > 0 } repo ? $" in {repo}" : "")
            .AppendLine()
            .Append("Task: ").AppendLine(task.PromptOrCommand);
        // The identifiers close the content on a line of their own, which is not embedded (EmbeddedText).
        var run = string.Create(CultureInfo.InvariantCulture, $"{EmbeddedText.WorkerRunLine}task {task.TaskId}, {task.DurationSeconds:0.###} s");
        // Output and error share what room is left; the task itself and the run line are never cut.
        var room = Math.Max(0, maxLength - head.Length - run.Length - 20);
        var error = Cut(task.Error, room / 2);
        var output = Cut(task.Output, room - (error?.Length ?? 0));
        if (output is { Length: > 0 })
        {
            head.Append("Output: ").AppendLine(output);
        }
        if (error is { Length: > 0 })
        {
            head.Append("Error: ").AppendLine(error);
        }
        head.Append(run);
        var content = head.Length <= maxLength ? head.ToString() : head.ToString(0, maxLength);

        var metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["worker_id"] = task.WorkerId,
            ["task_id"] = task.TaskId,
            ["worker_type"] = task.WorkerType,
            ["status"] = status,
            ["exit_code"] = task.ExitCode,
            ["duration_seconds"] = task.DurationSeconds,
            ["repo"] = task.Repo,
            ["timestamp"] = task.Timestamp.ToUniversalTime(),
            ["pool_id"] = task.PoolId,
            ["session_id"] = task.SessionId,
        });
        return new NewReflection(operationId, content, [task.WorkerType, status], null, task.SessionId?.ToString(), metadata, MemoryCategories.WorkerExecution);
    }

    private static string? Cut(string? text, int room) =>
        text is null || text.Length <= room ? text : text[..Math.Max(0, room - 1)] + "…";
}

public sealed class WorkerExecutionMemoryHandlerDefinition : EventBatchDefinition<WorkerExecutionMemoryHandler>;
