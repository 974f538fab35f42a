using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Messaging.Telemetry;
using SessionBuddy.ServiceDefaults.Configuration;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.Messaging;

public static class ServiceBusExtensions
{
    public const string ConnectionName = "messaging";

    /// <summary>How long start-up keeps trying to reach RabbitMQ by default (<see cref="MessagingOptions.StartTimeout"/>).</summary>
    public static readonly TimeSpan DefaultStartTimeout = MessagingOptions.DefaultStartTimeout;

    /// <summary>
    /// MassTransit on RabbitMQ from <c>ConnectionStrings:messaging</c> (an amqp:// URI). Every consumer
    /// gets a kebab-case queue shared by all replicas (competing consumers). When <paramref name="serviceName"/>
    /// is given, the process also answers <see cref="CheckServiceHealth"/> on that service's health queue and
    /// reports its CPU and memory to Analytics every few seconds (<see cref="ProcessUsageReporter"/>).
    /// </summary>
    /// <param name="reliableSends">
    /// True for services: every message is persistent and waits for RabbitMQ's publisher confirm, since their
    /// outbox marks an event dispatched only once the broker has it. False for the gateway: it only sends
    /// requests, which it retries on timeout with the same operation id, so its messages are neither
    /// persisted nor confirmed (a request lost with the broker is sent again, like one that timed out).
    /// </param>
    public static IHostApplicationBuilder AddServiceBus(
        this IHostApplicationBuilder builder, string? serviceName, Action<IBusRegistrationConfigurator> configure,
        bool reliableSends = true)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName)
            ?? throw new InvalidOperationException(
                $"Missing connection string '{ConnectionName}': set ConnectionStrings__{ConnectionName}=amqp://guest:guest@127.0.0.1:5672");
        // Read now, as registration needs them; checked now too, so a bad value stops here naming its key.
        var messaging = builder.Configuration.GetValidatedOptions<MessagingOptions>(MessagingOptions.SectionName);
        builder.Services.AddValidatedOptions<MessagingOptions>(MessagingOptions.SectionName);

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            // No usage reports to MassTransit's servers: a service talks to its own infrastructure only.
            bus.DisableUsageTelemetry();
            configure(bus);

            if (serviceName is not null)
            {
                bus.AddConsumer<ServiceHealthConsumer>()
                    .Endpoint(e => e.Name = ServiceNames.HealthQueue(serviceName));
            }

            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(new Uri(connectionString), host => host.PublisherConfirmation = reliableSends);
                if (!reliableSends)
                {
                    rabbit.ConfigureSend(send => send.UseSendExecute(context => context.Durable = false));
                }
                // Enough unacknowledged deliveries per consumer to keep database round trips overlapping.
                rabbit.PrefetchCount = messaging.PrefetchCount;
                // Transient database trouble (failover, restart) is retried before a message is faulted.
                rabbit.UseMessageRetry(retry =>
                {
                    retry.Handle<NpgsqlException>(ex => ex.IsTransient);
                    retry.Handle<TimeoutException>();
                    retry.Intervals(100, 500, 1_000, 2_000);
                });
                rabbit.ConfigureEndpoints(context);
            });
        });

        // Start-up waits until every receive endpoint is bound, so nothing published right after
        // start-up (outbox rows, requests) can reach an exchange that has no queue bound yet.
        // A broker that cannot be reached yet (still starting, restarting, a loaded machine) is no reason to stop:
        // MassTransit's receive transports retry a transient connection failure (6 s, growing to 30 s apart) for as
        // long as the start is allowed, and the process only gives up, and exits, after Messaging:StartTimeout.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(host =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = messaging.StartTimeout;
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });

        if (serviceName is not null)
        {
            builder.Services.AddSingleton(new ServiceIdentity(serviceName));
            builder.Services.AddHostedService<ProcessUsageReporter>();
            builder.Services.AddUntracedMessage<ProcessUsageReported>(); // a sample every few seconds: not a trace each
        }
        return builder;
    }
}

/// <summary>Which service this process is, as reported in health replies.</summary>
public sealed record ServiceIdentity(string Name);
