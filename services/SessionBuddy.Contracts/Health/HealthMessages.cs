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

    /// <summary>The process that serves the MCP endpoint in front of the services.</summary>
    public const string Gateway = "gateway";

    /// <summary>
    /// The five services, each with the database it owns (its <c>ConnectionStrings</c> key): the one list the AppHost,
    /// the manifest, the test fixtures and the gateway's health check are built from.
    /// </summary>
    public static readonly IReadOnlyList<(string Service, string Database)> Databases =
    [
        (Sessions, "sessionsdb"),
        (Memory, "memorydb"),
        (Analytics, "analyticsdb"),
        (WorkerPool, "workerpooldb"),
        (AkoshaSync, "akoshadb"),
    ];

    public static readonly IReadOnlyList<string> All = [.. Databases.Select(d => d.Service)];

    /// <summary>The queue on which every replica of <paramref name="service"/> answers health requests.</summary>
    public static string HealthQueue(string service) => $"{service}-health";
}
