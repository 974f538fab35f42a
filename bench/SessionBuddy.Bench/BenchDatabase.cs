using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SessionBuddy.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Extensions;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.Testing;

namespace SessionBuddy.Bench;

/// <summary>
/// A fresh memorydb on a given PostgreSQL server, migrated and wired exactly as the Memory service wires
/// it (same migrations, same <c>AddReflections</c>), so the numbers are the service's numbers minus the bus.
/// Without <c>--postgres</c> or <c>SESSIONBUDDY_BENCH_POSTGRES</c> it starts a private server from the local
/// binaries (the tests' InfrastructureFixture) and removes it afterwards.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    public const string ServerVariable = "SESSIONBUDDY_BENCH_POSTGRES";

    private readonly string _server;
    private readonly InfrastructureFixture? _fixture;

    private BenchDatabase(string server, string name, ServiceProvider services, InfrastructureFixture? fixture)
    {
        _server = server;
        _fixture = fixture;
        Name = name;
        Services = services;
    }

    public string Name { get; }

    public ServiceProvider Services { get; }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public static async Task<BenchDatabase> CreateAsync(string[] args, IDictionary<string, string?>? settings = null)
    {
        var server = args.Option("postgres") ?? Environment.GetEnvironmentVariable(ServerVariable);
        InfrastructureFixture? fixture = null;
        if (string.IsNullOrEmpty(server))
        {
            Console.WriteLine("starting a private PostgreSQL (no --postgres given)...");
            fixture = await InfrastructureFixture.CreateAsync();
            server = fixture.PostgresConnectionString;
        }
        var name = "memory_bench_" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        await using (var admin = NpgsqlDataSource.Create(server))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 50 }.ConnectionString;
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddConsole())
            .AddSingleton(new NpgsqlDataSourceBuilder(connectionString).Build())
            .AddReflections(configuration)
            .BuildServiceProvider();

        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await new DatabaseMigrator(dataSource, new DatabaseMigrations(Extensions.DatabaseName, typeof(MemoryOptions).Assembly), NullLogger<DatabaseMigrator>.Instance)
            .StartAsync(CancellationToken.None);
        await ActivatorUtilities.CreateInstance<EmbeddingColumn>(services).StartAsync(CancellationToken.None);
        return new BenchDatabase(server, name, services, fixture);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(_server);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
        if (_fixture is not null)
        {
            await _fixture.DisposeAsync();
        }
    }
}
