using MassTransit;
using SessionBuddy.Contracts.Health;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.AkoshaSync.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase("akoshadb", typeof(Extensions).Assembly);
        builder.AddServiceBus(ServiceNames.AkoshaSync, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }
}
