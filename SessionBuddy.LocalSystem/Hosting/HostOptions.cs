using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>How the test fixtures run the model on this machine.</summary>
public sealed class HostOptions
{
    public const int DefaultGatewayPort = 8678;

    /// <summary>Where PostgreSQL and RabbitMQ data, logs, parameters and workspaces live; kept between runs.</summary>
    public required string DataDirectory { get; set; }

    /// <summary>0 picks a free port.</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;

    /// <summary>
    /// Processes of every project; with more than one, replica 1 is named like the project and the others
    /// <c>name-2</c>, <c>name-3</c>, ..., and the gateway port belongs to a <see cref="GatewayFront"/> balancing them.
    /// </summary>
    public int Replicas { get; set; } = 1;

    /// <summary>0 picks a free port.</summary>
    public int PostgresPort { get; set; }

    /// <summary>0 picks a free port.</summary>
    public int RabbitMqPort { get; set; }

    public string PostgresBinDirectory { get; set; } = "/usr/lib/postgresql/15/bin";

    public string RabbitMqServerPath { get; set; } = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    /// <summary>Superuser connection string of a running server to use instead of starting one.</summary>
    public string? ExternalPostgres { get; set; }

    /// <summary>amqp:// URI of a running broker to use instead of starting one.</summary>
    public string? ExternalRabbitMq { get; set; }

    /// <summary>Appended to every database name (so a shared server can host many isolated runs).</summary>
    public string DatabaseSuffix { get; set; } = "";

    /// <summary>Passed through as ConnectionStrings__ollama; the ollama resource exists only when set.</summary>
    public string? OllamaConnectionString { get; set; } = Environment.GetEnvironmentVariable("ConnectionStrings__ollama");

    /// <summary>Passed through to every process only when set.</summary>
    public string? OtlpEndpoint { get; set; }

    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Extra postgres <c>-c</c> settings (tests turn durability off for speed).</summary>
    public IDictionary<string, string> PostgresSettings { get; } = new Dictionary<string, string>();

    /// <summary>Where prefixed child output goes; null keeps it in the log files only.</summary>
    public Action<string>? Echo { get; set; } = Console.WriteLine;

    /// <summary>The model these options describe (ollama only when configured).</summary>
    public ResourceModel BuildModel() => SessionBuddyResources.Build(includeOllama: !string.IsNullOrWhiteSpace(OllamaConnectionString));
}
