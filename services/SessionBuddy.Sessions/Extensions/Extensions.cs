using MassTransit;
using SessionBuddy.Contracts.Health;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.Sessions.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase("sessionsdb", typeof(Extensions).Assembly);
        builder.AddServiceBus(ServiceNames.Sessions, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }
}
