using SessionBuddy.LocalSystem;

namespace SessionBuddy.Clients.Tests;

/// <summary>
/// The whole system, started once for this assembly, and the Node clients installed once. Tests that run against
/// two replicas of every service and of the gateway get a second system, started when first asked for.
/// </summary>
[SetUpFixture]
public sealed class Suite
{
    private static readonly SemaphoreSlim ReplicatedStart = new(1, 1);
    private static DistributedAppFixture? _app;
    private static DistributedAppFixture? _replicated;

    public static DistributedAppFixture App => _app ?? throw new InvalidOperationException("The suite is not running.");

    /// <summary>The system with <paramref name="replicas"/> processes of everything (1: <see cref="App"/>; 2: the replicated one).</summary>
    public static async Task<DistributedAppFixture> WithReplicasAsync(int replicas)
    {
        if (replicas == 1)
        {
            return App;
        }
        if (replicas != 2)
        {
            throw new ArgumentOutOfRangeException(nameof(replicas), replicas, "the suite runs one system with 1 replica and one with 2");
        }
        await ReplicatedStart.WaitAsync();
        try
        {
            return _replicated ??= await DistributedAppFixture.CreateAsync(new FixtureOptions { Replicas = 2, StartupTimeout = TimeSpan.FromSeconds(120) });
        }
        finally
        {
            ReplicatedStart.Release();
        }
    }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await NodeClients.InstallAsync();
        _app = await DistributedAppFixture.CreateAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_replicated is not null)
        {
            await _replicated.DisposeAsync();
        }
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
