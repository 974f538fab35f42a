using SessionBuddy.LocalSystem;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>The whole suite (PostgreSQL, RabbitMQ, five services, gateway), started once for this assembly.</summary>
[SetUpFixture]
public sealed class Suite
{
    /// <summary>The Sessions service's default Sessions:MaxMessageLength.</summary>
    public const int MaxMessageLength = 200_000;

    private static DistributedAppFixture? _app;

    public static DistributedAppFixture App => _app ?? throw new InvalidOperationException("The suite is not running.");

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await DistributedAppFixture.CreateAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
