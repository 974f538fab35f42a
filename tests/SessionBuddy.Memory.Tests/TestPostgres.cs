using SessionBuddy.Testing;

namespace SessionBuddy.Memory.Tests;

/// <summary>
/// One PostgreSQL + pgvector server for the whole test assembly (the shared InfrastructureFixture: a
/// private server from local binaries, or the one named by SESSIONBUDDY_TEST_POSTGRES); every test class
/// gets a fresh database on it.
/// </summary>
[SetUpFixture]
public sealed class TestPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static InfrastructureFixture? _fixture;

    public static async Task<string> CreateDatabaseAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _fixture ??= await InfrastructureFixture.CreateAsync();
        }
        finally
        {
            Gate.Release();
        }
        return await _fixture.CreateDatabaseAsync("memory_test_" + Guid.NewGuid().ToString("N")[..12]);
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_fixture is not null)
        {
            await _fixture.DisposeAsync();
        }
    }
}
