using SessionBuddy.LocalSystem;

namespace SessionBuddy.ServiceDefaults.Tests;

/// <summary>Private PostgreSQL and RabbitMQ for this assembly.</summary>
[SetUpFixture]
public sealed class Infrastructure
{
    private static InfrastructureFixture? _current;

    public static InfrastructureFixture Current => _current ?? throw new InvalidOperationException("Infrastructure is not running.");

    [OneTimeSetUp]
    public async Task StartAsync() => _current = await InfrastructureFixture.CreateAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_current is not null)
        {
            await _current.DisposeAsync();
        }
    }
}
