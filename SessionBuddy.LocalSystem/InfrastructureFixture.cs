using SessionBuddy.LocalSystem.Hosting;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.LocalSystem;

/// <summary>
/// PostgreSQL (with pgvector) and RabbitMQ only, for service-level tests and benchmarks: a private
/// server pair in a temporary directory on free ports, or the servers named by
/// SESSIONBUDDY_TEST_POSTGRES / SESSIONBUDDY_TEST_RABBITMQ. Start one per test assembly.
/// </summary>
public sealed class InfrastructureFixture : IAsyncDisposable
{
    private readonly Orchestrator _orchestrator;
    private readonly FixtureOptions _options;
    private readonly List<string> _created = [];

    private InfrastructureFixture(Orchestrator orchestrator, FixtureOptions options, string dataDirectory)
    {
        _orchestrator = orchestrator;
        _options = options;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    /// <summary>Superuser connection string, no database chosen.</summary>
    public string PostgresConnectionString => _orchestrator.Postgres.AdminConnectionString;

    /// <summary>amqp:// URI with credentials (the value of ConnectionStrings__messaging).</summary>
    public string MessagingConnectionString => _orchestrator.RabbitMq.Uri.ToString();

    public Uri MessagingUri => _orchestrator.RabbitMq.Uri;

    public static async Task<InfrastructureFixture> CreateAsync(FixtureOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FixtureOptions();
        var orchestrator = TestHost.CreateOrchestrator(options, out var dataDirectory);
        var fixture = new InfrastructureFixture(orchestrator, options, dataDirectory);
        try
        {
            await orchestrator.StartInfrastructureAsync(cancellationToken);
            fixture._created.AddRange(SessionBuddyResources.DatabaseNames.Select(orchestrator.DatabaseName));
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
        return fixture;
    }

    /// <summary>
    /// Creates an empty database (dropping any earlier one of that name) and returns its connection
    /// string. On a shared server the physical name gets this fixture's unique suffix.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var physical = _orchestrator.DatabaseName(name);
        await _orchestrator.Postgres.DropDatabaseAsync(physical, cancellationToken);
        await _orchestrator.Postgres.EnsureDatabaseAsync(physical, cancellationToken);
        lock (_created)
        {
            _created.Add(physical);
        }
        return _orchestrator.Postgres.ConnectionStringFor(physical);
    }

    public Task DropDatabaseAsync(string name, CancellationToken cancellationToken = default) =>
        _orchestrator.Postgres.DropDatabaseAsync(_orchestrator.DatabaseName(name), cancellationToken);

    /// <summary>Kills PostgreSQL ("postgres") or RabbitMQ ("messaging") at once, like a crash.</summary>
    public Task KillAsync(string resource) => _orchestrator.KillAsync(resource);

    /// <summary>Starts a killed server again on the same port with the same data.</summary>
    public Task StartAsync(string resource, CancellationToken cancellationToken = default) => _orchestrator.StartAsync(resource, cancellationToken);

    public ValueTask DisposeAsync() =>
        new(TestHost.DisposeAsync(_orchestrator, _created.Distinct(), _options.ExternalPostgres is not null, _options, DataDirectory));
}
