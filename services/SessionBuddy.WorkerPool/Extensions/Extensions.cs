using MassTransit;
using SessionBuddy.Contracts.Health;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.WorkerPool.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase("workerpooldb", typeof(Extensions).Assembly);
        builder.AddServiceBus(ServiceNames.WorkerPool, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }
}
