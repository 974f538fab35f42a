namespace SessionBuddy.LocalSystem;

/// <summary>How a fixture starts its servers. Defaults suit one fixture per test assembly.</summary>
public sealed class FixtureOptions
{
    /// <summary>Superuser connection string of a running PostgreSQL to reuse (fresh, uniquely named databases are created on it).</summary>
    public const string PostgresVariable = "SESSIONBUDDY_TEST_POSTGRES";

    /// <summary>amqp:// URI of a running RabbitMQ to reuse.</summary>
    public const string RabbitMqVariable = "SESSIONBUDDY_TEST_RABBITMQ";

    public string? ExternalPostgres { get; set; } = Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } v ? v : null;

    public string? ExternalRabbitMq { get; set; } = Environment.GetEnvironmentVariable(RabbitMqVariable) is { Length: > 0 } v ? v : null;

    /// <summary>Receives every child output line, prefixed with its resource name; null keeps output in the log files only.</summary>
    public Action<string>? Echo { get; set; }

    /// <summary>
    /// How long a server or project may take to become ready. The suite runs its test projects side by side on 2 cores, where a
    /// RabbitMQ node restarted after a kill (it recovers its stores first) has been seen to need more than 60 s.
    /// </summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Processes of every service and of the gateway. With more than one, <see cref="DistributedAppFixture.McpUri"/> is a
    /// balancer in front of the gateway replicas, and the further replicas are resources named <c>sessions-2</c>, <c>gateway-2</c>, ...
    /// </summary>
    public int Replicas { get; set; } = 1;

    /// <summary>OTLP endpoint every process exports telemetry to (OTEL_EXPORTER_OTLP_ENDPOINT); null: no telemetry is recorded.</summary>
    public string? OtlpEndpoint { get; set; }

    public const string KeepDataVariable = "SESSIONBUDDY_TEST_KEEP_DATA";

    /// <summary>Keep the temporary data directory (logs, databases) after disposal, for post-mortems (or set SESSIONBUDDY_TEST_KEEP_DATA=1).</summary>
    public bool KeepDataDirectory { get; set; } = Environment.GetEnvironmentVariable(KeepDataVariable) == "1";
}
