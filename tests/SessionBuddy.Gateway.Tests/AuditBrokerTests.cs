using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.Gateway.Security;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Gateway.Tests;

/// <summary>
/// The gateway's audit trail against a real RabbitMQ: an entry it reported stored survives a broker crash, and with
/// the broker down it reports failure instead of success.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(240_000)]
public sealed class AuditBrokerTests
{
    private InfrastructureFixture _infrastructure = null!;
    private readonly string _queue = "audit-durability-test-" + Guid.NewGuid().ToString("N")[..8];

    [OneTimeSetUp]
    public async Task StartBroker() => _infrastructure = await InfrastructureFixture.CreateAsync();

    [OneTimeTearDown]
    public async Task StopBroker() => await _infrastructure.DisposeAsync();

    /// <summary>The gateway's own registration of the trail (AddAuditTrail) in a host of its own.</summary>
    private async Task<IHost> StartTrailAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:messaging"] = _infrastructure.MessagingConnectionString });
        builder.AddAuditTrail();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>A durable queue bound to the audit entries, like the Analytics service's; consuming while the bus runs.</summary>
    private IBusControl AuditReader(Channel<ToolCallAudited> received) =>
        Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(_infrastructure.MessagingUri);
            rabbit.ReceiveEndpoint(_queue, endpoint => endpoint.Handler<ToolCallAudited>(context => received.Writer.WriteAsync(context.Message).AsTask()));
        });

    private static ToolCallAudited Entry() =>
        new(NewId.NextGuid(), DateTimeOffset.UtcNow, "auditor", "write_note", "p1", null, AuditOutcomes.Ok, "test");

    [Test, Order(1)]
    public async Task AnEntryReportedStoredSurvivesABrokerCrash()
    {
        var received = Channel.CreateUnbounded<ToolCallAudited>();
        var reader = AuditReader(received);
        await reader.StartAsync();
        await reader.StopAsync(); // the queue stays, bound, with nobody consuming it
        using var gateway = await StartTrailAsync();
        var entry = Entry();

        await gateway.Services.GetRequiredService<IAuditTrail>().RecordAsync(entry);
        await _infrastructure.KillAsync("messaging");
        await _infrastructure.StartAsync("messaging");

        await reader.StartAsync();
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var first = await received.Reader.ReadAsync(wait.Token);
            Assert.That(first.AuditId, Is.EqualTo(entry.AuditId));
        }
        finally
        {
            await reader.StopAsync();
            await gateway.StopAsync();
        }
    }

    [Test, Order(2)]
    public async Task WithTheBrokerDownTheEntryIsReportedNotStored()
    {
        using var gateway = await StartTrailAsync();
        var trail = gateway.Services.GetRequiredService<IAuditTrail>();
        await trail.RecordAsync(Entry()); // connected
        await _infrastructure.KillAsync("messaging");
        try
        {
            var failure = Assert.ThrowsAsync<AuditUnavailableException>(() => trail.RecordAsync(Entry()));
            Assert.That(failure!.Message, Is.Not.Empty);
        }
        finally
        {
            await _infrastructure.StartAsync("messaging");
            await gateway.StopAsync();
        }
    }
}
