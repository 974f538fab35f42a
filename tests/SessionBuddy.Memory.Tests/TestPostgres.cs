using Npgsql;

namespace SessionBuddy.Memory.Tests;

/// <summary>
/// Fresh databases on the PostgreSQL server named by MEMORY_TEST_POSTGRES (a server with pgvector).
/// Stand-in until the shared InfrastructureFixture lands.
/// </summary>
internal static class TestPostgres
{
    public static async Task<string> CreateDatabaseAsync()
    {
        var server = Environment.GetEnvironmentVariable("MEMORY_TEST_POSTGRES")
            ?? throw new InvalidOperationException("set MEMORY_TEST_POSTGRES=Host=127.0.0.1;Port=...;Username=postgres");
        var name = "memory_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var dataSource = NpgsqlDataSource.Create(server))
        await using (var command = dataSource.CreateCommand($"CREATE DATABASE {name}"))
        {
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }
}
