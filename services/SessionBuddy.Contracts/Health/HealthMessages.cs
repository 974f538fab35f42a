namespace SessionBuddy.Contracts.Health;

/// <summary>Asks one service (addressed by its health queue) to run its health checks.</summary>
public sealed record CheckServiceHealth;

public sealed record ServiceHealthReport(
    string Service,
    string Status,
    string Instance,
    double DurationMs,
    IReadOnlyList<HealthCheckEntry> Checks);

public sealed record HealthCheckEntry(string Name, string Status, string? Description, double DurationMs);

public static class ServiceNames
{
    public const string Sessions = "sessions";
    public const string Memory = "memory";
    public const string Analytics = "analytics";
    public const string WorkerPool = "workerpool";
    public const string AkoshaSync = "akoshasync";

    public static readonly IReadOnlyList<string> All = [Sessions, Memory, Analytics, WorkerPool, AkoshaSync];

    /// <summary>The queue on which every replica of <paramref name="service"/> answers health requests.</summary>
    public static string HealthQueue(string service) => $"{service}-health";
}
