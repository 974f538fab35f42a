using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using SessionBuddy.AppHost.Model;

namespace SessionBuddy.AppHost.Local;

/// <summary>
/// Run mode: PostgreSQL (with pgvector) and RabbitMQ as executables started by DCP from the binaries
/// eng/install-prereqs.sh installs, with their data in one folder that survives restarts. Ports are
/// chosen free at start-up and not proxied, so services talk to the servers directly.
/// </summary>
public static class LocalInfrastructure
{
    private const string InstallCommand = "bash eng/install-prereqs.sh";

    private static string PostgresBin(IDistributedApplicationBuilder builder) =>
        builder.Configuration["SessionBuddy:PostgresBinDirectory"] ?? "/usr/lib/postgresql/15/bin";

    private static string RabbitMqServer(IDistributedApplicationBuilder builder) =>
        builder.Configuration["SessionBuddy:RabbitMqServer"] ?? "/usr/lib/rabbitmq/bin/rabbitmq-server";

    /// <summary>What a local run needs, named with the command that installs it; empty when all is there.</summary>
    public static string MissingPrerequisites(IDistributedApplicationBuilder builder)
    {
        var needed = new[] { "initdb", "postgres" }.Select(tool => (What: $"PostgreSQL 15 '{tool}'", Path: Path.Combine(PostgresBin(builder), tool)))
            .Append((What: "pgvector (vector.control)", Path: "/usr/share/postgresql/15/extension/vector.control"))
            .Append((What: "rabbitmq-server", Path: RabbitMqServer(builder)))
            .Append((What: "epmd (Erlang)", Path: "/usr/bin/epmd"));
        var missing = needed.Where(n => !File.Exists(n.Path)).Select(n => $"  - {n.What}: not found at {n.Path}").ToList();
        return missing.Count == 0 ? "" : string.Join(Environment.NewLine,
            ["Cannot start SessionBuddy, prerequisites are missing:", .. missing, $"Install them with: {InstallCommand} (from {Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."))})"]);
    }

    /// <summary>The data folder: SessionBuddy:DataDirectory, else .sessionbuddy at the repository root.</summary>
    public static string DataDirectory(this IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(builder.Configuration["SessionBuddy:DataDirectory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(builder.AppHostDirectory, "..", ".sessionbuddy"));

    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(this IDistributedApplicationBuilder builder, string name, int servicePoolSize, int serviceCount)
    {
        var root = Path.Combine(builder.DataDirectory(), name);
        var data = Path.Combine(root, "data");
        var sockets = Path.Combine(root, "run");
        var password = builder.AddPersistentSecret(name + "-password");
        var postgres = new LocalPostgresResource(name, ServiceAccount.Command(LocalPostgresResource.User, out var prefix), root, password.Resource);
        var port = FreePort();

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(postgres, async (_, cancellationToken) =>
        {
            ServiceAccount.AllowTraversal(builder.DataDirectory());
            ServiceAccount.PrepareDirectories(LocalPostgresResource.User, root, sockets);
            if (!File.Exists(Path.Combine(data, "PG_VERSION")))
            {
                await InitDbAsync(PostgresBin(builder), data, root, await password.Resource.GetValueAsync(cancellationToken) ?? "", cancellationToken);
            }
        });

        var healthCheck = name + "_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async cancellationToken =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(await AdminConnectionStringAsync(postgres, cancellationToken));
                await connection.OpenAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException)
            {
                return HealthCheckResult.Unhealthy(ex.Message);
            }
        });

        builder.Eventing.Subscribe<ResourceReadyEvent>(postgres, async (@event, cancellationToken) =>
        {
            await using var connection = new NpgsqlConnection(await AdminConnectionStringAsync(postgres, cancellationToken));
            await connection.OpenAsync(cancellationToken);
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var database in builder.Resources.OfType<PostgresDatabaseResource>().Where(d => d.Parent == postgres))
            {
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database.Name } } };
                if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                {
                    // Identifiers cannot be parameters; the names are the model's own.
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Name}\"", connection);
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
                await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
            }
        });

        return builder.AddResource(postgres)
            .WithArgs([.. prefix, Path.Combine(PostgresBin(builder), "postgres"), "-D", data, "-k", sockets,
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=" + (serviceCount * servicePoolSize + 50)])
            .WithEndpoint(port: port, targetPort: port, name: "tcp", env: "PGPORT", isProxied: false)
            .WithHealthCheck(healthCheck)
            .WithIconName("DatabaseMultiple");
    }

    public static IResourceBuilder<PostgresDatabaseResource> AddLocalDatabase(this IResourceBuilder<LocalPostgresResource> server, string name, int maxPoolSize)
    {
        var database = new PostgresDatabaseResource(name, server.Resource, maxPoolSize);
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "PostgresDatabase", Properties = [], State = KnownResourceStates.Waiting })
            .WithIconName("Database");
    }

    /// <summary>RabbitMQ with a private node name and its own epmd (a resource too, so it stops with the AppHost).</summary>
    public static IResourceBuilder<LocalRabbitMqResource> AddLocalRabbitMq(this IDistributedApplicationBuilder builder, string name)
    {
        var root = Path.Combine(builder.DataDirectory(), "rabbitmq");
        var (home, mnesia, logs, etc) = (Path.Combine(root, "home"), Path.Combine(root, "mnesia"), Path.Combine(root, "log"), Path.Combine(root, "etc"));
        var password = builder.AddPersistentSecret(name + "-password");
        var rabbit = new LocalRabbitMqResource(name, ServiceAccount.Command(LocalRabbitMqResource.ServiceUser, out var prefix), home, password.Resource);
        var (port, epmdPort, distPort) = (FreePort(), FreePort(), FreePort());

        var epmd = builder.AddExecutable(name + "-epmd", "epmd", root, "-port", epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithIconName("PlugConnected");

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(rabbit, async (_, cancellationToken) =>
        {
            foreach (var dir in new[] { home, mnesia, logs, etc })
            {
                Directory.CreateDirectory(dir);
            }
            // default_user/default_pass only apply when the node's database is first created.
            var secret = await password.Resource.GetValueAsync(cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(etc, "rabbitmq.conf"),
                $"listeners.tcp.default = 127.0.0.1:{port}\ndefault_user = {LocalRabbitMqResource.User}\ndefault_pass = {secret}\n", cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(etc, "enabled_plugins"), "[].\n", cancellationToken);
            ServiceAccount.AllowTraversal(builder.DataDirectory());
            ServiceAccount.PrepareDirectories(LocalRabbitMqResource.ServiceUser, root);
        });

        var healthCheck = name + "_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async cancellationToken =>
        {
            // The broker opens its AMQP listener last in its boot sequence.
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (SocketException ex)
            {
                return HealthCheckResult.Unhealthy(ex.Message);
            }
        });

        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return builder.AddResource(rabbit)
            .WithArgs([.. prefix, RabbitMqServer(builder)])
            .WithEndpoint(port: port, targetPort: port, name: "tcp", isProxied: false)
            .WithEnvironment("HOME", home)
            .WithEnvironment("RABBITMQ_MNESIA_BASE", mnesia)
            .WithEnvironment("RABBITMQ_LOG_BASE", logs)
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithEnvironment("RABBITMQ_NODENAME", NodeName(root))
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_NODE_PORT", portText)
            .WithEnvironment("RABBITMQ_DIST_PORT", distPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("RABBITMQ_CONFIG_FILE", Path.Combine(etc, "rabbitmq"))
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(etc, "enabled_plugins"))
            .WithEnvironment("RABBITMQ_FEATURE_FLAGS_FILE", Path.Combine(mnesia, "feature_flags"))
            .WithEnvironment("ERL_EPMD_PORT", epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            // Every erl the broker's scripts run (the node, rabbitmqctl stop at shutdown) uses the epmd resource and never
            // starts an `epmd -daemon` of its own: one started while DCP stops the resource would outlive the AppHost.
            .WithEnvironment("ERL_FLAGS", "-start_epmd false")
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .WaitFor(epmd)
            .WithHealthCheck(healthCheck)
            .WithIconName("Mail");
    }

    /// <summary>
    /// A secret for a local server: Parameters:NAME when configured, else generated once and kept in the
    /// data folder, because the server's data (kept between runs) is tied to the password it was created with.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddPersistentSecret(this IDistributedApplicationBuilder builder, string name)
    {
        if (builder.Configuration[$"Parameters:{name}"] is { Length: > 0 })
        {
            return builder.AddParameter(name, secret: true);
        }
        var file = Path.Combine(builder.DataDirectory(), "secrets", name);
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 22));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        return builder.AddParameter(name, File.ReadAllText(file).Trim(), secret: true);
    }

    private static async Task InitDbAsync(string binDirectory, string data, string root, string password, CancellationToken cancellationToken)
    {
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true); // a half-finished initdb
        }
        var passwordFile = Path.Combine(root, "initdb-password");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        ServiceAccount.PrepareDirectories(LocalPostgresResource.User, root);
        try
        {
            var initdb = ServiceAccount.Command(LocalPostgresResource.User, out var prefix);
            await ServiceAccount.RunAsync(initdb, [.. prefix, Path.Combine(binDirectory, "initdb"), "-D", data, "-U", LocalPostgresResource.User,
                "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C", "--no-sync"], root, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private static async Task<string> AdminConnectionStringAsync(LocalPostgresResource postgres, CancellationToken cancellationToken) =>
        new NpgsqlConnectionStringBuilder(await postgres.ConnectionStringExpression.GetValueAsync(cancellationToken))
        {
            Database = "postgres",
            Pooling = false,
        }.ConnectionString;

    /// <summary>Stable per data folder, because the node's database is tied to its name.</summary>
    private static string NodeName(string root) =>
        $"sessionbuddy-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..10]}@localhost";

    private static readonly HashSet<int> ChosenPorts = [];

    /// <summary>
    /// A free port for a server that DCP starts many seconds later. It is taken below the kernel's ephemeral range
    /// (net.ipv4.ip_local_port_range), where no outgoing connection and no bind to port 0 (DCP's proxies, other
    /// programs) can take it meanwhile: a port the kernel handed out and took back was seen reused within 25 s on a
    /// busy machine, and PostgreSQL then stopped with "could not bind ... Address already in use".
    /// </summary>
    private static int FreePort()
    {
        var ephemeralLow = EphemeralRangeLow();
        for (var attempt = 0; ephemeralLow > 12_000 && attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(10_000, ephemeralLow);
            if (!ChosenPorts.Contains(port) && IsFree(port))
            {
                ChosenPorts.Add(port);
                return port;
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int EphemeralRangeLow()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
                System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768; // Linux's default
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            // Any address: taken if anything listens on it, on loopback or elsewhere.
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
