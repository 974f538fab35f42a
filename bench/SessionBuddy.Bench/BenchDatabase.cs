using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SessionBuddy.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Extensions;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Bench;

/// <summary>
/// A fresh memorydb on a given PostgreSQL server, migrated and wired exactly as the Memory service wires
/// it (same migrations, same <c>AddReflections</c>), so the numbers are the service's numbers minus the bus.
/// Without <c>--postgres</c> or <c>SESSIONBUDDY_BENCH_POSTGRES</c> it starts a private server from the local
/// binaries (the tests' InfrastructureFixture) and removes it afterwards.
/// </summary>
public sealed partial class BenchDatabase : IAsyncDisposable
{
    public const string ServerVariable = "SESSIONBUDDY_BENCH_POSTGRES";

    private readonly string _server;
    private readonly InfrastructureFixture? _fixture;
    private readonly bool _keep;

    private BenchDatabase(string server, string name, bool keep, ServiceProvider services, InfrastructureFixture? fixture)
    {
        _server = server;
        _keep = keep;
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
        // --database NAME (with --postgres) keeps that database between runs, so a loaded corpus can be
        // searched again without re-ingesting; it is created when absent and never dropped.
        var kept = args.Option("database");
        if (kept is not null && (fixture is not null || !DatabaseName().IsMatch(kept)))
        {
            throw new ArgumentException("--database needs --postgres and a name of lower-case letters, digits and _");
        }
        var name = kept ?? "memory_bench_" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        await using (var admin = NpgsqlDataSource.Create(server))
        {
            await using var exists = admin.CreateCommand("SELECT count(*) FROM pg_database WHERE datname = @name");
            exists.Parameters.AddWithValue("name", name);
            if ((long)(await exists.ExecuteScalarAsync())! == 0)
            {
                await using var create = admin.CreateCommand($"CREATE DATABASE {name}");
                await create.ExecuteNonQueryAsync();
            }
        }

        // --embedder hashed measures the model-free embedder instead of the built-in model.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Memory:Embedder"] = args.Option("embedder") ?? EmbeddingSettings.BuiltIn })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var connectionString = new NpgsqlConnectionStringBuilder(server)
        {
            Database = name,
            MaxPoolSize = 50,
            // Prepared like the service's statements (and so, after a few runs, possibly on generic plans).
            MaxAutoPrepare = ServiceDatabaseExtensions.MaxAutoPrepare,
        }.ConnectionString;
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddConsole())
            .AddSingleton(new NpgsqlDataSourceBuilder(connectionString).Build())
            .AddSingleton<IConfiguration>(configuration) // settings are bound from it, as in a host
            .AddReflections(configuration)
            .BuildServiceProvider();

        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await new DatabaseMigrator(
                dataSource, new DatabaseMigrations(Extensions.DatabaseName, typeof(MemoryOptions).Assembly), [Outbox.Migrations], NullLogger<DatabaseMigrator>.Instance)
            .StartAsync(CancellationToken.None);
        await ActivatorUtilities.CreateInstance<EmbeddingColumn>(services).StartAsync(CancellationToken.None);
        return new BenchDatabase(server, name, kept is not null, services, fixture);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (_keep)
        {
            return;
        }
        await using var admin = NpgsqlDataSource.Create(_server);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
        if (_fixture is not null)
        {
            await _fixture.DisposeAsync();
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial System.Text.RegularExpressions.Regex DatabaseName();
}
