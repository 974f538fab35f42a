using System.Text.Json;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.AkoshaSync.Hub;

/// <summary>
/// The hub's HTTP contract: <c>POST /akosha/v1/results</c> with <c>Authorization: Bearer &lt;key&gt;</c> and a
/// <see cref="PushBatch"/>; the reply has one <see cref="PushItemOutcome"/> per item. Items are idempotent by
/// (system id, idempotency key): an item stored before is answered <c>duplicate</c> and not stored again.
/// </summary>
public sealed record PushBatch(string SystemId, IReadOnlyList<PushItem> Items);

/// <summary>
/// One item; by <see cref="Kind"/> it carries <see cref="Result"/> (<c>worker_result</c>), <see cref="Reflection"/>
/// (<c>reflection</c>) or <see cref="Session"/> (<c>session_summary</c>).
/// </summary>
public sealed record PushItem(
    string IdempotencyKey, string Kind, string? PoolId, WorkerTaskCompleted? Result,
    AkoshaReflection? Reflection = null, AkoshaSessionSummary? Session = null);

public sealed record PushBatchReply(IReadOnlyList<PushItemOutcome> Items);

public sealed record PushItemOutcome(string IdempotencyKey, string Status, string? Error = null);

public static class HubWire
{
    public const string ResultsPath = "/akosha/v1/results";

    public const string WorkerResult = AkoshaItemKinds.WorkerResult;

    public const string Reflection = AkoshaItemKinds.Reflection;

    public const string SessionSummary = AkoshaItemKinds.SessionSummary;

    public const int MaxBatchItems = 1000;

    public const int MaxSystemIdLength = 128;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static class Outcomes
    {
        public const string Stored = "stored";
        public const string Duplicate = "duplicate";
        public const string Rejected = "rejected";
    }

    /// <summary>One key per task execution, so a task pushed with its pool and on its own is stored once.</summary>
    public static string KeyFor(WorkerTaskCompleted result) => "task:" + result.TaskId.ToString("N");

    /// <summary>One key per reflection (its id on the pushing system).</summary>
    public static string KeyFor(AkoshaReflection reflection) => "reflection:" + reflection.ReflectionId.ToString("N");

    /// <summary>
    /// One key per end of a session: a resumed session that ends again has a new summary (and end time); a redelivered
    /// event has the same end time.
    /// </summary>
    public static string KeyFor(AkoshaSessionSummary session) =>
        $"session:{session.SessionId:N}:{session.EndedAt.ToUnixTimeMilliseconds()}";
}
