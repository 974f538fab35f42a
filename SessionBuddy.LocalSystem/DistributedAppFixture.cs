using SessionBuddy.LocalSystem.Hosting;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.LocalSystem;

/// <summary>
/// The whole system as the AppHost runs it: PostgreSQL, RabbitMQ and the six processes (five
/// services and the gateway) in a temporary directory on free ports, all healthy. Start one per
/// test assembly (e.g. from an NUnit [SetUpFixture]) and dispose it at the end.
/// </summary>
public sealed class DistributedAppFixture : IAsyncDisposable
{
    private readonly Orchestrator _orchestrator;
    private readonly FixtureOptions _options;

    private DistributedAppFixture(Orchestrator orchestrator, FixtureOptions options, string dataDirectory)
    {
        _orchestrator = orchestrator;
        _options = options;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    /// <summary>The gateway's base address.</summary>
    public Uri GatewayUri => _orchestrator.Endpoint(SessionBuddyResources.Gateway);

    /// <summary>The single MCP endpoint (<c>http://127.0.0.1:&lt;port&gt;/mcp</c>).</summary>
    public Uri McpUri => new(GatewayUri, "/mcp");

    /// <summary>sessions, memory, analytics, workerpool, akoshasync, gateway.</summary>
    public IReadOnlyList<string> ProjectNames => [.. SessionBuddyResources.ProjectNames];

    /// <summary>Superuser connection string, no database chosen.</summary>
    public string PostgresConnectionString => _orchestrator.Postgres.AdminConnectionString;

    /// <summary>Connection string of each service database by resource name (sessionsdb, memorydb, ...).</summary>
    public IReadOnlyDictionary<string, string> DatabaseConnectionStrings =>
        SessionBuddyResources.DatabaseNames.ToDictionary(d => d, GetConnectionString);

    /// <summary>amqp:// URI with credentials (the value of ConnectionStrings__messaging).</summary>
    public string MessagingConnectionString => _orchestrator.RabbitMq.Uri.ToString();

    public Uri MessagingUri => _orchestrator.RabbitMq.Uri;

    public static async Task<DistributedAppFixture> CreateAsync(FixtureOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FixtureOptions();
        var orchestrator = TestHost.CreateOrchestrator(options, out var dataDirectory);
        var fixture = new DistributedAppFixture(orchestrator, options, dataDirectory);
        try
        {
            await orchestrator.StartInfrastructureAsync(cancellationToken);
            await orchestrator.StartProjectsAsync(cancellationToken);
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
        return fixture;
    }

    /// <summary>Connection string of a service database by resource name (e.g. "memorydb").</summary>
    public string GetConnectionString(string database) => _orchestrator.ConnectionString(database);

    /// <summary>Base address of a project (e.g. "memory"), for its /health and /alive.</summary>
    public Uri GetEndpoint(string project) => _orchestrator.Endpoint(project);

    /// <summary>One replica's own address, bypassing the gateway's balancer (replica 1, 2, ...).</summary>
    public Uri GetReplicaEndpoint(string project, int replica) => _orchestrator.Projects[Orchestrator.ReplicaName(project, replica)].Endpoint;

    /// <summary>Requests each gateway replica answered through the balancer (replica index from 0); empty with one replica.</summary>
    public IReadOnlyDictionary<int, long> GatewayRequestsServed => _orchestrator.GatewayFront?.Served ?? new System.Collections.Concurrent.ConcurrentDictionary<int, long>();

    /// <summary>The log file with everything a resource wrote (stdout and stderr).</summary>
    public string GetLogPath(string resource) => Path.Combine(_orchestrator.LogDirectory, resource + ".log");

    /// <summary>Kills a resource's whole process tree at once, like a crash: a project (or one replica, e.g. "sessions-2"), "postgres" or "messaging".</summary>
    public Task KillAsync(string resource) => _orchestrator.KillAsync(resource);

    /// <summary>Stops a project gracefully (SIGTERM, as an orchestrator scaling it in would).</summary>
    public Task StopAsync(string project) => _orchestrator.StopAsync(project);

    /// <summary>Starts a stopped or killed resource again (same port, same data) and waits until it is healthy.</summary>
    public Task StartAsync(string resource, CancellationToken cancellationToken = default) => _orchestrator.StartAsync(resource, cancellationToken);

    /// <summary>
    /// Starts a second gateway named <paramref name="name"/> on the same services with extra configuration
    /// (environment variables such as <c>Auth__Secret</c>); returns its MCP endpoint. Its log is <see cref="GetLogPath"/>(name).
    /// </summary>
    public async Task<Uri> StartGatewayAsync(string name, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken = default) =>
        new((await _orchestrator.StartInstanceAsync(SessionBuddyResources.Gateway, name, settings, cancellationToken)).Endpoint, "/mcp");

    /// <summary>Graceful stop then start of a project; for a server, kill then start.</summary>
    public async Task RestartAsync(string resource, CancellationToken cancellationToken = default)
    {
        if (resource is SessionBuddyResources.Postgres or SessionBuddyResources.Messaging)
        {
            await _orchestrator.KillAsync(resource);
        }
        else
        {
            await _orchestrator.StopAsync(resource);
        }
        await _orchestrator.StartAsync(resource, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        var databases = SessionBuddyResources.DatabaseNames.Select(_orchestrator.DatabaseName);
        return new(TestHost.DisposeAsync(_orchestrator, databases, _options.ExternalPostgres is not null, _options, DataDirectory));
    }
}
