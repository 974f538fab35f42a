using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Messaging;
using SessionBuddy.Messaging.Telemetry;

namespace SessionBuddy.ServiceDefaults.Tests;

/// <summary>
/// A periodic loop that meets a canceled call it did not cancel itself (RabbitMQ's connection dropping under a publish
/// raises TaskCanceledException) logs it and goes on. It once let that exception out, and .NET's host then stops the
/// whole service: a broker restart took services down with it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class BackgroundLoopTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task AServiceWhoseUsageSamplePublishIsCanceledKeepsRunningAndAnswering()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = Infrastructure.Current.MessagingUri.ToString(),
        });
        var canceling = new CancelingUsagePublishes();
        builder.Services.AddPublishObserver(_ => canceling);
        builder.AddServiceBus("loopcheck", _ => { });
        using var service = builder.Build();
        await service.StartAsync();
        var stopping = service.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        try
        {
            // Two samples' time: each publish is canceled before it leaves.
            await Task.Delay(ProcessUsageReporter.Interval * 2 + TimeSpan.FromSeconds(2));
            Assert.That(canceling.Canceled, Is.GreaterThanOrEqualTo(1), "the reporter published and its publish was canceled");
            Assert.That(stopping.IsCancellationRequested, Is.False, "the service is not shutting down");

            var client = service.Services.GetRequiredService<IBus>().CreateRequestClient<CheckServiceHealth>(
                new Uri($"queue:{ServiceNames.HealthQueue("loopcheck")}"), RequestTimeout.After(s: 30));
            var reply = await client.GetResponse<ServiceHealthReport>(new CheckServiceHealth());
            Assert.That(reply.Message.Service, Is.EqualTo("loopcheck"), "and it still answers on its queue");
        }
        finally
        {
            await service.StopAsync();
        }
    }

    /// <summary>Cancels every usage-sample publish as a dropped connection does mid-call.</summary>
    public sealed class CancelingUsagePublishes : IPublishObserver
    {
        private int _canceled;

        public int Canceled => Volatile.Read(ref _canceled);

        public Task PrePublish<T>(PublishContext<T> context) where T : class
        {
            if (context.Message is ProcessUsageReported)
            {
                Interlocked.Increment(ref _canceled);
                throw new TaskCanceledException("A task was canceled.");
            }
            return Task.CompletedTask;
        }

        public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
