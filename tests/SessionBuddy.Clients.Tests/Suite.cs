using SessionBuddy.Testing;

namespace SessionBuddy.Clients.Tests;

/// <summary>The whole system, started once for this assembly, and the Node clients installed once.</summary>
[SetUpFixture]
public sealed class Suite
{
    private static DistributedAppFixture? _app;

    public static DistributedAppFixture App => _app ?? throw new InvalidOperationException("The suite is not running.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await NodeClients.InstallAsync();
        _app = await DistributedAppFixture.CreateAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
