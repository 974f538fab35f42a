namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>Instance A and hub B, started once for this assembly; tests use their own pools and task ids.</summary>
[SetUpFixture]
public sealed class Suite
{
    private static AkoshaInstances? _instances;

    public static AkoshaInstances Instances => _instances ?? throw new InvalidOperationException("The instances are not running.");

    [OneTimeSetUp]
    public async Task StartAsync() => _instances = await AkoshaInstances.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_instances is not null)
        {
            await _instances.DisposeAsync();
        }
    }
}
