using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using SessionBuddy.Memory.Consumers;

namespace SessionBuddy.Memory.Tests;

/// <summary>
/// A fixture with the Memory consumers on MassTransit's in-memory transport over a real, fresh database.
/// </summary>
public abstract class MemoryBusTests
{
    protected MemoryDatabase _db = null!;
    protected ITestHarness _harness = null!;

    /// <summary>Configuration of the fixture's Memory services (the hashed embedder unless overridden).</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    [OneTimeSetUp]
    public async Task StartBus()
    {
        _db = await MemoryDatabase.CreateAsync(Settings, configure: services =>
            services.AddMassTransitTestHarness(bus => bus.AddConsumers(typeof(StoreReflectionConsumer).Assembly)));
        _harness = _db.Get<ITestHarness>();
        await _harness.Start();
    }

    [OneTimeTearDown]
    public async Task StopBus()
    {
        await _harness.Stop();
        await _db.DisposeAsync();
    }
}
