namespace SessionBuddy.Contracts.Analytics;

/// <summary>
/// Tool calls one gateway replica served in a window, published by that replica every few seconds (each replica
/// sends its own; Analytics combines them). <see cref="Samples"/> may be a sample of the calls when there were
/// very many; <see cref="Calls"/> counts them all. Telemetry, not state: published directly, not through an outbox.
/// </summary>
public sealed record ToolCallsTimed(
    string Instance,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    long Calls,
    IReadOnlyList<ToolCallSample> Samples,
    ProcessUsageSample Process);

/// <summary>One tool call: its name, wall time at the gateway in milliseconds, and whether it ended in a tool error.</summary>
public sealed record ToolCallSample(string Tool, double DurationMs, bool Failed, DateTimeOffset At);

/// <summary>
/// CPU and memory of one service process (Sessions, Memory, Analytics, WorkerPool, AkoshaSync), published by that
/// process every few seconds (the gateways send theirs inside <see cref="ToolCallsTimed"/>). Telemetry, not state:
/// published directly and non-durably, not through an outbox; a lost sample is replaced by the next.
/// </summary>
public sealed record ProcessUsageReported(ProcessUsageSample Usage);

/// <summary>CPU (percent of all the machine's cores since the previous sample) and working set (MB) of one process.</summary>
public sealed record ProcessUsageSample(string Service, string Instance, double CpuPercent, double MemoryMb, DateTimeOffset SampledAt);
