using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SessionBuddy.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Extensions;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.Bench;

/// <summary>
/// A fresh memorydb on a given PostgreSQL server, migrated and wired exactly as the Memory service wires
/// it (same migrations, same <c>AddReflections</c>), so the numbers are the service's numbers minus the bus.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    public const string ServerVariable = "SESSIONBUDDY_BENCH_POSTGRES";
    private const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=postgres";

    private readonly string _server;

    private BenchDatabase(string server, string name, ServiceProvider services)
    {
        _server = server;
        Name = name;
        Services = services;
    }

    public string Name { get; }

    public ServiceProvider Services { get; }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public static async Task<BenchDatabase> CreateAsync(string[] args, IDictionary<string, string?>? settings = null)
    {
        var server = args.Option("postgres") ?? Environment.GetEnvironmentVariable(ServerVariable) ?? DefaultServer;
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
        return new BenchDatabase(server, name, services);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(_server);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }
}
