namespace SessionBuddy.LocalSystem;

/// <summary>
/// One <see cref="InfrastructureFixture"/> per test assembly, started by the first test that asks for a
/// database; each caller gets a fresh database on it. The assembly's set-up fixture calls
/// <see cref="StopAsync"/> once at the end.
/// </summary>
public static class SharedInfrastructure
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static InfrastructureFixture? _fixture;

    public static async Task<string> CreateDatabaseAsync(string prefix)
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
        return await _fixture.CreateDatabaseAsync(prefix + Guid.NewGuid().ToString("N")[..12]);
    }

    public static async Task StopAsync()
    {
        if (_fixture is not null)
        {
            await _fixture.DisposeAsync();
            _fixture = null;
        }
    }
}
