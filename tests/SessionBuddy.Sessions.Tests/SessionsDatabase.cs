using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.Sessions.Extensions;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Sessions.Tests;

/// <summary>One PostgreSQL for the assembly (the shared InfrastructureFixture).</summary>
[SetUpFixture]
public sealed class TestPostgres
{
    public static Task<string> CreateDatabaseAsync() => SharedInfrastructure.CreateDatabaseAsync("sessions_test_");

    [OneTimeTearDown]
    public Task StopServer() => SharedInfrastructure.StopAsync();
}

/// <summary>A fresh migrated sessionsdb and workspace root, with the Sessions classes wired as the service wires them.</summary>
public sealed class SessionsDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private SessionsDatabase(ServiceProvider services, string workspaceRoot)
    {
        _services = services;
        WorkspaceRoot = workspaceRoot;
    }

    public string WorkspaceRoot { get; }

    public NpgsqlDataSource DataSource => Get<NpgsqlDataSource>();

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static async Task<SessionsDatabase> CreateAsync(Action<SessionsOptions>? configure = null)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        var root = Path.Combine(Path.GetTempPath(), "sessions-tests-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new SessionsOptions { WorkspaceRoot = root };
        configure?.Invoke(options);
        var services = new ServiceCollection()
            .AddSingleton(new NpgsqlDataSourceBuilder(connectionString).Build())
            .AddSingleton(Options.Create(options))
            .AddSingleton<OutboxSignal>()
            .AddSingleton<Outbox>()
            .AddSessionsDomain()
            .BuildServiceProvider();
        var migrator = new DatabaseMigrator(
            services.GetRequiredService<NpgsqlDataSource>(),
            new DatabaseMigrations("sessionsdb", typeof(SessionStore).Assembly),
            [Outbox.Migrations],
            NullLogger<DatabaseMigrator>.Instance);
        await migrator.StartAsync(CancellationToken.None);
        return new SessionsDatabase(services, root);
    }

    public async Task<long> CountAsync(string sql, Guid? id = null)
    {
        await using var command = DataSource.CreateCommand(sql);
        if (id is not null)
        {
            command.Parameters.AddWithValue("id", id.Value);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task ExecuteAsync(string sql, Guid id)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        if (Directory.Exists(WorkspaceRoot))
        {
            Directory.Delete(WorkspaceRoot, recursive: true);
        }
    }
}
