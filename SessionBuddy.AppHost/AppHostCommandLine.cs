namespace SessionBuddy.AppHost;

/// <summary>The AppHost's command line: a few <c>--name value</c> options, each with an environment fallback.</summary>
public sealed record AppHostCommandLine(AppHostOptions Options, string? Publisher, string? OutputPath)
{
    public const string Usage = """
        Usage: dotnet run --project SessionBuddy.AppHost [-- options]
          --data-dir DIR           data, logs and workspaces (env SESSIONBUDDY_DATA_DIR; default <repo>/.sessionbuddy)
          --gateway-port PORT      MCP gateway port, 0 = free (env SESSIONBUDDY_GATEWAY_PORT; default 8678)
          --postgres-port PORT     private PostgreSQL port, 0 = free (env SESSIONBUDDY_POSTGRES_PORT)
          --rabbitmq-port PORT     private RabbitMQ AMQP port, 0 = free (env SESSIONBUDDY_RABBITMQ_PORT)
          --pg-bin-dir DIR         PostgreSQL binaries (env SESSIONBUDDY_PG_BIN_DIR; default /usr/lib/postgresql/15/bin)
          --rabbitmq-server PATH   rabbitmq-server script (env SESSIONBUDDY_RABBITMQ_SERVER)
          --startup-timeout SECS   how long to wait for /health (env SESSIONBUDDY_STARTUP_TIMEOUT; default 90)
          --publisher manifest --output-path FILE   write the Aspire manifest and exit
        Also read: ConnectionStrings__ollama, OTEL_EXPORTER_OTLP_ENDPOINT, Parameters__postgres-password, Parameters__rabbitmq-password.
        """;

    private static readonly Dictionary<string, string> EnvironmentFallbacks = new()
    {
        ["--data-dir"] = "SESSIONBUDDY_DATA_DIR",
        ["--gateway-port"] = "SESSIONBUDDY_GATEWAY_PORT",
        ["--postgres-port"] = "SESSIONBUDDY_POSTGRES_PORT",
        ["--rabbitmq-port"] = "SESSIONBUDDY_RABBITMQ_PORT",
        ["--pg-bin-dir"] = "SESSIONBUDDY_PG_BIN_DIR",
        ["--rabbitmq-server"] = "SESSIONBUDDY_RABBITMQ_SERVER",
        ["--startup-timeout"] = "SESSIONBUDDY_STARTUP_TIMEOUT",
        ["--publisher"] = "",
        ["--output-path"] = "",
    };

    /// <exception cref="ArgumentException">An unknown option or a bad value; the message says which.</exception>
    public static AppHostCommandLine Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i < args.Count; i++)
        {
            var raw = args[i];
            var (name, value) = raw.Split('=', 2) is [var n, var v] ? (n, v) : (raw, i + 1 < args.Count ? args[++i] : null);
            if (!EnvironmentFallbacks.ContainsKey(name))
            {
                throw new ArgumentException($"Unknown option '{raw}'.{Environment.NewLine}{Usage}");
            }
            values[name] = value ?? throw new ArgumentException($"Option '{name}' needs a value.");
        }
        foreach (var (option, variable) in EnvironmentFallbacks)
        {
            if (!values.ContainsKey(option) && variable != "" && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnv)
            {
                values[option] = fromEnv;
            }
        }

        var options = new AppHostOptions();
        if (values.TryGetValue("--data-dir", out var dataDir)) options.DataDirectory = Path.GetFullPath(dataDir);
        if (values.TryGetValue("--gateway-port", out var gw)) options.GatewayPort = Port("--gateway-port", gw);
        if (values.TryGetValue("--postgres-port", out var pg)) options.PostgresPort = Port("--postgres-port", pg);
        if (values.TryGetValue("--rabbitmq-port", out var mq)) options.RabbitMqPort = Port("--rabbitmq-port", mq);
        if (values.TryGetValue("--pg-bin-dir", out var bin)) options.PostgresBinDirectory = bin;
        if (values.TryGetValue("--rabbitmq-server", out var rmq)) options.RabbitMqServerPath = rmq;
        if (values.TryGetValue("--startup-timeout", out var timeout))
        {
            options.StartupTimeout = TimeSpan.FromSeconds(int.TryParse(timeout, out var s) && s > 0
                ? s : throw new ArgumentException($"--startup-timeout: '{timeout}' is not a positive number of seconds."));
        }

        values.TryGetValue("--publisher", out var publisher);
        values.TryGetValue("--output-path", out var outputPath);
        if (publisher is not null && publisher != "manifest")
        {
            throw new ArgumentException($"--publisher: only 'manifest' is supported, not '{publisher}'.");
        }
        if (publisher is not null && outputPath is null)
        {
            throw new ArgumentException("--publisher manifest needs --output-path FILE.");
        }
        return new AppHostCommandLine(options, publisher, outputPath);
    }

    private static int Port(string option, string value) =>
        int.TryParse(value, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new ArgumentException($"{option}: '{value}' is not a port number (0-65535).");
}
