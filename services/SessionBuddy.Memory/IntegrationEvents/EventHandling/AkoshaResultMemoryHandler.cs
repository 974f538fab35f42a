using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.Memory.IntegrationEvents.EventHandling;

/// <summary>
/// On an Akosha hub, items other systems pushed become memories of category <c>akosha_result</c>, metadata carrying
/// their <c>kind</c> (worker_result, reflection, session_summary) and system_id, tagged <c>system:...</c> and
/// <c>kind:...</c>, so akosha_search_workers and search_all_systems find them by hybrid search. Worker results have
/// the same text as local worker history and are tagged with the worker type (<c>worker_type:...</c>); reflections
/// keep their text and session summaries read as a short account of the session. The hub's row id is the operation
/// id, so a redelivered event stores nothing twice.
/// </summary>
public sealed class AkoshaResultMemoryHandler(NpgsqlDataSource dataSource, MemorySearch memories, MemoryOptions options)
    : IConsumer<AkoshaResultsReceived>
{
    public async Task Consume(ConsumeContext<AkoshaResultsReceived> context)
    {
        var ct = context.CancellationToken;
        var message = context.Message;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var messageId = context.MessageId ?? throw new InvalidOperationException("AkoshaResultsReceived without a message id");
        if (await Inbox.TryAcceptAsync(connection, transaction, messageId, nameof(AkoshaResultMemoryHandler), ct))
        {
            var results = message.Results.Select(r =>
            {
                var memory = WorkerExecutionMemoryHandler.ToMemory(r.Id, r.Result, options.MaxContentLength);
                var metadata = JsonNode.Parse(memory.Metadata!.Value.GetRawText())!.AsObject();
                metadata["kind"] = AkoshaItemKinds.WorkerResult;
                metadata["system_id"] = message.SystemId;
                metadata["idempotency_key"] = r.IdempotencyKey;
                metadata["pool_id"] = r.PoolId;
                metadata["received_at"] = message.ReceivedAt.ToUniversalTime();
                return memory with
                {
                    Category = MemoryCategories.AkoshaResult,
                    Tags = [AkoshaResultTags.WorkerType(r.Result.WorkerType), AkoshaResultTags.System(message.SystemId),
                        AkoshaResultTags.Kind(AkoshaItemKinds.WorkerResult), r.Result.Status.Trim().ToLowerInvariant()],
                    SessionId = null,
                    Metadata = JsonSerializer.SerializeToElement(metadata),
                };
            });
            var reflections = (message.Reflections ?? []).Select(r => ToMemory(r, message.SystemId, message.ReceivedAt));
            var sessions = (message.SessionSummaries ?? []).Select(s => ToMemory(s, message.SystemId, message.ReceivedAt));
            await memories.StoreManyAsync([.. results, .. reflections, .. sessions], ct);
        }
        await transaction.CommitAsync(ct);
    }

    private NewReflection ToMemory(AkoshaReceivedReflection received, string systemId, DateTimeOffset receivedAt)
    {
        var reflection = received.Reflection;
        var metadata = new Dictionary<string, object?>
        {
            ["kind"] = AkoshaItemKinds.Reflection,
            ["system_id"] = systemId,
            ["idempotency_key"] = received.IdempotencyKey,
            ["reflection_id"] = reflection.ReflectionId,
            ["project"] = reflection.Project,
            ["session_id"] = reflection.SessionId,
            ["tags"] = reflection.Tags ?? [],
            ["created_at"] = reflection.CreatedAt.ToUniversalTime(),
            ["received_at"] = receivedAt.ToUniversalTime(),
        };
        // The closing line keeps the same text from two systems (or two reflections) apart in the de-duplication.
        var content = Content(reflection.Content, $"(reflection {reflection.ReflectionId} from {systemId})");
        IReadOnlyList<string> tags = [AkoshaResultTags.System(systemId), AkoshaResultTags.Kind(AkoshaItemKinds.Reflection),
            .. (reflection.Tags ?? []).Where(t => !AkoshaResultTags.IsReserved(t)).Take(20)];
        return new NewReflection(received.Id, content, tags, null, null, JsonSerializer.SerializeToElement(metadata), MemoryCategories.AkoshaResult);
    }

    private NewReflection ToMemory(AkoshaReceivedSessionSummary received, string systemId, DateTimeOffset receivedAt)
    {
        var session = received.Session;
        var metadata = new Dictionary<string, object?>
        {
            ["kind"] = AkoshaItemKinds.SessionSummary,
            ["system_id"] = systemId,
            ["idempotency_key"] = received.IdempotencyKey,
            ["session_id"] = session.SessionId,
            ["name"] = session.Name,
            ["project"] = session.Project,
            ["quality_score"] = session.QualityScore,
            ["duration_seconds"] = session.DurationSeconds,
            ["ended_at"] = session.EndedAt.ToUniversalTime(),
            ["received_at"] = receivedAt.ToUniversalTime(),
        };
        var head = new StringBuilder("Session");
        head.Append(session.Name is { Length: > 0 } name ? $" {name}" : "");
        head.Append(session.Project is { Length: > 0 } project ? $" (project {project})" : "");
        head.Append(CultureInfo.InvariantCulture, $" ended with quality {session.QualityScore}/100");
        head.Append(session.DurationSeconds is { } seconds ? string.Create(CultureInfo.InvariantCulture, $" after {TimeSpan.FromSeconds(Math.Round(seconds)):c}") : "");
        head.AppendLine(".").Append("Summary: ").Append(session.Summary);
        var content = Content(head.ToString(), $"(session {session.SessionId} from {systemId})");
        IReadOnlyList<string> tags = [AkoshaResultTags.System(systemId), AkoshaResultTags.Kind(AkoshaItemKinds.SessionSummary)];
        return new NewReflection(received.Id, content, tags, null, null, JsonSerializer.SerializeToElement(metadata), MemoryCategories.AkoshaResult);
    }

    /// <summary>The text, cut to Memory:MaxContentLength so that the closing line always fits.</summary>
    private string Content(string text, string closing)
    {
        var room = Math.Max(0, options.MaxContentLength - closing.Length - 2);
        var body = text.Length <= room ? text : text[..Math.Max(0, room - 1)] + "…";
        return body + "\n" + closing;
    }
}

public static class AkoshaResultTags
{
    public static string WorkerType(string workerType) => "worker_type:" + workerType.Trim();

    public static string System(string systemId) => "system:" + systemId.Trim();

    public static string Kind(string kind) => "kind:" + kind;

    /// <summary>Tags the hub sets itself; a pushed reflection's own tags of these shapes are kept in metadata only.</summary>
    public static bool IsReserved(string tag) =>
        tag.StartsWith("worker_type:", StringComparison.Ordinal) || tag.StartsWith("system:", StringComparison.Ordinal)
        || tag.StartsWith("kind:", StringComparison.Ordinal);
}
