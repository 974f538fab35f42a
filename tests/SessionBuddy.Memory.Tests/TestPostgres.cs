using SessionBuddy.LocalSystem;

namespace SessionBuddy.Memory.Tests;

/// <summary>
/// One PostgreSQL + pgvector server for the whole test assembly (the shared InfrastructureFixture: a
/// private server from local binaries, or the one named by SESSIONBUDDY_TEST_POSTGRES); every test class
/// gets a fresh database on it.
/// </summary>
[SetUpFixture]
public sealed class TestPostgres
{
    public static Task<string> CreateDatabaseAsync() => SharedInfrastructure.CreateDatabaseAsync("memory_test_");

    [OneTimeTearDown]
    public Task StopServer() => SharedInfrastructure.StopAsync();
}
