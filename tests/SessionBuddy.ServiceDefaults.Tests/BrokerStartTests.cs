using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionBuddy.Contracts.Health;
using SessionBuddy.LocalSystem;
using SessionBuddy.Messaging;

namespace SessionBuddy.ServiceDefaults.Tests;

/// <summary>
/// A service (or gateway replica) started while RabbitMQ cannot be reached waits for it instead of exiting: nothing
/// restarts a process that gave up (DCP does not), so a replica that lost that race would be gone for good.
/// A broker of its own, since this one is down for over a minute.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(420_000)]
public sealed class BrokerStartTests
{
    private InfrastructureFixture _infrastructure = null!;

    [OneTimeSetUp]
    public async Task StartBroker() => _infrastructure = await InfrastructureFixture.CreateAsync();

    [OneTimeTearDown]
    public async Task StopBroker() => await _infrastructure.DisposeAsync();

    [Test]
    public async Task AServiceStartedWhileRabbitMqIsDownAnswersOnceItStarts()
    {
        await _infrastructure.KillAsync("messaging");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // More than the default 3 min: the broker's own restart after a kill can take over a minute when the suite loads the machine.
        var startTimeout = TimeSpan.FromMinutes(4);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = _infrastructure.MessagingConnectionString,
            ["Messaging:StartTimeout"] = startTimeout.ToString(),
        });
        builder.AddServiceBus("brokerstart", _ => { });
        using var service = builder.Build();

        var clock = Stopwatch.StartNew();
        var starting = service.StartAsync();
        // Longer than the 60 s start-up used to allow before the host failed.
        var outage = TimeSpan.FromSeconds(70);
        await Task.WhenAny(starting, Task.Delay(outage));
        Assert.That(starting.IsCompleted, Is.False,
            $"with the broker down, start-up neither completes nor fails within {outage.TotalSeconds:0} s ({(starting.IsFaulted ? starting.Exception!.GetBaseException().Message : starting.Status.ToString())})");

        await _infrastructure.StartAsync("messaging");
        await starting.WaitAsync(startTimeout + TimeSpan.FromSeconds(15) - clock.Elapsed);
        TestContext.Progress.WriteLine($"started {clock.Elapsed.TotalSeconds:0} s after the attempt began, load average {File.ReadAllText("/proc/loadavg").Trim()}");
        try
        {
            var health = await service.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            Assert.That(health.Status, Is.EqualTo(HealthStatus.Healthy), string.Join("; ", health.Entries.Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description}")));

            // And it answers on its queue, as the gateway's health tool asks it.
            var client = service.Services.GetRequiredService<IBus>().CreateRequestClient<CheckServiceHealth>(
                new Uri($"queue:{ServiceNames.HealthQueue("brokerstart")}"), RequestTimeout.After(s: 30));
            var reply = await client.GetResponse<ServiceHealthReport>(new CheckServiceHealth());
            Assert.That(reply.Message.Service, Is.EqualTo("brokerstart"));
        }
        finally
        {
            await service.StopAsync();
        }
    }

    [Test]
    public void AStartTimeoutThatIsNotPositiveIsRefusedNamingTheSetting()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = _infrastructure.MessagingConnectionString,
            ["Messaging:StartTimeout"] = "00:00:00",
        });
        var refused = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => builder.AddServiceBus("brokerstart", _ => { }));
        Assert.That(refused!.Message, Is.EqualTo("Messaging:StartTimeout: must be positive"));
    }
}
