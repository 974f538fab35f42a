using System.Security.Cryptography;
using System.Text;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>
/// A private RabbitMQ node in <c>&lt;data&gt;/rabbitmq</c> with its own node name, ports and epmd
/// (ERL_EPMD_PORT), so it never meets another node on the machine and the epmd it starts can be
/// stopped with it; or an existing broker reached through an amqp:// URI.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    private const string User = "rabbitmq";
    private readonly ChildProcess? _process;
    private readonly string? _owner;
    private readonly int _epmdPort;

    private RabbitMqServer(Uri uri, ChildProcess? process, string? owner, int epmdPort)
    {
        Uri = uri;
        _process = process;
        _owner = owner;
        _epmdPort = epmdPort;
    }

    /// <summary>amqp:// URI with credentials, as services expect in ConnectionStrings__messaging.</summary>
    public Uri Uri { get; }

    public bool IsExternal => _process is null;

    public ChildProcess? Process => _process;

    public static RabbitMqServer Connect(Uri uri) => new(uri, null, null, 0);

    public static async Task<RabbitMqServer> StartAsync(RabbitMqServerSettings settings, CancellationToken cancellationToken)
    {
        var root = Path.Combine(settings.DataDirectory, "rabbitmq");
        var home = Path.Combine(root, "home");
        var mnesia = Path.Combine(root, "mnesia");
        var logs = Path.Combine(root, "log");
        var etc = Path.Combine(root, "etc");
        foreach (var dir in new[] { home, mnesia, logs, etc })
        {
            Directory.CreateDirectory(dir);
        }
        var epmdPort = FreePort.Allocate();
        var distPort = FreePort.Allocate();
        // default_user/default_pass only apply when the node's database is first created.
        await File.WriteAllTextAsync(Path.Combine(etc, "rabbitmq.conf"),
            $"listeners.tcp.default = 127.0.0.1:{settings.Port}\ndefault_user = guest\ndefault_pass = {settings.Password}\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(etc, "enabled_plugins"), "[].\n", cancellationToken);
        ServiceAccount.PrepareDirectories(User, root);

        var environment = new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["RABBITMQ_MNESIA_BASE"] = mnesia,
            ["RABBITMQ_LOG_BASE"] = logs,
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_NODENAME"] = NodeName(settings.DataDirectory),
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = settings.Port.ToString(),
            ["RABBITMQ_DIST_PORT"] = distPort.ToString(),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(etc, "rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(etc, "enabled_plugins"),
            ["RABBITMQ_FEATURE_FLAGS_FILE"] = Path.Combine(mnesia, "feature_flags"),
            ["ERL_EPMD_PORT"] = epmdPort.ToString(),
            // Loopback only: AMQP above, and here epmd and the distribution port.
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };
        var process = ChildProcess.Start(new ChildProcessSpec("messaging", settings.ServerPath, [], environment,
            Path.Combine(settings.DataDirectory, "logs", "messaging.log"), settings.Owner, settings.Echo)
        {
            RunAsUser = User,
            WorkingDirectory = home,
        });
        var uri = new Uri($"amqp://guest:{Uri.EscapeDataString(settings.Password)}@127.0.0.1:{settings.Port}");
        var server = new RabbitMqServer(uri, process, settings.Owner, epmdPort);
        try
        {
            var deadline = DateTime.UtcNow + settings.StartupTimeout;
            while (!await FreePort.AcceptsConnectionsAsync(settings.Port, cancellationToken))
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException(
                        $"RabbitMQ {(process.HasExited ? $"exited during start-up (exit {process.ExitCode})" : $"did not open its port within {settings.StartupTimeout.TotalSeconds:0} s")}:{Environment.NewLine}{process.Tail()}");
                }
                await Task.Delay(100, cancellationToken);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Stable per data directory, because the node's database is tied to its name.</summary>
    private static string NodeName(string dataDirectory)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..10];
        return $"sessionbuddy-{hash}@localhost";
    }

    /// <summary>Graceful stop (SIGTERM to the server script, which stops the node), then the epmd this node started.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }
        await _process.StopAsync(ChildProcess.SigTerm, TimeSpan.FromSeconds(20));
        var epmd = ProcessSweep.Find([$"{ChildProcess.OwnerVariable}={_owner}", $"ERL_EPMD_PORT={_epmdPort}"], "epmd");
        await ProcessSweep.TerminateAsync(epmd, TimeSpan.FromSeconds(5));
    }

    /// <summary>Kills the node at once, like a crash (its epmd keeps running, as it would).</summary>
    public void Kill() => _process?.KillTree();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }
}

public sealed record RabbitMqServerSettings(string DataDirectory, string ServerPath, int Port, string Password, string Owner, Action<string>? Echo)
{
    /// <summary>How long the node may take to open its port (a loaded 2-core machine needs more than an idle one).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
