using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.Messaging;

public static class OutboxExtensions
{
    /// <summary>
    /// The transactional outbox that publishes the service's integration events (<see cref="Outbox"/>,
    /// <see cref="OutboxDispatcher"/>) and the inbox its event consumers de-duplicate with (<see cref="Inbox"/>), with
    /// their tables' migration. Needs the service database (<c>AddServiceDatabase</c>); call it before
    /// <see cref="ServiceBusExtensions.AddServiceBus"/>, so the dispatcher stops after the bus's consumers.
    /// </summary>
    public static IHostApplicationBuilder AddOutbox(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(Outbox.Migrations);
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<Outbox>();
        builder.Services.AddHostedService<OutboxDispatcher>();
        return builder;
    }
}
