using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Extensions;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.Memory.Tests;

/// <summary>
/// A fresh, migrated memorydb per test class, with the Memory services wired as the service wires them.
/// Unless the settings say otherwise it embeds with the hashed embedder at 256 dimensions (no model to
/// run); tests of the built-in model pass <see cref="BuiltIn"/>.
/// </summary>
public sealed class MemoryDatabase : IAsyncDisposable
{
    private MemoryDatabase(ServiceProvider services, NpgsqlDataSource dataSource)
    {
        Services = services;
        DataSource = dataSource;
    }

    public ServiceProvider Services { get; }

    public NpgsqlDataSource DataSource { get; }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Settings for the built-in all-MiniLM-L6-v2 embedder.</summary>
    public static readonly IDictionary<string, string?> BuiltIn = new Dictionary<string, string?>
    {
        ["Memory:Embedder"] = "builtin",
        ["Memory:EmbeddingDimensions"] = "384",
    };

    public string ConnectionString { get; private init; } = "";

    /// <param name="connectionString">An existing database to open again (a restart), instead of a fresh one.</param>
    public static async Task<MemoryDatabase> CreateAsync(
        IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null, string? connectionString = null)
    {
        connectionString ??= await TestPostgres.CreateDatabaseAsync();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Memory:Embedder"] = "hashed", ["Memory:EmbeddingDimensions"] = "256" })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();

        var collection = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(new NpgsqlDataSourceBuilder(connectionString).Build())
            .AddSingleton<IConfiguration>(configuration) // settings are bound from it, as in a host
            .AddReflections(configuration);
        configure?.Invoke(collection);
        var services = collection.BuildServiceProvider();
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();

        var migrator = new DatabaseMigrator(
            dataSource, new DatabaseMigrations(Extensions.Extensions.DatabaseName, typeof(EmbeddingColumn).Assembly), [Outbox.Migrations],
            NullLogger<DatabaseMigrator>.Instance);
        await migrator.StartAsync(CancellationToken.None);
        await ActivatorUtilities.CreateInstance<EmbeddingColumn>(services).StartAsync(CancellationToken.None);
        return new MemoryDatabase(services, dataSource) { ConnectionString = connectionString };
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync() => await Services.DisposeAsync();
}
