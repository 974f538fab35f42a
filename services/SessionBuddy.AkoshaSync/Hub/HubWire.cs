using System.Text.Json;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.AkoshaSync.Hub;

/// <summary>
/// The hub's HTTP contract: <c>POST /akosha/v1/results</c> with <c>Authorization: Bearer &lt;key&gt;</c> and a
/// <see cref="PushBatch"/>; the reply has one <see cref="PushItemOutcome"/> per item. Items are idempotent by
/// (system id, idempotency key): an item stored before is answered <c>duplicate</c> and not stored again.
/// </summary>
public sealed record PushBatch(string SystemId, IReadOnlyList<PushItem> Items);

public sealed record PushItem(string IdempotencyKey, string Kind, string? PoolId, WorkerTaskCompleted Result);

public sealed record PushBatchReply(IReadOnlyList<PushItemOutcome> Items);

public sealed record PushItemOutcome(string IdempotencyKey, string Status, string? Error = null);

public static class HubWire
{
    public const string ResultsPath = "/akosha/v1/results";

    public const string WorkerResult = "worker_result";

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
}
